import Foundation
import Testing
import WasmtonTestSupport

/// `--otlp-endpoint`: OpenTelemetry spans exported over OTLP/HTTP to a collector (here a
/// recording HTTP server on 127.0.0.1), for HTTP request → filter chain → guest call and
/// record → guest call → produce.
@Suite("OpenTelemetry traces")
struct TracingTests {
    /// Everything the collector got on /v1/traces, as one byte string (span names and attribute
    /// keys are plain UTF-8 inside OTLP's protobuf).
    static func exported(_ collector: RecordingUpstream) -> String {
        let posts = collector.received.filter { $0.method == "POST" && $0.target == "/v1/traces" }
        return posts.map { String(decoding: $0.body, as: UTF8.self) }.joined()
    }

    @Test("serve: the request, the filter chain and the guest call are spans, flushed at SIGTERM")
    func serveSpans() throws {
        let collector = try RecordingUpstream()
        defer { collector.stop() }
        let server = try RunningWasmton([
            "serve", CLI.guest("cuckoo_filter.wasm"), "--port", "0", "--pool-size", "1", "--filter",
            CLI.guest("proxy_header_filter.wasm"), "--otlp-endpoint", "http://127.0.0.1:\(collector.port)",
        ])
        let port = try server.waitForListening()
        let answer = try RawHTTP.requestNow(
            port: port, method: "POST", path: "/v1/cuckoo_filter/check_word_exists",
            headers: [RawHeader("Content-Type", "application/json")], body: Array(#"{"name":"foo"}"#.utf8))
        #expect(answer.status == 200)
        // The request's own span ends just after its response is written, which the client may
        // have read already; a SIGTERM in that instant would race the span's end with the flush.
        Thread.sleep(forTimeInterval: 0.3)
        #expect(server.stop() == 0)
        let posts = collector.received.filter { $0.target == "/v1/traces" }
        #expect(!posts.isEmpty, "the exporter posted to /v1/traces: \(collector.received.map(\.target))")
        #expect(posts.allSatisfy { $0.headers.first("content-type") == "application/x-protobuf" })
        let spans = Self.exported(collector)
        for name in [
            "guest call cuckoo_filter/check_word_exists", "filters request headers", "filters response headers", "http.route",
        ] {
            #expect(spans.contains(name), "span or attribute \(name) exported")
        }
    }

    @Test("process: each record is a span with the guest call inside")
    func processSpans() throws {
        let collector = try RecordingUpstream()
        defer { collector.stop() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let input = try dir.write("records.jsonl", "{\"key\": \"a\", \"value\": \"one\"}\n{\"key\": \"b\", \"value\": \"two\"}\n")
        let result = try CLI.run([
            "process", CLI.guest("task_probe.wasm"), "--input", input, "--input-format", "jsonl", "--output",
            dir.file("out.jsonl"), "--otlp-endpoint", "http://127.0.0.1:\(collector.port)",
        ])
        #expect(result.status == 0, "\(result)")
        let spans = Self.exported(collector)
        for name in ["record records.jsonl", "guest call run", "produce output", "messaging.kafka.offset"] {
            #expect(spans.contains(name), "span or attribute \(name) exported")
        }
    }

    @Test("proxy: the upstream gets the trace context (traceparent) of the proxy's span")
    func proxyPropagates() throws {
        let upstream = try RecordingUpstream()
        defer { upstream.stop() }
        let collector = try RecordingUpstream()
        defer { collector.stop() }
        let proxy = try RunningWasmton([
            "proxy", "--listen", "127.0.0.1:0", "--upstream", "http://127.0.0.1:\(upstream.port)", "--otlp-endpoint",
            "http://127.0.0.1:\(collector.port)",
        ])
        let port = try proxy.waitForListening()
        let traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
        let answer = try RawHTTP.requestNow(
            port: port, path: "/traced", headers: [RawHeader("traceparent", "00-\(traceID)-00f067aa0ba902b7-01")])
        #expect(answer.status == 200)
        let forwarded = upstream.received.last?.headers.first("traceparent") ?? ""
        #expect(forwarded.hasPrefix("00-\(traceID)-"), "the client's trace continues upstream: \(forwarded)")
        #expect(!forwarded.contains("00f067aa0ba902b7"), "with the proxy's own span as the parent")
        #expect(proxy.stop() == 0)
    }
}
