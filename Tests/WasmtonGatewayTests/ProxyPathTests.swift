import Foundation
import HTTPTypes
import NIOHTTP1
import Testing
import WasmtonContracts
import WasmtonTestSupport

@testable import WasmtonGateway

/// ``withProxyInstance(filters:upstream:workers:sandbox:logger:configure:_:)`` with the
/// event-loop path on, whatever `WASMTON_TEST_PROXY_PATH` says.
func withDirectProxy(
    filters: [FilterSpec], upstream: UInt16, configure: (inout FilteringProxy.Configuration) -> Void = { _ in },
    _ body: @Sendable (Int, FilteringProxy) async throws -> Void
) async throws {
    try await withProxyInstance(
        filters: filters, upstream: upstream,
        configure: { configuration in
            configuration.directPath = true
            configure(&configuration)
        }, body)
}

/// The proxy's event-loop path (``ProxyConnection``): its upstream pool, request order
/// on a connection, hand-over to the Hummingbird path, and failures on either side.
@Suite("proxy: the event-loop path")
struct ProxyPathTests {
    @Test("keep-alive: 40 requests on 4 client connections open at most one upstream connection per event loop")
    func upstreamReuse() async throws {
        let upstream = try RecordingUpstream()
        defer { upstream.stop() }
        for filters in [[], [FilterSpec("proxy_header_filter")]] {
            let before = upstream.connectionCount
            try await withDirectProxy(filters: filters, upstream: upstream.port) { port, proxy in
                let statuses = try await RawHTTP.onThread { () -> [Int] in
                    var statuses: [Int] = []
                    for connection in 0..<4 {
                        let client = try RawHTTPConnection(port: UInt16(port))
                        for index in 0..<10 {
                            statuses.append(
                                try client.exchange(path: "/r/\(connection)/\(index)", headers: [RawHeader("Host", "x")]).status)
                        }
                    }
                    return statuses
                }
                #expect(statuses == Array(repeating: 200, count: 40))
                let opened = upstream.connectionCount - before
                #expect(opened >= 1 && opened <= 2, "\(opened) upstream connections for 40 requests")
                #expect(proxy.statistics.direct == 40, "\(proxy.statistics)")
                #expect(proxy.statistics.upstreamConnects == opened)
            }
        }
    }

    @Test("pipelined requests are answered in order, each with its own answer")
    func pipelined() async throws {
        let upstream = try RecordingUpstream()
        defer { upstream.stop() }
        try await withDirectProxy(filters: [FilterSpec("proxy_header_filter")], upstream: upstream.port) { port, proxy in
            let texts = try await RawHTTP.onThread { () -> [String] in
                let client = try RawHTTPConnection(port: UInt16(port))
                var batch: [UInt8] = []
                for index in 0..<12 { batch += Array("GET /p/\(index) HTTP/1.1\r\nHost: h\(index)\r\n\r\n".utf8) }
                try client.send(batch)
                return try (0..<12).map { _ in try client.readResponse().text }
            }
            #expect(texts == (0..<12).map { "upstream saw GET /p/\($0)\n" })
            #expect(upstream.received.map { $0.headers.first("x-hello") } == (0..<12).map { "Hello world from h\($0)" })
            #expect(proxy.statistics.direct == 12)
        }
    }

