import NIOCore
import Testing

@testable import WasmtonGateway

/// The event-loop responder reads request heads itself; anything it cannot vouch for must go to
/// NIO's full decoder rather than be read differently.
@Suite("Request heads read from the connection's bytes")
struct RequestHeadTests {
    static func scan(_ text: String) -> RequestHead.Scan {
        RequestHead.scan(ByteBuffer(string: text))
    }

    static func head(_ text: String) throws -> (RequestHead, Int) {
        guard case .head(let head, let length) = scan(text) else {
            Issue.record("not read as a head: \(text.debugDescription)")
            throw CancellationError()
        }
        return (head, length)
    }

    @Test("a plain head: method, target, version, framing and the fields a direct answer needs")
    func plain() throws {
        let text =
            "POST /v1/m/op?x=1 HTTP/1.1\r\nHost: a\r\nContent-Type:  application/json \r\nACCEPT: application/msgpack\r\n"
            + "content-length: 12\r\nX-Request-Id: abc\r\n\r\n{\"name\":\"x\"}"
        let (head, length) = try Self.head(text)
        #expect(head.method == .post && head.uri == "/v1/m/op?x=1" && !head.isHTTP10 && head.keepAlive)
        #expect(head.bodyLength == 12 && head.contentLength == "12")
        #expect(head.contentType == "application/json" && head.accept == "application/msgpack")
        #expect(head.requestID == "abc" && !head.expects)
        #expect(length == text.utf8.count - 12, "the head ends after its empty line; the body follows")
    }

    @Test("keep-alive follows the version and the connection field's options")
    func keepAlive() throws {
        #expect(try Self.head("GET / HTTP/1.1\r\nConnection: Close\r\n\r\n").0.keepAlive == false)
        #expect(try Self.head("GET / HTTP/1.1\r\nconnection: x, close\r\n\r\n").0.keepAlive == false)
        #expect(try Self.head("GET / HTTP/1.0\r\n\r\n").0.keepAlive == false)
        #expect(try Self.head("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").0.keepAlive == true)
        #expect(try Self.head("GET / HTTP/1.0\r\n\r\n").0.isHTTP10)
    }

    @Test("a head not all here yet waits for more bytes; an endless one goes to NIO's decoder")
    func incomplete() {
        for partial in ["", "GET", "GET / HTTP/1.1\r", "GET / HTTP/1.1\r\nHost: a\r\n", "GET / HTTP/1.1\r\nHost: a\r\n\r"] {
            guard case .incomplete = Self.scan(partial) else {
                Issue.record("\(partial.debugDescription) should wait for more")
                continue
            }
        }
        let endless = "GET / HTTP/1.1\r\n" + String(repeating: "X-Pad: 0123456789\r\n", count: 600)
        guard case .unframed = Self.scan(endless) else {
            Issue.record("a head past \(RequestHead.maxLength) bytes should go to NIO's decoder")
            return
        }
    }

    @Test(
        "heads this reader does not vouch for go to NIO's decoder",
        arguments: [
            "POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
            "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
            "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
            "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
            "POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n",
            "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
            "POST / HTTP/1.1\r\nContent-Length: 1 2\r\n\r\n",
            "GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
            "CONNECT a:443 HTTP/1.1\r\n\r\n",
            "GET http://a/ HTTP/1.1\r\n\r\n",
            "GET / HTTP/2.0\r\n\r\n",
            "GET  / HTTP/1.1\r\n\r\n",
            "GET / HTTP/1.1\nHost: a\n\n",
            "GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",
            "GET / HTTP/1.1\r\nBad Name: a\r\n\r\n",
            "GET / HTTP/1.1\r\n: empty name\r\n\r\n",
            "GET / HTTP/1.1\r\nX: a\u{1}b\r\n\r\n",
            "GET / HTTP/1.1\r\nX-Request-Id: a\r\nX-Request-Id: b\r\n\r\n",
            "\r\nGET / HTTP/1.1\r\n\r\n",
        ])
    func unframed(text: String) {
        guard case .unframed = Self.scan(text) else {
            Issue.record("\(text.debugDescription) should go to NIO's decoder")
            return
        }
    }

    @Test("a chunked body is framed by its chunks, with no length")
    func chunked() throws {
        let (head, _) = try Self.head("POST /up HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
        #expect(head.chunked && head.bodyLength == 0 && head.contentLength == nil)
    }

    @Test("chunks are read as they arrive, with extensions and trailers; bad framing is refused")
    func chunkedBody() {
        let wire = Array("5;ext=1\r\nhello\r\nA\r\n0123456789\r\n0\r\nTrailer: x\r\n\r\nNEXT".utf8)
        // Fed a byte at a time, the reader gives the same data and ends in the same place.
        var reader = ChunkedBody()
        var buffer = ByteBuffer()
        var data: [UInt8] = []
        var ended = false
        for byte in wire {
            buffer.writeInteger(byte)
            loop: while true {
                switch reader.next(&buffer) {
                case .data(let bytes): data += Array(buffer: bytes)
                case .needMore: break loop
                case .end:
                    ended = true
                    break loop
                case .malformed:
                    Issue.record("well-formed chunks refused")
                    return
                }
            }
            if ended { break }
        }
        #expect(ended && String(decoding: data, as: UTF8.self) == "hello0123456789")
        for bad in ["zz\r\n", "5\r\nhelloXX", "5\nhello\r\n", "\r\n"] {
            var reader = ChunkedBody()
            var buffer = ByteBuffer(string: bad)
            var step = reader.next(&buffer)
            if case .data = step { step = reader.next(&buffer) }
            guard case .malformed = step else {
                Issue.record("\(bad.debugDescription) should be refused")
                continue
            }
        }
    }

    @Test("other methods are framed alike (so they can be passed on whole) but never taken directly")
    func otherMethods() throws {
        let (head, _) = try Self.head("DELETE /v1/x HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}")
        #expect(head.method == .other && head.bodyLength == 2)
        #expect(try Self.head("GET / HTTP/1.1\r\nExpect: 100-continue\r\n\r\n").0.expects)
    }
}
