import Foundation

/// An answer read off the wire.
public struct RawHTTPResponse: Sendable, CustomStringConvertible {
    public var status: Int
    public var headers: [RawHeader]
    public var body: [UInt8]

    public var text: String { String(decoding: body, as: UTF8.self) }

    public var description: String {
        "\(status)\n" + headers.map(\.description).joined(separator: "\n") + "\n\n" + text
    }
}

/// Why a raw HTTP exchange failed.
public enum RawHTTPError: Error, CustomStringConvertible {
    case connect(String)
    case io(String)

    public var description: String {
        switch self {
        case .connect(let message): return "connect: \(message)"
        case .io(let message): return message
        }
    }
}

/// A plain HTTP/1.1 client connection to 127.0.0.1 that sends exactly the bytes a test writes
/// (hop-by-hop headers, chunked bodies, a `Host` of its choosing), for checking what a proxy
/// does with them. Blocking, with a receive timeout so a test cannot hang; use it from one
/// thread, or through ``RawHTTP`` from async code.
public final class RawHTTPConnection {
    private let reader: SocketReader

    public init(port: UInt16, timeout: Duration = .seconds(30)) throws {
        let handle = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard handle >= 0 else { throw RawHTTPError.connect("socket: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        address.sin_port = port.bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(handle, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            let code = errno
            close(handle)
            throw RawHTTPError.connect("127.0.0.1:\(port): errno \(code)")
        }
        var limit = timeval(tv_sec: Int(timeout.components.seconds), tv_usec: 0)
        setsockopt(handle, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        // A server that answers before it read the whole body (413) may stop reading: give up
        // sending after a while, and read what it answered.
        var sendLimit = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(handle, SOL_SOCKET, SO_SNDTIMEO, &sendLimit, socklen_t(MemoryLayout<timeval>.size))
        reader = SocketReader(handle)
    }

    deinit {
        close(reader.handle)
    }

    /// Sends `bytes` as they are.
    public func send(_ bytes: [UInt8]) throws {
        guard reader.send(bytes) else { throw RawHTTPError.io("send failed: errno \(errno)") }
    }

    /// Sends a request: the request line, `headers` in order, then `body` as is (add the framing
    /// header yourself, or use ``RawHTTP/request(method:path:headers:body:)``'s default).
    public func send(method: String, path: String, headers: [RawHeader], body: [UInt8] = []) throws {
        var text = "\(method) \(path) HTTP/1.1\r\n"
        for header in headers { text += "\(header.name): \(header.value)\r\n" }
        text += "\r\n"
        try send(Array(text.utf8) + body)
    }

    /// Reads one response (Content-Length, chunked, or up to the end of the connection).
    public func readResponse(method: String = "GET") throws -> RawHTTPResponse {
        guard let head = reader.readHead() else {
            throw RawHTTPError.io("no response: \(reader.ending)")
        }
        let lines = head.components(separatedBy: "\r\n")
        let statusLine = lines[0].split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else {
            throw RawHTTPError.io("bad status line: \(lines[0])")
        }
        var headers: [RawHeader] = []
        for line in lines.dropFirst() where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.append(
                RawHeader(String(line[..<colon]), String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)))
        }
        var body: [UInt8] = []
        if method == "HEAD" || status == 204 || status == 304 || (100..<200).contains(status) {
            body = []
        } else if headers.values("transfer-encoding").joined(separator: ",").lowercased().contains("chunked") {
            guard let chunked = reader.readChunkedBody() else { throw RawHTTPError.io("incomplete chunked body") }
            body = chunked
        } else if let length = headers.first("content-length").flatMap(Int.init) {
            guard let bytes = reader.read(count: length) else { throw RawHTTPError.io("incomplete body (\(length) bytes)") }
            body = bytes
        } else {
            body = reader.readToEnd()
        }
        return RawHTTPResponse(status: status, headers: headers, body: body)
    }

    /// Reads until the server closes the connection; false if it stays open past the receive
    /// timeout (or sends something instead).
    public func waitUntilClosed() -> Bool {
        let rest = reader.readToEnd()
        return rest.isEmpty && reader.ending == "the peer closed the connection"
    }

    /// One request and its response on this connection. A server that answers early (and stops
    /// reading the body) still gets its answer read.
    public func exchange(
        method: String = "GET", path: String, headers: [RawHeader], body: [UInt8] = []
    ) throws
        -> RawHTTPResponse
    {
        do {
            try send(method: method, path: path, headers: headers, body: body)
        } catch {
            guard let early = try? readResponse(method: method) else { throw error }
            return early
        }
        return try readResponse(method: method)
    }
}

/// Raw HTTP from async tests: the blocking socket work runs on a thread of its own, never on
/// Swift concurrency's pool (which the server under test needs).
public enum RawHTTP {
    /// Runs `work` on a new thread and returns its result.
    public static func onThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result { try work() })
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    /// One request on a new connection. With a non-empty `body` and no framing header in
    /// `headers`, adds `Content-Length`; adds `Host: 127.0.0.1:PORT` unless `headers` has one.
    public static func request(
        port: Int, method: String = "GET", path: String = "/", headers: [RawHeader] = [], body: [UInt8] = []
    ) async throws -> RawHTTPResponse {
        try await onThread {
            try requestNow(port: port, method: method, path: path, headers: headers, body: body)
        }
    }

    /// ``request(port:method:path:headers:body:)``, blocking the calling thread.
    public static func requestNow(
        port: Int, method: String = "GET", path: String = "/", headers: [RawHeader] = [], body: [UInt8] = []
    ) throws -> RawHTTPResponse {
        let connection = try RawHTTPConnection(port: UInt16(port))
        return try connection.exchange(
            method: method, path: path, headers: framed(port: port, headers: headers, body: body), body: body)
    }

    /// `headers` plus `Host` and `Content-Length` where the test left them out.
    public static func framed(port: Int, headers: [RawHeader], body: [UInt8]) -> [RawHeader] {
        var headers = headers
        if headers.first("host") == nil { headers.insert(RawHeader("Host", "127.0.0.1:\(port)"), at: 0) }
        if !body.isEmpty && headers.first("content-length") == nil && headers.first("transfer-encoding") == nil {
            headers.append(RawHeader("Content-Length", "\(body.count)"))
        }
        return headers
    }

    /// `body` in chunked transfer coding, in chunks of `size` bytes.
    public static func chunked(_ body: [UInt8], size: Int = 65_536) -> [UInt8] {
        var encoded: [UInt8] = []
        encoded.reserveCapacity(body.count + body.count / size * 12 + 16)
        var offset = 0
        while offset < body.count {
            let end = min(body.count, offset + size)
            encoded += Array(String(end - offset, radix: 16).utf8) + [13, 10]
            encoded += body[offset..<end]
            encoded += [13, 10]
            offset = end
        }
        encoded += Array("0\r\n\r\n".utf8)
        return encoded
    }
}
