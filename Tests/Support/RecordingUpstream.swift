import Foundation
import Glibc
import Synchronization

/// One header field as it went over the wire: the name in the sender's spelling, the value as is.
public struct RawHeader: Sendable, Equatable, CustomStringConvertible {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }

    public var description: String { "\(name): \(value)" }
}

extension [RawHeader] {
    /// The values of `name`, compared case-insensitively, in order.
    public func values(_ name: String) -> [String] {
        filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
    }

    /// The first value of `name`.
    public func first(_ name: String) -> String? { values(name).first }
}

/// An HTTP/1.1 server on 127.0.0.1 that stands in for the service behind a reverse proxy: it
/// keeps connections alive, reads `Content-Length` and chunked bodies, records every request it
/// received (method, target, headers in the sender's order and spelling, body, and which TCP
/// connection it came over) and answers what the test's `reply` says. Each connection gets a
/// thread; `stop()` closes the listener and every connection.
public final class RecordingUpstream: Sendable {
    /// A request as the upstream received it.
    public struct Received: Sendable {
        public var method: String
        public var target: String
        public var headers: [RawHeader]
        public var body: [UInt8]
        /// 1 for the first TCP connection the server accepted, 2 for the second…
        public var connection: Int
    }

    /// What to answer.
    public struct Reply: Sendable {
        public var status: Int
        public var headers: [RawHeader]
        public var body: [UInt8]
        /// How long to wait before answering (a slow upstream).
        public var delay: Duration
        /// The body goes in chunks (two, when it has more than one byte), without a length.
        public var chunked: Bool

        public init(
            status: Int = 200, headers: [RawHeader] = [], body: [UInt8] = [], delay: Duration = .zero, chunked: Bool = false
        ) {
            self.status = status
            self.headers = headers
            self.body = body
            self.delay = delay
            self.chunked = chunked
        }

        /// 200 with a text body naming the method and target.
        public static func `default`(_ request: Received) -> Reply {
            Reply(
                headers: [RawHeader("Content-Type", "text/plain")],
                body: Array("upstream saw \(request.method) \(request.target)\n".utf8))
        }
    }

    private struct State {
        var connections: [Int32] = []
        var accepted = 0
        var received: [Received] = []
        var stopped = false
    }

    /// The port the server listens on.
    public let port: UInt16
    private let listener: Int32
    private let reply: @Sendable (Received) -> Reply
    private let state = Mutex(State())

    /// Starts listening on an ephemeral port of 127.0.0.1.
    public init(reply: @escaping @Sendable (Received) -> Reply = Reply.default) throws {
        self.reply = reply
        let (handle, port) = try listenOnLoopback()
        listener = handle
        self.port = port
        let thread = Thread { [self] in acceptLoop() }
        thread.name = "recording-upstream-\(port)"
        thread.start()
    }

    deinit {
        stop()
    }

    /// Every request received so far, in the order their bodies were complete.
    public var received: [Received] { state.withLock { $0.received } }

    /// How many TCP connections the server has accepted.
    public var connectionCount: Int { state.withLock { $0.accepted } }

    /// Closes the listener and every open connection.
    public func stop() {
        let handles = state.withLock { state -> [Int32]? in
            guard !state.stopped else { return nil }
            state.stopped = true
            defer { state.connections.removeAll() }
            return state.connections
        }
        // Only the first stop may touch the descriptors. The accept loop closes the listener
        // once it is shut down, and `deinit` (which runs after that, since the loop's thread
        // holds `self`) stops again: by then the number may belong to another test's socket.
        guard let handles else { return }
        for handle in handles { shutdown(handle, Int32(SHUT_RDWR)) }
        shutdown(listener, Int32(SHUT_RDWR))
    }

    /// A port on 127.0.0.1 that nothing listens on (bound, then closed).
    public static func closedPort() throws -> UInt16 {
        let (handle, port) = try listenOnLoopback()
        close(handle)
        return port
    }

    private func acceptLoop() {
        defer { close(listener) }
        while true {
            let connection = accept(listener, nil, nil)
            if connection < 0 {
                if errno == EINTR { continue }
                return
            }
            let number = state.withLock { state -> Int? in
                guard !state.stopped else { return nil }
                state.accepted += 1
                state.connections.append(connection)
                return state.accepted
            }
            guard let number else {
                close(connection)
                return
            }
            let thread = Thread { [self] in
                serve(connection, number: number)
                let owned = state.withLock { state -> Bool in
                    guard let index = state.connections.firstIndex(of: connection) else { return false }
                    state.connections.remove(at: index)
                    return true
                }
                if owned { close(connection) }
            }
            thread.start()
        }
    }

