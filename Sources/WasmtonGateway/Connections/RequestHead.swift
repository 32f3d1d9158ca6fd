import HTTPTypes
import NIOCore

/// An HTTP/1.x request head read straight from the connection's bytes by the
/// ``EventLoopResponder``: the request line, how the request is framed, and the few fields a
/// ``DirectRequest`` needs, without building NIO's or Swift HTTP Types' header collections.
///
/// The reader is deliberately narrower than HTTP allows: it takes only heads whose every line is
/// plainly well formed (no folded lines, no bare LF, no control bytes, a token for each name)
/// and framed by at most one `content-length` or by `transfer-encoding: chunked` alone. Anything else is ``Scan/unframed``, and the
/// connection's bytes from there on go to NIO's full HTTP/1 decoder, which knows the rest of
/// HTTP and its errors. Since a head is taken only when it is unambiguous, the two readers never
/// see the same bytes differently.
struct RequestHead {
    /// What the start of a connection's unread bytes holds.
    enum Scan {
        /// Not a whole head yet: wait for more bytes.
        case incomplete
        /// A head this reader does not take (or more than ``RequestHead/maxLength`` bytes without
        /// an end): from here on the connection belongs to NIO's decoder.
        case unframed
        /// A whole head, `length` bytes long, followed by a body of `head.bodyLength` bytes, or
        /// in chunks when `head.chunked`.
        case head(RequestHead, length: Int)
    }

    enum Method {
        case get
        case post
        /// Any other method: never answered directly, but framed alike.
        case other
    }

    /// The longest head read here; a longer one is left to NIO's decoder (and its limits).
    static let maxLength = 8_192

    let method: Method
    /// The request target as sent (path and query).
    let uri: String
    /// `HTTP/1.0` rather than `HTTP/1.1`.
    let isHTTP10: Bool
    /// The client keeps the connection open after the answer (HTTP/1.1 without
    /// `connection: close`, or HTTP/1.0 with `connection: keep-alive`).
    let keepAlive: Bool
    /// The body's length by its `content-length` (0 when it has none, or comes in chunks).
    let bodyLength: Int
    /// The body comes in chunks (`transfer-encoding: chunked`, without `content-length`).
    let chunked: Bool
    /// The `content-length` value as sent, for the access log.
    let contentLength: String?
    let contentType: String?
    let accept: String?
    let requestID: String?
    /// An `expect` field (100-continue): Hummingbird's router answers those.
    let expects: Bool

    /// Reads the head at the start of `buffer`'s readable bytes.
    static func scan(_ buffer: ByteBuffer) -> Scan {
        buffer.withUnsafeReadableBytes { bytes in
            var reader = Reader(bytes: bytes)
            return reader.scan()
        }
    }

    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        var index = 0

        /// The next line's end (the index of its CR), nil when it has not all arrived; a bare LF or
        /// a control byte makes the head unreadable here (`throw`).
        mutating func line() throws(Unframed) -> Range<Int>? {
            let start = index
            while index < bytes.count {
                let byte = bytes[index]
                if byte == 13 {  // CR: must be followed by LF
                    guard index + 1 < bytes.count else { return nil }
                    guard bytes[index + 1] == 10 else { throw Unframed() }
                    let line = start..<index
                    index += 2
                    return line
                }
                // Visible ASCII, space, tab and bytes ≥ 0x80 (obs-text); nothing else.
                guard byte >= 32 || byte == 9, byte != 127 else { throw Unframed() }
                index += 1
            }
            return nil
        }

        mutating func scan() -> Scan {
            do throws(Unframed) {
                guard let requestLine = try line() else { return incomplete() }
                let (method, uri, isHTTP10) = try Self.requestLine(bytes, requestLine)
                var fields = Fields()
                while true {
                    guard let field = try line() else { return incomplete() }
                    if field.isEmpty { break }
                    try fields.add(bytes, field)
                }
                // A protocol switch leaves HTTP/1 framing behind: NIO's decoder handles it. A
                // length beside chunks is ambiguous (RFC 9112 §6.3): NIO's decoder refuses it.
                if fields.upgrade || (fields.chunked && fields.contentLength != nil) { throw Unframed() }
                if fields.chunked && isHTTP10 { throw Unframed() }
                let keepAlive = isHTTP10 ? fields.connectionKeepAlive : !fields.connectionClose
                let head = RequestHead(
                    method: method, uri: uri, isHTTP10: isHTTP10, keepAlive: keepAlive,
                    bodyLength: fields.bodyLength ?? 0, chunked: fields.chunked, contentLength: fields.contentLength,
                    contentType: fields.contentType, accept: fields.accept, requestID: fields.requestID,
                    expects: fields.expects)
                return .head(head, length: index)
            } catch {
                return .unframed
            }
        }

        private func incomplete() -> Scan {
            bytes.count > RequestHead.maxLength ? .unframed : .incomplete
        }

