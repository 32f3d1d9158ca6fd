import HTTPTypes

/// An HTTP/1.x response head (status line and header lines) put together byte by byte, for the
/// ``EventLoopResponder``'s answers: one array that grows by whole strings, instead of a
/// header collection that an encoder walks again, or a buffer written in a dozen small writes.
///
/// The values come from Swift HTTP Types' fields (validated when they were made), from the
/// client's own `x-request-id` (which ``RequestHead`` took only without control bytes), from an
/// upstream's head as NIO's parser read it, from the filters' header list once ``ProxyHeaders``
/// has legalized it, and from Wasmton itself, so no line can carry a CR or LF of its own.
struct ResponseHeadBytes {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int) {
        bytes.reserveCapacity(capacity)
    }

    mutating func statusLine(_ status: HTTPResponse.Status, http10: Bool) {
        if status == .ok {
            append(http10 ? "HTTP/1.0 200 OK\r\n" : "HTTP/1.1 200 OK\r\n")
            return
        }
        statusLine(code: status.code, reason: status.reasonPhrase, http10: http10)
    }

    /// A status line with the reason phrase given (the upstream's, or the standard one).
    mutating func statusLine(code: Int, reason: String, http10: Bool) {
        append(http10 ? "HTTP/1.0 " : "HTTP/1.1 ")
        number(code)
        bytes.append(UInt8(ascii: " "))
        append(reason)
        append("\r\n")
    }

    mutating func field(_ name: String, _ value: String) {
        append(name)
        append(": ")
        append(value)
        append("\r\n")
    }

    /// A string's bytes, copied from where they lie (appending a `String.UTF8View` walks it
    /// byte by byte).
    private mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }

    /// `connection: close` when the connection ends after this answer; `connection: keep-alive`
    /// to an HTTP/1.0 client that asked to keep it.
    mutating func connection(closes: Bool, http10: Bool) {
        if closes {
            append("connection: close\r\n")
        } else if http10 {
            append("connection: keep-alive\r\n")
        }
    }

    /// Ends a head whose body may have no length: `transfer-encoding: chunked` when the head
    /// gave no `content-length` (`sized`) and a response with `status` carries a body, then
    /// ``connection(closes:http10:)`` for HTTP/1.1 and the empty line. Returns whether the body
    /// goes in chunks.
    mutating func end(sized: Bool, status: Int, closes: Bool) -> Bool {
        let chunked = !sized && status >= 200 && status != 204 && status != 304
        if chunked { append("transfer-encoding: chunked\r\n") }
        connection(closes: closes, http10: false)
        append("\r\n")
        return chunked
    }

    mutating func contentLength(_ length: Int) {
        append("content-length: ")
        number(length)
        append("\r\n")
    }

    mutating func append(_ text: StaticString) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// A non-negative integer's decimal digits.
    private mutating func number(_ value: Int) {
        var digits:
            (
                UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                UInt8, UInt8, UInt8, UInt8
            ) =
                (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var rest = max(0, value)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[19 - count] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
                count += 1
            } while rest > 0
            bytes.append(contentsOf: buffer[(20 - count)...])
        }
    }
}