    /// Serves requests on one connection until the client closes it or asks to.
    private func serve(_ connection: Int32, number: Int) {
        let reader = SocketReader(connection)
        while true {
            guard let head = reader.readHead() else { return }
            let lines = head.components(separatedBy: "\r\n")
            let requestLine = lines[0].split(separator: " ", omittingEmptySubsequences: true)
            guard requestLine.count >= 2 else { return }
            var headers: [RawHeader] = []
            for line in lines.dropFirst() where !line.isEmpty {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers.append(
                    RawHeader(
                        String(line[..<colon]), String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)))
            }
            let body: [UInt8]
            if headers.values("transfer-encoding").joined(separator: ",").lowercased().contains("chunked") {
                guard let chunked = reader.readChunkedBody() else { return }
                body = chunked
            } else if let length = headers.first("content-length").flatMap(Int.init), length > 0 {
                guard let bytes = reader.read(count: length) else { return }
                body = bytes
            } else {
                body = []
            }
            let request = Received(
                method: String(requestLine[0]), target: String(requestLine[1]), headers: headers, body: body, connection: number)
            state.withLock { $0.received.append(request) }
            let answer = reply(request)
            if answer.delay > .zero {
                Thread.sleep(
                    forTimeInterval: Double(answer.delay.components.seconds) + Double(answer.delay.components.attoseconds) / 1e18)
            }
            var text = "HTTP/1.1 \(answer.status) \(Self.reason(answer.status))\r\n"
            for header in answer.headers { text += "\(header.name): \(header.value)\r\n" }
            var wire: [UInt8]
            if answer.chunked {
                text += "Transfer-Encoding: chunked\r\n\r\n"
                wire = Array(text.utf8)
                let half = answer.body.count / 2
                for part in [answer.body[..<half], answer.body[half...]] where !part.isEmpty {
                    wire += Array("\(String(part.count, radix: 16))\r\n".utf8) + part + Array("\r\n".utf8)
                }
                wire += Array("0\r\n\r\n".utf8)
            } else {
                text += "Content-Length: \(answer.body.count)\r\n\r\n"
                wire = Array(text.utf8) + answer.body
            }
            guard reader.send(wire) else { return }
            if headers.values("connection").contains(where: { $0.lowercased().contains("close") }) { return }
        }
    }

    private static func reason(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 201: return "Created"
        case 204: return "No Content"
        case 404: return "Not Found"
        case 500: return "Internal Server Error"
        default: return "Status"
        }
    }
}

/// Buffered reads and whole writes on a connected socket, for the test servers and clients.
final class SocketReader {
    let handle: Int32
    private var buffer: [UInt8] = []
    private var scratch = [UInt8](repeating: 0, count: 65_536)

    init(_ handle: Int32) {
        self.handle = handle
    }

    /// Why the last read ended: "end of stream", or the errno of a failed `recv`.
    private(set) var ending = ""

    /// Reads more bytes into the buffer; false at the end of the stream or on an error.
    private func fill() -> Bool {
        let count = recv(handle, &scratch, scratch.count, 0)
        if count == 0 { ending = "the peer closed the connection" }
        if count < 0 { ending = "recv failed with errno \(errno)" }
        if count <= 0 { return false }
        buffer += scratch[0..<count]
        return true
    }

    /// The header block up to (without) the blank line, as text.
    func readHead() -> String? {
        while true {
            if let end = Self.find(Array("\r\n\r\n".utf8), in: buffer) {
                let head = String(decoding: buffer[0..<end], as: UTF8.self)
                buffer.removeFirst(end + 4)
                return head
            }
            if buffer.count > 1 << 20 || !fill() { return nil }
        }
    }

    /// One line without its CRLF.
    func readLine() -> String? {
        while true {
            if let end = Self.find(Array("\r\n".utf8), in: buffer) {
                let line = String(decoding: buffer[0..<end], as: UTF8.self)
                buffer.removeFirst(end + 2)
                return line
            }
            if !fill() { return nil }
        }
    }

    /// Exactly `count` bytes.
    func read(count: Int) -> [UInt8]? {
        while buffer.count < count {
            if !fill() { return nil }
        }
        let bytes = Array(buffer[0..<count])
        buffer.removeFirst(count)
        return bytes
    }

    /// Everything until the peer closes its side.
    func readToEnd() -> [UInt8] {
        while fill() {}
        defer { buffer.removeAll() }
        return buffer
    }

    /// A chunked body, decoded (trailers skipped).
    func readChunkedBody() -> [UInt8]? {
        var body: [UInt8] = []
        while true {
            guard let line = readLine() else { return nil }
            let sizeText = line.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            guard let size = Int(sizeText, radix: 16) else { return nil }
            if size == 0 {
                while let trailer = readLine(), !trailer.isEmpty {}
                return body
            }
            guard let chunk = read(count: size), readLine() != nil else { return nil }
            body += chunk
        }
    }

    func send(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let count = bytes[offset...].withUnsafeBytes { Glibc.send(handle, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if count <= 0 { return false }
            offset += count
        }
        return true
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        var index = 0
        while index <= haystack.count - needle.count {
            if haystack[index] == needle[0] && Array(haystack[index..<index + needle.count]) == needle { return index }
            index += 1
        }
        return nil
    }
}