        /// `METHOD SP origin-form SP HTTP/1.x`; CONNECT and other target forms are not taken.
        static func requestLine(
            _ bytes: UnsafeRawBufferPointer, _ line: Range<Int>
        ) throws(Unframed) -> (
            Method, String, Bool
        ) {
            guard let firstSpace = bytes[line].firstIndex(of: 32) else { throw Unframed() }
            let methodBytes = bytes[line.lowerBound..<firstSpace]
            guard !methodBytes.isEmpty, methodBytes.allSatisfy(HeaderText.isTokenByte) else { throw Unframed() }
            let method: Method
            if HeaderText.spells(methodBytes, "GET") {
                method = .get
            } else if HeaderText.spells(methodBytes, "POST") {
                method = .post
            } else if HeaderText.spells(methodBytes, "CONNECT") {
                throw Unframed()
            } else {
                method = .other
            }
            let versionStart = line.upperBound - 8
            guard versionStart > firstSpace + 1, bytes[versionStart - 1] == 32 else { throw Unframed() }
            let version = bytes[versionStart..<line.upperBound]
            let isHTTP10: Bool
            if HeaderText.spells(version, "HTTP/1.1") {
                isHTTP10 = false
            } else if HeaderText.spells(version, "HTTP/1.0") {
                isHTTP10 = true
            } else {
                throw Unframed()
            }
            let target = bytes[(firstSpace + 1)..<(versionStart - 1)]
            // An origin-form target: a path, visible ASCII only.
            guard target.first == UInt8(ascii: "/"), target.allSatisfy({ $0 > 32 && $0 < 127 }) else {
                throw Unframed()
            }
            return (method, String(decoding: target, as: UTF8.self), isHTTP10)
        }
    }

    /// The head's fields that matter here; a field that changes the framing (or appears twice
    /// where once is all this reader can vouch for) makes the head unframed.
    private struct Fields {
        var bodyLength: Int?
        var chunked = false
        var contentLength: String?
        var contentType: String?
        var accept: String?
        var requestID: String?
        var expects = false
        var upgrade = false
        var connectionClose = false
        var connectionKeepAlive = false

        mutating func add(_ bytes: UnsafeRawBufferPointer, _ line: Range<Int>) throws(Unframed) {
            guard let colon = bytes[line].firstIndex(of: UInt8(ascii: ":")), colon > line.lowerBound else {
                throw Unframed()  // also a folded line, which starts with a space
            }
            let name = bytes[line.lowerBound..<colon]
            guard name.allSatisfy(HeaderText.isTokenByte) else { throw Unframed() }
            let value = bytes[HeaderText.trimmed(bytes, (colon + 1)..<line.upperBound)]
            func text() -> String { String(decoding: value, as: UTF8.self) }

            if HeaderText.equals(name, "content-length") {
                guard contentLength == nil, !value.isEmpty, value.count <= 18,
                    value.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
                else { throw Unframed() }
                bodyLength = value.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
                contentLength = text()
            } else if HeaderText.equals(name, "transfer-encoding") {
                // Only chunked alone; any other coding is NIO's decoder's to judge.
                guard !chunked, HeaderText.equals(value, "chunked") else { throw Unframed() }
                chunked = true
            } else if HeaderText.equals(name, "content-type") {
                guard contentType == nil else { throw Unframed() }
                contentType = text()
            } else if HeaderText.equals(name, "accept") {
                guard accept == nil else { throw Unframed() }
                accept = text()
            } else if HeaderText.equals(name, "x-request-id") {
                guard requestID == nil else { throw Unframed() }
                requestID = text()
            } else if HeaderText.equals(name, "connection") {
                for option in value.split(separator: UInt8(ascii: ",")) {
                    let option = bytes[HeaderText.trimmed(bytes, option.startIndex..<option.endIndex)]
                    if HeaderText.equals(option, "close") { connectionClose = true }
                    if HeaderText.equals(option, "keep-alive") { connectionKeepAlive = true }
                    if HeaderText.equals(option, "upgrade") { upgrade = true }
                }
            } else if HeaderText.equals(name, "expect") {
                expects = true
            } else if HeaderText.equals(name, "upgrade") {
                upgrade = true
            }
        }
    }

    private struct Unframed: Error {}
}

extension RequestHead {
    /// The request as Swift HTTP Types has it, from this head's bytes (`headBytes`, which
    /// ``scan(_:)`` read), as Hummingbird's HTTP/1 conversion would make it: the first `host` is
    /// the authority, every other field kept in order; nil when a name or the method is not one
    /// HTTP Types takes.
    func httpRequest(_ headBytes: ByteBuffer) -> HTTPRequest? {
        headBytes.withUnsafeReadableBytes { bytes -> HTTPRequest? in
            guard let space = bytes.firstIndex(of: 32),
                let method = HTTPRequest.Method(String(decoding: bytes[..<space], as: UTF8.self)),
                var index = bytes.firstIndex(of: 10).map({ $0 + 1 })
            else { return nil }
            var fields = HTTPFields()
            fields.reserveCapacity(16)
            var authority: String?
            // Lines end in CRLF and hold a colon (``scan(_:)`` checked both).
            while index + 1 < bytes.count, bytes[index] != 13 {
                guard let end = bytes[index...].firstIndex(of: 13), let colon = bytes[index..<end].firstIndex(of: 58)
                else { return nil }
                let value = String(decoding: bytes[HeaderText.trimmed(bytes, (colon + 1)..<end)], as: UTF8.self)
                if authority == nil, HeaderText.equals(bytes[index..<colon], "host") {
                    authority = value
                    index = end + 2
                    continue
                }
                let name = String(decoding: bytes[index..<colon], as: UTF8.self)
                index = end + 2
                guard let fieldName = HTTPField.Name(name) else { return nil }
                fields.append(HTTPField(name: fieldName, value: value))
            }
            return HTTPRequest(method: method, scheme: "http", authority: authority, path: uri, headerFields: fields)
        }
    }
}