    @Test("requests the event-loop path passes on (a body through filters) keep their place among the others")
    func mixed() async throws {
        let upstream = try RecordingUpstream()
        defer { upstream.stop() }
        try await withDirectProxy(filters: [FilterSpec("proxy_header_filter")], upstream: upstream.port) { port, proxy in
            let answers = try await RawHTTP.onThread { () -> [String] in
                let client = try RawHTTPConnection(port: UInt16(port))
                let requests: [(method: String, path: String, body: String)] = [
                    ("GET", "/m/0", ""), ("POST", "/m/1", "first"), ("GET", "/m/2", ""), ("POST", "/m/3", "posted"),
                    ("GET", "/m/4", ""), ("GET", "/m/5", ""), ("POST", "/m/6", "again"), ("GET", "/m/7", ""),
                ]
                var batch: [UInt8] = []
                for request in requests {
                    var text = "\(request.method) \(request.path) HTTP/1.1\r\nHost: h\r\n"
                    if !request.body.isEmpty { text += "Content-Length: \(request.body.utf8.count)\r\n" }
                    batch += Array((text + "\r\n" + request.body).utf8)
                }
                try client.send(batch)
                return try requests.map { request in
                    let answer = try client.readResponse(method: request.method)
                    return "\(answer.status) \(answer.text)"
                }
            }
            #expect(
                answers == [
                    "200 upstream saw GET /m/0\n", "200 upstream saw POST /m/1\n", "200 upstream saw GET /m/2\n",
                    "200 upstream saw POST /m/3\n", "200 upstream saw GET /m/4\n", "200 upstream saw GET /m/5\n",
                    "200 upstream saw POST /m/6\n", "200 upstream saw GET /m/7\n",
                ])
            #expect(upstream.received.map(\.target) == (0..<8).map { "/m/\($0)" })
            #expect(upstream.received.first { $0.target == "/m/6" }?.body == Array("again".utf8))
            // Pipelined behind a passed-on request, the rest is passed on too (its answer comes first).
            let pipelined = proxy.statistics
            #expect(pipelined.direct >= 1 && pipelined.passedOn >= 1, "\(pipelined)")
            #expect(pipelined.direct + pipelined.passedOn == 8, "\(pipelined)")

            // One at a time, each request takes its own path again.
            let sequential = try await RawHTTP.onThread { () -> [String] in
                let client = try RawHTTPConnection(port: UInt16(port))
                return try (0..<6).map { index in
                    let body = index % 2 == 1 ? Array("b\(index)".utf8) : []
                    var headers = [RawHeader("Host", "h")]
                    if !body.isEmpty { headers.append(RawHeader("Content-Length", "\(body.count)")) }
                    let method = body.isEmpty ? "GET" : "POST"
                    let text = try client.exchange(method: method, path: "/s/\(index)", headers: headers, body: body).text
                    // A client can have a whole sized answer before Hummingbird writes its end
                    // (the part that hands the connection back): the next request waits for it.
                    if !body.isEmpty { Thread.sleep(forTimeInterval: 0.2) }
                    return text
                }
            }
            #expect(sequential == (0..<6).map { "upstream saw \($0 % 2 == 1 ? "POST" : "GET") /s/\($0)\n" })
            #expect(proxy.statistics.direct - pipelined.direct == 3, "\(proxy.statistics)")
            #expect(proxy.statistics.passedOn - pipelined.passedOn == 3, "\(proxy.statistics)")
        }
    }

    @Test("an upstream that closes each connection after its answer (HTTP/1.0) gets a new one per request")
    func upstreamCloses() async throws {
        let upstream = try LoopbackServer(.http(delay: .zero, body: { path in "one-shot \(path)" }))
        defer { upstream.stop() }
        try await withDirectProxy(filters: [], upstream: upstream.port) { port, proxy in
            let texts = try await RawHTTP.onThread { () -> [String] in
                let client = try RawHTTPConnection(port: UInt16(port))
                return try (0..<5).map { try client.exchange(path: "/o/\($0)", headers: [RawHeader("Host", "h")]).text }
            }
            #expect(texts == (0..<5).map { "one-shot /o/\($0)" })
            #expect(upstream.acceptedCount == 5)
            #expect(proxy.statistics.direct == 5)
        }
    }

    @Test("the upstream down is 502, an upstream too slow 504, on the event-loop path, with and without filters")
    func upstreamFailures() async throws {
        let closed = try RecordingUpstream.closedPort()
        for filters in [[], [FilterSpec("proxy_header_filter")]] {
            try await withDirectProxy(filters: filters, upstream: closed) { port, proxy in
                let answer = try await RawHTTP.request(port: port, path: "/")
                #expect(answer.status == 502)
                #expect(answer.reason == "upstream_unavailable", "\(answer)")
                #expect(answer.headers.first("content-type") == "application/json")
                #expect(proxy.statistics.direct == 1)
            }
        }
        let silent = try LoopbackServer(.silent)
        defer { silent.stop() }
        try await withDirectProxy(
            filters: [FilterSpec("proxy_header_filter")], upstream: silent.port,
            configure: { $0.upstreamTimeout = .milliseconds(500) }
        ) { port, proxy in
            let start = ContinuousClock.now
            let answer = try await RawHTTP.request(port: port, path: "/slow")
            #expect(answer.status == 504)
            #expect(answer.reason == "upstream_timeout", "\(answer)")
            #expect(ContinuousClock.now - start < .seconds(5))
            #expect(proxy.statistics.direct == 1)
        }
    }

    @Test("a client that goes away mid-body costs only its own request")
    func clientGoesAwayMidBody() async throws {
        let upstream = try RecordingUpstream { request in RecordingUpstream.Reply(body: Array("got \(request.body.count)".utf8)) }
        defer { upstream.stop() }
        try await withDirectProxy(filters: [], upstream: upstream.port) { port, proxy in
            try await RawHTTP.onThread {
                let client = try RawHTTPConnection(port: UInt16(port))
                try client.send(
                    Array("POST /cut HTTP/1.1\r\nHost: h\r\nContent-Length: 4000000\r\n\r\n".utf8) + pattern(300_000))
                // Long enough for the proxy to read and forward what came (a close with unread
                // data resets the connection, and the reset can discard it on the proxy's side).
                Thread.sleep(forTimeInterval: 0.3)
            }
            try await Task.sleep(for: .milliseconds(200))
            let after = try await RawHTTP.request(port: port, method: "POST", path: "/after", body: pattern(1_000))
            #expect(after.status == 200)
            #expect(after.text == "got 1000")
            #expect(proxy.statistics.direct == 2)
            #expect(!upstream.received.contains { $0.target == "/cut" }, "the cut request never reached the upstream whole")
        }
    }

    @Test("8 MB streams through both ways, chunked up and sized down, with back-pressure")
    func largeBodies() async throws {
        let upstream = try RecordingUpstream { request in RecordingUpstream.Reply(body: request.body) }
        defer { upstream.stop() }
        let body = pattern(8 << 20)
        try await withDirectProxy(filters: [], upstream: upstream.port) { port, proxy in
            let answer = try await RawHTTP.request(
                port: port, method: "POST", path: "/echo", headers: [RawHeader("Transfer-Encoding", "chunked")],
                body: RawHTTP.chunked(body))
            #expect(answer.status == 200)
            #expect(same(answer.body, body), "\(answer.body.count) bytes back")
            #expect(same(upstream.received.last?.body, body))
            #expect(proxy.statistics.direct == 1)
        }
    }

    @Test("an upstream answer without a length reaches the client in chunks, twice on one connection, with and without filters")
    func chunkedAnswers() async throws {
        let upstream = try RecordingUpstream { request in
            RecordingUpstream.Reply(
                headers: [RawHeader("Connection", "keep-alive, X-Private"), RawHeader("X-Private", "hop")],
                body: Array("chunked \(request.target)".utf8), chunked: true)
        }
        defer { upstream.stop() }
        for filters in [[], [FilterSpec("proxy_header_filter")]] {
            try await withDirectProxy(filters: filters, upstream: upstream.port) { port, proxy in
                let answers = try await RawHTTP.onThread { () -> [RawHTTPResponse] in
                    let client = try RawHTTPConnection(port: UInt16(port))
                    return try (0..<2).map { try client.exchange(path: "/c/\($0)", headers: [RawHeader("Host", "h")]) }
                }
                #expect(answers.map(\.text) == ["chunked /c/0", "chunked /c/1"])
                #expect(answers.allSatisfy { $0.headers.first("transfer-encoding") == "chunked" })
                #expect(answers.allSatisfy { $0.headers.first("x-private") == nil }, "a name Connection lists is dropped")
                #expect(answers.allSatisfy { $0.headers.first("server") == "wasmton" && $0.headers.first("date") != nil })
                #expect(proxy.statistics.direct == 2, "\(proxy.statistics)")
            }
        }
    }

    @Test("HTTP/1.0 takes the Hummingbird path; a malformed chunked body ends only its own connection")
    func unusualClients() async throws {
        let upstream = try RecordingUpstream { request in RecordingUpstream.Reply(body: Array("got \(request.body.count)".utf8)) }
        defer { upstream.stop() }
        try await withDirectProxy(filters: [], upstream: upstream.port) { port, proxy in
            let (old, closed, after) = try await RawHTTP.onThread { () -> (RawHTTPResponse, Bool, RawHTTPResponse) in
                let old = try RawHTTPConnection(port: UInt16(port))
                try old.send(Array("GET /old HTTP/1.0\r\nHost: h\r\n\r\n".utf8))
                let answer = try old.readResponse()
                let bad = try RawHTTPConnection(port: UInt16(port))
                try bad.send(
                    Array("POST /bad HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nzz\r\n".utf8))
                let closed = bad.waitUntilClosed()
                let next = try RawHTTPConnection(port: UInt16(port))
                let after = try next.exchange(
                    method: "POST", path: "/after", headers: [RawHeader("Host", "h"), RawHeader("Content-Length", "3")],
                    body: Array("abc".utf8))
                return (answer, closed, after)
            }
            #expect(old.status == 200 && old.text == "got 0")
            #expect(closed, "the connection with the malformed chunk is closed")
            #expect(after.status == 200 && after.text == "got 3")
            #expect(proxy.statistics.passedOn == 1 && proxy.statistics.direct == 2, "\(proxy.statistics)")
            #expect(!upstream.received.contains { $0.target == "/bad" }, "the malformed request never reached the upstream whole")
        }
    }

    @Test("both proxy paths drop the hop-by-hop names and those Connection lists, and nothing else")
    func hopByHopNamesAgree() {
        let hopByHop = [
            "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection", "te", "trailer",
            "transfer-encoding", "upgrade",
        ]
        for name in hopByHop {
            #expect(ProxyHeaders.isHopByHop(name) && ProxyHeaders.isHopByHop(name.uppercased()), "\(name)")
        }
        let others = ["content-type", "host", "x-forwarded-for", "te2", "trailers", "upgrade-insecure-requests", "date"]
        for name in others { #expect(!ProxyHeaders.isHopByHop(name), "\(name)") }
        #expect(ProxyHeaders.isToken("Keep-Alive", "keep-alive") && ProxyHeaders.isToken("CLOSE", "close"))
        #expect(!ProxyHeaders.isToken("keep-alive, x-custom", "keep-alive"))
        #expect(ProxyHeaders.listed(["Keep-Alive"]) == nil)
        #expect(ProxyHeaders.listed(["close, X-Custom"])?.contains("x-custom") == true)
        let listed = ProxyHeaders.listed(["close, X-Custom"])
        #expect(ProxyHeaders.isDropped("x-custom", listed: listed) && ProxyHeaders.isDropped("te", listed: nil))
        #expect(!ProxyHeaders.isDropped("content-type", listed: listed))
    }

    @Test("the upstream's head as the filters read it: :status, lowercase end-to-end names, the length it gave")
    func filterHeadersFromTheUpstreamHead() {
        var fields = HTTPHeaders()
        for (name, value) in [
            ("Server", "nginx"), ("Content-Type", "text/html"), ("Content-Length", "128"), ("Connection", "keep-alive, X-Drop"),
            ("X-Drop", "1"), ("Transfer-Encoding", "identity"), ("X-Mixed-Case", "no"), ("ETag", "\"abc\""),
        ] {
            fields.add(name: name, value: value)
        }
        let (list, length) = ProxyHeaders.filterHeaders(HTTPResponseHead(version: .http1_1, status: .ok, headers: fields))
        #expect(length == 128)
        #expect(
            list.pairs.map { "\($0.0)=\($0.1)" } == [
                ":status=200", "server=nginx", "content-type=text/html", "content-length=128", "x-mixed-case=no",
                "etag=\"abc\"",
            ])
    }

    @Test(
        "the head the filters left, as bytes: their :status, names that are tokens, values without CR or LF, Wasmton's server and date"
    )
    func filteredHeadAsBytes() {
        var list = HeaderList([(":status", "404"), ("content-length", "5"), ("server", "upstream")])
        list.add("x-split", "a\r\nx-injected: yes")
        list.add("bad name", "dropped")
        list.add(":status-ish", "ignored")
        var head = HeadBytes(capacity: 256)
        let chunked = ProxyHeaders.write(filtered: list, status: 200, date: "D", closes: false, into: &head)
        let text = head.text
        #expect(!chunked)
        #expect(text.hasPrefix("HTTP/1.1 404 Not Found\r\n"), "\(text.debugDescription)")
        #expect(!text.contains("\r\nx-injected"), "a filter's CR LF cannot start a line: \(text.debugDescription)")
        #expect(text.contains("x-split: a"))
        #expect(!text.contains("bad name") && !text.contains("upstream") && !text.contains(":status"))
        #expect(
            text.hasSuffix("content-length: 5\r\nx-split: a  x-injected: yes\r\nserver: wasmton\r\ndate: D\r\n\r\n"),
            "\(text.debugDescription)")
        // Without a length the body goes in chunks; a :status out of range keeps the upstream's.
        var bare = HeadBytes(capacity: 64)
        #expect(ProxyHeaders.write(filtered: HeaderList([(":status", "999")]), status: 201, date: "D", closes: true, into: &bare))
        #expect(bare.text.hasPrefix("HTTP/1.1 201 Created\r\n"))
    }

    @Test("the request head the filters left goes upstream from their list; a value to legalize takes the long way")
    func upstreamHeadFromTheFiltersList() throws {
        var request = HTTPRequest(method: .get, scheme: "http", authority: "example.com", path: "/a")
        request.headerFields[.accept] = "*/*"
        var list = HeaderList([
            (":method", "GET"), (":path", "/b?q=1"), (":authority", "example.com"), (":scheme", "http"), ("accept", "*/*"),
            ("connection", "x-hop"), ("x-hop", "1"), ("x-forwarded-for", "10.0.0.1"), ("x-forwarded-proto", "https"),
        ])
        list.add("x-hello", "Hello")
        let head = try #require(
            ProxyHeaders.upstreamHead(
                filtered: list, request: request, pathPrefix: "/base", source: "127.0.0.1", chunked: false))
        #expect(head.method == .GET && !head.chunked)
        #expect(
            head.text
                == "GET /base/b?q=1 HTTP/1.1\r\naccept: */*\r\nx-hello: Hello\r\nhost: example.com\r\n"
                + "x-forwarded-for: 10.0.0.1, 127.0.0.1\r\nx-forwarded-proto: http\r\n\r\n")
        // A filter's :path with a space or a control byte cannot split the request line.
        var spaced = HeaderList([(":method", "HEAD"), (":path", "/a b\tc")])
        spaced.add("x-a", "1")
        let odd = try #require(
            ProxyHeaders.upstreamHead(filtered: spaced, request: request, pathPrefix: "", source: nil, chunked: true))
        #expect(odd.method == .HEAD && odd.chunked)
        #expect(
            odd.text
                == "HEAD /a%20b%09c HTTP/1.1\r\nx-a: 1\r\nhost: example.com\r\nx-forwarded-proto: http\r\n"
                + "transfer-encoding: chunked\r\n\r\n")
        list.add("x-bad", "a\nb")
        #expect(
            ProxyHeaders.upstreamHead(filtered: list, request: request, pathPrefix: "", source: nil, chunked: false) == nil)
    }
}
