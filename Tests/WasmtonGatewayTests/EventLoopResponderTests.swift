import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing
import WasmtonGateway
import WasmtonTestSupport

/// The hot routes answered on the event loop must be indistinguishable from Hummingbird's router
/// (status, headers, body), keep answers in request order on a connection whatever path each
/// request takes, and keep the connection rules (idle timeout, `connection: close`).
@Suite("Gateway answers on the event loop")
struct EventLoopResponderTests {
    /// One exchange, and what a client compares of its answer.
    struct Seen: Equatable, CustomStringConvertible {
        var status: Int
        var contentType: String?
        var body: String
        var hasRequestID: Bool
        var hasDate: Bool
        var server: String?

        var description: String {
            "\(status) \(contentType ?? "-") id:\(hasRequestID) date:\(hasDate) server:\(server ?? "-") \(body)"
        }
    }

    static let requests: [(method: String, path: String, headers: [RawHeader], body: String)] = [
        ("POST", "/v1/cuckoo_filter/check_word_exists", [RawHeader("Content-Type", "application/json")], #"{"name":"foo"}"#),
        ("POST", "/v1/cuckoo_filter/check_word_exists", [], #"{"name":"testme"}"#),
        ("POST", "/v1/wapc_echo/echo", [RawHeader("Accept", "application/json")], #"{"a":[1,2,"x"]}"#),
        ("POST", "/v1/wapc_echo/echo", [RawHeader("Accept", "application/msgpack")], #"{"a":1}"#),
        ("POST", "/v1/wapc_echo/echo", [], ""),
        ("GET", #"/?key={"name":"foo"}"#.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed)!, [], ""),
        ("GET", "/?key=%7B%22name%22%3A%22bar%22%7D", [RawHeader("Accept", "application/json")], ""),
        ("POST", "/", [RawHeader("Content-Type", "application/x-www-form-urlencoded")], "name=foo"),
        ("GET", "/", [], ""),
        ("POST", "/v1/cuckoo_filter/no_such_operation", [], "{}"),
        ("POST", "/v1/no_such_module/echo", [], "{}"),
        ("POST", "/v1/wapc_echo/echo", [RawHeader("Content-Type", "application/json")], "{not json"),
        ("POST", "/v1/wapc_echo/echo", [RawHeader("Content-Type", "application/msgpack")], "\u{c1}"),
        ("POST", "/v1/wapc_echo/echo", [], String(repeating: "x", count: 3_000)),
        ("GET", "/healthz", [], ""),
        ("GET", "/readyz", [], ""),
        ("GET", "/metrics", [], ""),
        ("GET", "/?key=%7B%22name%22%3A%22b%2Bz%22%7D&other=1", [], ""),
        ("GET", "/?key=%zz", [], ""),
        ("GET", "/?key=a+b", [], ""),
        ("GET", "/nowhere", [], ""),
    ]

    /// Every request of ``requests`` on one keep-alive connection to a gateway with the
    /// event-loop answers on or off; also how many the event loop answered.
    static func answers(onEventLoop: Bool) async throws -> ([Seen], Int) {
        let result = Mutex<([Seen], Int)>(([], -1))
        try await withWapcGateway(onEventLoop: onEventLoop) { gateway, port in
            let seen = try await RawHTTP.onThread { () -> [Seen] in
                let connection = try RawHTTPConnection(port: port, timeout: .seconds(20))
                return try requests.map { request in
                    let body = Array(request.body.utf8)
                    var headers = [RawHeader("Host", "wasmton")] + request.headers
                    if request.method == "POST" { headers.append(RawHeader("Content-Length", String(body.count))) }
                    let answer = try connection.exchange(
                        method: request.method, path: request.path, headers: headers, body: body)
                    return Seen(
                        status: answer.status, contentType: answer.headers.first("content-type"),
                        body: String(decoding: answer.body, as: UTF8.self),
                        hasRequestID: answer.headers.first("x-request-id") != nil,
                        hasDate: answer.headers.first("date") != nil, server: answer.headers.first("server"))
                }
            }
            result.withLock { $0 = (seen, gateway.eventLoopAnswers) }
        }
        return result.withLock { $0 }
    }

    @Test("the event loop and Hummingbird's router answer every route alike: status, content type, body, headers")
    func sameAnswers() async throws {
        let (direct, directCount) = try await Self.answers(onEventLoop: true)
        let (routed, routedCount) = try await Self.answers(onEventLoop: false)
        #expect(routedCount == 0, "with answersOnEventLoop off, Hummingbird answers everything")
        // Unknown modules and paths, a bad escape, a `+` in the query and a body over the limit go to
        // the router: it answers those five either way.
        #expect(directCount == Self.requests.count - 5, "the event loop answered the hot routes and the probes")
        for (index, (a, b)) in zip(direct, routed).enumerated() {
            // The metrics text differs between runs only by its numbers; compare its start.
            if Self.requests[index].path == "/metrics" {
                #expect(a.status == 200 && b.status == 200 && a.contentType == b.contentType)
                continue
            }
            #expect(a == b, "request \(index): \(Self.requests[index].method) \(Self.requests[index].path)")
        }
        #expect(direct[0].body == "\"true\"\n" && direct[1].body == "\"false\"\n")
        #expect(direct[13].status == 413, "a 3,000-byte body is over the 2,048-byte limit")
        // The router's own 404 for an unknown path (the last request) carries no request id, either way.
        #expect(direct.dropLast().allSatisfy { $0.hasRequestID && $0.hasDate && $0.server == "wasmton" })
    }

    @Test("pipelined requests are answered in order, across guest-thread calls, quick calls and the router")
    func pipelinedOrder() async throws {
        try await withWapcGateway(onEventLoop: true, callSlice: nil) { gateway, port in
            let (bodies, counts) = try await RawHTTP.onThread { () -> ([String], [Int]) in
                let connection = try RawHTTPConnection(port: port, timeout: .seconds(20))
                // Without slices every call runs on a guest thread: the answers come back later than the
                // probes and the router's 404 that follow them on the wire.
                var wire: [UInt8] = []
                for index in 0..<6 {
                    let body = Array(#"{"n":\#(index)}"#.utf8)
                    wire +=
                        Array(
                            "POST /v1/wapc_echo/echo HTTP/1.1\r\nHost: w\r\nContent-Length: \(body.count)\r\n\r\n".utf8) + body
                    wire += Array("GET /healthz HTTP/1.1\r\nHost: w\r\n\r\n".utf8)
                    wire += Array("POST /v1/nothing/here HTTP/1.1\r\nHost: w\r\nContent-Length: 2\r\n\r\n{}".utf8)
                }
                try connection.send(wire)
                let bodies = try (0..<18).map { _ in
                    let answer = try connection.readResponse(method: "POST")
                    return "\(answer.status) " + String(decoding: answer.body, as: UTF8.self)
                }
                // Once the router's answers are all out, the event loop answers again.
                let before = gateway.eventLoopAnswers
                let after = try connection.exchange(path: "/healthz", headers: [RawHeader("Host", "w")])
                return (bodies, [before, after.status, gateway.eventLoopAnswers])
            }
            for index in 0..<6 {
                #expect(bodies[index * 3] == "200 {\"n\":\(index)}\n")
                #expect(bodies[index * 3 + 1] == "200 ok\n")
                #expect(bodies[index * 3 + 2].hasPrefix("404 "))
            }
            // The first echo waits for its guest thread; what follows on the wire waits with it, then the
            // probe is answered here and the 404 goes to the router; from there on, what was already
            // read follows it there, to keep the order.
            #expect(counts[0] == 2)
            #expect(counts[1] == 200 && counts[2] == 3)
        }
    }

    @Test("connection: close is answered with connection: close, then the connection is closed")
    func connectionClose() async throws {
        try await withWapcGateway(onEventLoop: true) { _, port in
            let (answer, closed) = try await RawHTTP.onThread { () -> (RawHTTPResponse, Bool) in
                let connection = try RawHTTPConnection(port: port, timeout: .seconds(10))
                let answer = try connection.exchange(
                    path: "/healthz", headers: [RawHeader("Host", "w"), RawHeader("Connection", "close")])
                return (answer, connection.waitUntilClosed())
            }
            #expect(answer.status == 200 && answer.text == "ok\n")
            #expect(answer.headers.first("connection") == "close")
            #expect(closed)
        }
    }

    @Test("a connection busy with event-loop answers outlives the idle timeout; the client's x-request-id comes back")
    func busyConnectionStaysOpen() async throws {
        try await withWapcGateway(onEventLoop: true, idleTimeout: .milliseconds(400)) { _, port in
            let statuses = try await RawHTTP.onThread { () -> [String] in
                let connection = try RawHTTPConnection(port: port, timeout: .seconds(10))
                var seen: [String] = []
                for index in 0..<12 {
                    let answer = try connection.exchange(
                        path: "/healthz", headers: [RawHeader("Host", "w"), RawHeader("X-Request-Id", "r\(index)")])
                    seen.append("\(answer.status) \(answer.headers.first("x-request-id") ?? "-")")
                    Thread.sleep(forTimeInterval: 0.1)
                }
                return seen
            }
            #expect(statuses == (0..<12).map { "200 r\($0)" }, "1.2 s of requests on one connection, none cut")
        }
    }

    @Test("a request without x-request-id gets its own: 16 hex digits, never the same twice")
    func madeRequestIDs() async throws {
        try await withWapcGateway(onEventLoop: true) { _, port in
            let ids = try await RawHTTP.onThread { () -> [String] in
                let connection = try RawHTTPConnection(port: port, timeout: .seconds(10))
                return try (0..<300).map { _ in
                    try connection.exchange(path: "/healthz", headers: [RawHeader("Host", "w")]).headers.first("x-request-id")
                        ?? ""
                }
            }
            let hexDigits = Set("0123456789abcdef")
            #expect(ids.allSatisfy { $0.count == 16 && $0.allSatisfy(hexDigits.contains) }, "\(ids.prefix(3))")
            #expect(Set(ids).count == ids.count)
        }
    }

    @Test(
        "a request sent a byte at a time, HTTP/1.0 keep-alive, then a chunked request that hands the connection to NIO's decoder")
    func unusualWire() async throws {
        try await withWapcGateway(onEventLoop: true) { gateway, port in
            let (answers, counts) = try await RawHTTP.onThread { () -> ([RawHTTPResponse], [Int]) in
                let connection = try RawHTTPConnection(port: port, timeout: .seconds(20))
                var answers: [RawHTTPResponse] = []
                let body = #"{"n":1}"#
                let request = Array(
                    "POST /v1/wapc_echo/echo HTTP/1.1\r\nHost: w\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)".utf8)
                for byte in request {
                    try connection.send([byte])
                    Thread.sleep(forTimeInterval: 0.001)
                }
                answers.append(try connection.readResponse(method: "POST"))
                try connection.send(Array("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n".utf8))
                answers.append(try connection.readResponse())
                let direct = gateway.eventLoopAnswers
                // Chunked: the rest of the connection goes to NIO's decoder and Hummingbird's router.
                try connection.send(
                    Array("POST /v1/wapc_echo/echo HTTP/1.1\r\nHost: w\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
                        + RawHTTP.chunked(Array(#"{"n":2}"#.utf8)))
                answers.append(try connection.readResponse(method: "POST"))
                answers.append(try connection.exchange(path: "/healthz", headers: [RawHeader("Host", "w")]))
                return (answers, [direct, gateway.eventLoopAnswers])
            }
            #expect(answers.map(\.status) == [200, 200, 200, 200])
            #expect(answers[0].text == "{\"n\":1}\n")
            #expect(answers[1].text == "ok\n" && answers[1].headers.first("connection") == "keep-alive")
            #expect(answers[2].text == "{\"n\":2}\n", "the router reads the chunked body")
            #expect(counts == [2, 2], "after the chunked request the router answers the rest of the connection")
        }
    }
}

/// A gateway serving `wapc_echo` and `cuckoo_filter` (default operation `check_word_exists`)
/// on a free loopback port, with a 2,048-byte body limit.
func withWapcGateway(
    onEventLoop: Bool, callSlice: Duration? = .milliseconds(2), idleTimeout: Duration = .seconds(60),
    _ body: @Sendable (Gateway, UInt16) async throws -> Void
) async throws {
    try await withGateway(
        modules: ["cuckoo_filter", "wapc_echo"],
        configure: {
            $0.answersOnEventLoop = onEventLoop
            $0.defaultOperation = "check_word_exists"
            $0.maxBodyBytes = 2_048
            $0.callSlice = callSlice
            $0.connections = ConnectionLimits(idleTimeout: idleTimeout)
        }
    ) { gateway, client in
        try await body(gateway, UInt16(try #require(client.port)))
    }
}
