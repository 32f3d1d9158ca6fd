import Foundation
import Logging
import Testing
import WasmtonGateway
import WasmtonRuntime
import WasmtonTestSupport

/// Bodies through filters that read them (`guests/src/proxy_test_body.c`): streamed chunk by
/// chunk with `end_of_stream` on the last call only, buffered only while a filter pauses, and a
/// local response partway through a body.
@Suite("proxy-wasm filters and bodies")
struct FilterBodyTests {
    /// Generous per-callback deadline: these tests are about buffering, and upper-casing megabytes
    /// in a debug build on a loaded CI machine can take seconds.
    static let sandbox = Sandbox(limits: Limits(timeout: .seconds(60)))

    static func upper(_ bytes: [UInt8]) -> [UInt8] {
        bytes.map { (97...122).contains($0) ? $0 - 32 : $0 }
    }

    /// Text with lower-case letters in it, so upper-casing shows on every chunk.
    static func letters(_ count: Int) -> [UInt8] {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789 \n".utf8)
        return (0..<count).map { alphabet[($0 &* 7 &+ $0 >> 10) % alphabet.count] }
    }

    @Test("a filter that rewrites every chunk streams a 1 MB upload and a 512 KB download; one end_of_stream each way")
    func streamedRewrite() async throws {
        let download = Self.letters(512 << 10)
        let upstream = try RecordingUpstream { request in
            RecordingUpstream.Reply(body: request.target == "/download" ? download : Array("got \(request.body.count)".utf8))
        }
        defer { upstream.stop() }
        let upload = Self.letters(1 << 20)
        let log = FilterLog()
        try await withProxy(
            filters: [FilterSpec("proxy_test_body")], upstream: upstream.port, sandbox: Self.sandbox, logger: log.logger
        ) { port in
            for framing in ["chunked", "content-length"] {
                let answer = try await RawHTTP.request(
                    port: port, method: "POST", path: "/upload",
                    headers: framing == "chunked"
                        ? [RawHeader("x-body-mode", "upper"), RawHeader("Transfer-Encoding", "chunked")]
                        : [RawHeader("x-body-mode", "upper")],
                    body: framing == "chunked" ? RawHTTP.chunked(upload) : upload)
                #expect(answer.status == 200, "\(framing): \(answer.status) \(answer.text)")
                #expect(
                    same(upstream.received.last?.body, Self.upper(upload)), "\(framing): the upstream got every chunk rewritten")
                #expect(answer.headers.first("x-request-bytes") == "\(upload.count)", "\(framing)")
                #expect(answer.headers.first("x-request-ends") == "1", "\(framing): end_of_stream exactly once")
                let calls = Int(answer.headers.first("x-request-calls") ?? "") ?? 0
                #expect(calls > 1, "\(framing): a 1 MB body arrives in more than one callback, not buffered whole")
            }
            let answer = try await RawHTTP.request(port: port, path: "/download", headers: [RawHeader("x-body-mode", "upper")])
            #expect(answer.status == 200)
            #expect(same(answer.body, Self.upper(download)), "\(answer.body.count) bytes")
            #expect(answer.headers.first("content-length") == "\(download.count)")
        }
        let summary = log.messages.last { $0.message.hasPrefix("response calls=") }?.message ?? ""
        #expect(summary.hasSuffix("bytes=\(download.count) ends=1"), "\(summary)")
        let responseCalls = Int(summary.split(separator: " ").first { $0.hasPrefix("calls=") }?.dropFirst(6) ?? "") ?? 0
        #expect(responseCalls > 1, "the download went through in more than one callback: \(summary)")
    }

    @Test("a filter that pauses until the end sees the whole body; the host recomputes Content-Length both ways")
    func bufferedRewrite() async throws {
        let upstream = try RecordingUpstream { request in
            RecordingUpstream.Reply(body: Self.letters(70_000))
        }
        defer { upstream.stop() }
        let upload = Self.letters(300_000)
        try await withProxy(
            filters: [FilterSpec("proxy_test_body")], upstream: upstream.port, sandbox: Self.sandbox, direct: false
        ) { port in
            for framing in ["chunked", "content-length"] {
                let answer = try await RawHTTP.request(
                    port: port, method: "POST", path: "/collect",
                    headers: framing == "chunked"
                        ? [RawHeader("x-body-mode", "collect"), RawHeader("Transfer-Encoding", "chunked")]
                        : [RawHeader("x-body-mode", "collect")],
                    body: framing == "chunked" ? RawHTTP.chunked(upload, size: 8_192) : upload)
                #expect(answer.status == 200, "\(framing): \(answer.status) \(answer.text)")
                let received = try #require(upstream.received.last)
                let expected = "seen \(upload.count) bytes"
                #expect(String(decoding: received.body, as: UTF8.self) == expected, "\(framing)")
                #expect(received.headers.first("content-length") == "\(expected.utf8.count)", "\(framing)")
                #expect(received.headers.first("transfer-encoding") == nil, "\(framing)")
                #expect(answer.text == "response had 70000 bytes", "\(framing)")
                #expect(answer.headers.first("content-length") == "\(answer.body.count)")
                #expect(answer.headers.first("x-response-bytes") == "70000", "headers held until the body's end can still change")
            }
        }
    }

    @Test("a filter that buffers more than --max-body-size: 413 for a request body, 502 for a response body")
    func bufferLimit() async throws {
        let upstream = try RecordingUpstream { request in
            RecordingUpstream.Reply(body: Self.letters(request.target == "/big" ? 100_000 : 10))
        }
        defer { upstream.stop() }
        try await withProxy(
            filters: [FilterSpec("proxy_test_body")], upstream: upstream.port, sandbox: Self.sandbox,
            configure: { $0.maxBodyBytes = 64 << 10 }
        ) { port in
            let request = try await RawHTTP.request(
                port: port, method: "POST", path: "/small", headers: [RawHeader("x-body-mode", "collect")],
                body: Self.letters(200_000))
            #expect(request.status == 413, "\(request.status) \(request.text)")
            #expect(request.reason == "payload_too_large", "\(request.text)")
            #expect(upstream.received.isEmpty, "nothing went upstream")
            let response = try await RawHTTP.request(
                port: port, method: "POST", path: "/big", headers: [RawHeader("x-body-mode", "collect")], body: [])
            #expect(response.status == 502, "\(response.status) \(response.text)")
            #expect(response.reason == "response_too_large", "\(response.text)")
            // A body the same size streams through a filter that does not hold it.
            let streamed = try await RawHTTP.request(
                port: port, method: "POST", path: "/big", headers: [RawHeader("x-body-mode", "upper")],
                body: Self.letters(200_000))
            #expect(streamed.status == 200)
            #expect(same(streamed.body, Self.upper(Self.letters(100_000))))
        }
    }

    @Test("a local response partway through a streamed upload answers the client; the upstream never gets the whole body")
    func localResponseMidBody() async throws {
        let upstream = try RecordingUpstream { request in
            RecordingUpstream.Reply(body: Array("got \(request.body.count)".utf8))
        }
        defer { upstream.stop() }
        let upload = Self.letters(2 << 20)
        try await withProxy(
            filters: [FilterSpec("proxy_test_body")], upstream: upstream.port, sandbox: Self.sandbox, direct: false
        ) { port in
            let answer = try await RawHTTP.request(
                port: port, method: "POST", path: "/upload",
                headers: [
                    RawHeader("x-body-mode", "limit"), RawHeader("x-body-limit", "100000"),
                    RawHeader("Transfer-Encoding", "chunked"),
                ],
                body: RawHTTP.chunked(upload))
            #expect(answer.status == 413, "\(answer.status) \(answer.text)")
            #expect(answer.text == "too big\n")
            #expect(!upstream.received.contains { $0.body.count == upload.count }, "the upstream never got the whole body")
            let small = try await RawHTTP.request(
                port: port, method: "POST", path: "/upload",
                headers: [RawHeader("x-body-mode", "limit"), RawHeader("x-body-limit", "100000")], body: Self.letters(50_000))
            #expect(small.status == 200)
            #expect(small.text == "got 50000")
        }
    }

    @Test("in serve, a streaming filter rewrites what the waPC function gets")
    func serveStreams() async throws {
        try await withFilteredGateway(filters: [FilterSpec("proxy_test_body")]) { port in
            let answer = try await RawHTTP.request(
                port: port, method: "POST", path: "/v1/wapc_echo/echo",
                headers: [
                    RawHeader("Content-Type", "application/octet-stream"), RawHeader("Accept", "application/octet-stream"),
                    RawHeader("x-body-mode", "upper"),
                ],
                body: Array("hello filters".utf8))
            #expect(answer.status == 200, "\(answer.status) \(answer.text)")
            #expect(answer.text == "HELLO FILTERS")
            #expect(answer.headers.first("x-request-ends") == "1")
            let collected = try await RawHTTP.request(
                port: port, method: "POST", path: "/v1/wapc_echo/echo",
                headers: [
                    RawHeader("Content-Type", "application/octet-stream"), RawHeader("Accept", "application/octet-stream"),
                    RawHeader("x-body-mode", "collect"),
                ],
                body: Array("twelve bytes".utf8))
            #expect(collected.status == 200, "\(collected.status) \(collected.text)")
            // The function got "seen 12 bytes" (13 bytes) and echoed it.
            #expect(collected.text == "response had 13 bytes", "\(collected.text)")
        }
    }
}
