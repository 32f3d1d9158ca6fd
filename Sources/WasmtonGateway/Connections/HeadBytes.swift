import HTTPTypes
import NIOCore

/// An HTTP/1.x head (status or request line, then header lines) put together byte by byte, for
/// the ``EventLoopResponder``'s answers and the proxy's answers and upstream requests: written
/// by whole strings (a header line in one write) straight into the buffer that goes to the
/// socket, with room left for the body, instead of a header collection that an encoder walks
/// again.
///
/// The values come from Swift HTTP Types' fields (validated when they were made), from the
/// client's own `x-request-id` (which ``RequestHead`` took only without control bytes), from an
/// upstream's head as NIO's parser read it, from the filters' header list once ``ProxyHeaders``
/// has legalized it, and from Wasmton itself, so no line can carry a CR or LF of its own.
struct HeadBytes {
    /// The head so far; a caller may go on writing the body into it.
    private(set) var buffer: ByteBuffer

    /// `capacity`: the head's and any body's bytes the buffer should hold without growing.
    init(capacity: Int) {
        buffer = ByteBufferAllocator().buffer(capacity: capacity)
    }

    /// The head as text (for tests and logs).
    var text: String { String(buffer: buffer) }

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
        append(" ")
        append(reason)
        append("\r\n")
    }

    /// An HTTP/1.1 request line for `method` (a token: the caller checked) and the target
    /// `prefix` + `path` (the prefix may be empty). A space or a control byte in the target (a
    /// filter may set any `:path`) goes percent-encoded, so it can neither end the line nor
    /// split it.
    mutating func requestLine(method: String, prefix: String, path: String) {
        append(method)
        append(" ")
        target(prefix)
        target(path)
        append(" HTTP/1.1\r\n")
    }

    private mutating func target(_ text: String) {
        var text = text
        text.withUTF8 { utf8 in
            guard utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) else {
                buffer.writeBytes(UnsafeRawBufferPointer(utf8))
                return
            }
            let hex = Array("0123456789ABCDEF".utf8)
            for byte in utf8 {
                if byte <= 0x20 || byte == 0x7F {
                    buffer.writeBytes([UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
                } else {
                    buffer.writeInteger(byte)
                }
            }
        }
    }

    /// A header line, in one write of the buffer.
    mutating func field(_ name: String, _ value: String) {
        var name = name
        var value = value
        name.withUTF8 { name in
            value.withUTF8 { value in
                let count = name.count + value.count + 4
                buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { out in
                    let base = out.baseAddress!
                    base.copyMemory(from: name.baseAddress!, byteCount: name.count)
                    base.storeBytes(of: 0x203A, toByteOffset: name.count, as: UInt16.self)  // ": "
                    (base + name.count + 2).copyMemory(from: value.baseAddress!, byteCount: value.count)
                    base.storeBytes(of: 0x0A0D, toByteOffset: count - 2, as: UInt16.self)  // "\r\n"
                    return count
                }
            }
        }
    }

    /// A string's bytes, copied from where they lie (writing a `String.UTF8View` walks it
    /// byte by byte).
    private mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { _ = buffer.writeBytes(UnsafeRawBufferPointer($0)) }
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

    /// The body after the head, in the same buffer (taken from ``buffer`` only afterwards, so
    /// that the write does not copy the head first).
    mutating func append(_ body: inout ByteBuffer) {
        buffer.writeBuffer(&body)
    }

    mutating func append(_ text: StaticString) {
        buffer.writeStaticString(text)
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
            self.buffer.writeBytes(UnsafeRawBufferPointer(rebasing: buffer[(20 - count)...]))
        }
    }
}
