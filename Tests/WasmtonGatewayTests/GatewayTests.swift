import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import WasmtonContracts
import WasmtonGateway
import WasmtonMessagePack
import WasmtonRuntime
import WasmtonTestSupport

/// The guests these tests serve, built by `make -C guests` and committed.
enum Guests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func path(_ name: String) -> String {
        root.appendingPathComponent("guests/build/\(name).wasm").path
    }
}

/// Starts a gateway on a free loopback port and runs `body` with a client that talks to it over
/// a real socket.
func withGateway(
    modules: [String] = ["wapc_echo", "cuckoo_filter"], configure: (inout GatewayConfiguration) -> Void = { _ in },
    hostCalls: WapcHostCalls = WapcHostCalls(), _ body: @Sendable (Gateway, any TestClientProtocol) async throws -> Void
) async throws {
    let runtime = WasmRuntime.forTests(configuration: .init(fuelMetering: true))
    var configuration = GatewayConfiguration(port: 0, poolSize: 2)
    configure(&configuration)
    let served = try modules.map { ServedModule(name: $0, module: try runtime.load(path: Guests.path($0))) }
    let gateway = try Gateway(
        runtime: runtime, modules: served, configuration: configuration, hostCalls: hostCalls,
        metricsText: { Array("wasmton_test_metric 1\n".utf8) })
    try await gateway.prewarm()
    defer { gateway.shutdown() }
    try await gateway.application().test(.live) { client in try await body(gateway, client) }
}

extension TestResponse {
    var text: String { String(buffer: body) }
    /// The `reason` of a JSON error body.
    var reason: String? {
        guard case .map? = try? MessagePackValue.fromJSON(Array(buffer: body)),
            case .string(let reason)? = (try? MessagePackValue.fromJSON(Array(buffer: body)))?["error"]?["reason"]
        else { return nil }
        return reason
    }
}

let json: HTTPFields = [.contentType: "application/json"]

@Suite("HTTP gateway")
struct GatewayTests {
    @Test("POST /v1/cuckoo_filter/check_word_exists with JSON answers the book's strings as JSON")
    func checkWord() async throws {
        try await withGateway { _, client in
            try await client.execute(
                uri: "/v1/cuckoo_filter/check_word_exists", method: .post, headers: json,
                body: ByteBuffer(string: #"{"name":"foo"}"#)
            ) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/json")
                #expect(response.text == "\"true\"\n")
                #expect(response.headers[HTTPField.Name("x-request-id")!] != nil)
            }
            try await client.execute(
                uri: "/v1/cuckoo_filter/check_word_exists", method: .post, body: ByteBuffer(string: #"{"name":"testme"}"#)
            ) { response in
                #expect(response.text == "\"false\"\n")
            }
        }
    }

    @Test("MessagePack in, MessagePack out, with Accept: application/msgpack")
    func messagePack() async throws {
        try await withGateway { _, client in
            let payload = MessagePack.encode(.map([.init(key: "name", value: "xylophone")]))
            try await client.execute(
                uri: "/v1/cuckoo_filter/check_word_exists", method: .post,
                headers: [.contentType: "application/msgpack", .accept: "application/msgpack"],
                body: ByteBuffer(bytes: payload)
            ) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/msgpack")
                let decoded = try MessagePack.decode(Array(buffer: response.body))
                #expect(decoded == .string("true"))
            }
            let value: MessagePackValue = .map([.init(key: "bin", value: .binary([0, 1, 2])), .init(key: "n", value: .int(-5))])
            try await client.execute(
                uri: "/v1/wapc_echo/echo", method: .post, headers: [.contentType: "application/msgpack"],
                body: ByteBuffer(bytes: MessagePack.encode(value))
            ) { response in
                let decoded = try MessagePackValue.fromJSON(Array(buffer: response.body))
                #expect(decoded == value)
            }
        }
    }

    @Test("the book's forms at / with --default-operation: GET ?key=<json> and a form body")
    func bookForms() async throws {
        try await withGateway(modules: ["cuckoo_filter"], configure: { $0.defaultOperation = "check_word_exists" }) {
            _, client in
            try await client.execute(uri: "/?key=%7B%22name%22%3A%22bar%22%7D", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.text == "true")
            }
            try await client.execute(
                uri: "/", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "name=foo")
            ) { response in
                #expect(response.text == "true")
            }
            try await client.execute(uri: "/", method: .get, body: ByteBuffer(string: "name=foo1")) { response in
                #expect(response.text == "false")
            }
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .badRequest)
            }
        }
    }

    @Test("unknown module and operation are 404, bad JSON and MessagePack are 400, all with a JSON reason")
    func clientErrors() async throws {
        try await withGateway { _, client in
            try await client.execute(uri: "/v1/nope/echo", method: .post, body: ByteBuffer(string: "{}")) { response in
                #expect(response.status == .notFound)
                #expect(response.reason == "unknown_module")
                #expect(response.text.contains("cuckoo_filter, wapc_echo"))
            }
            try await client.execute(uri: "/v1/wapc_echo/nope", method: .post, body: ByteBuffer(string: "{}")) { response in
                #expect(response.status == .notFound)
                #expect(response.reason == "unknown_operation")
            }
            try await client.execute(uri: "/v1/wapc_echo/echo", method: .post, headers: json, body: ByteBuffer(string: "{\"a\":"))
            { response in
                #expect(response.status == .badRequest)
                #expect(response.reason == "bad_payload")
            }
            try await client.execute(
                uri: "/v1/wapc_echo/echo", method: .post, headers: [.contentType: "application/msgpack"],
                body: ByteBuffer(bytes: [0x92, 0x01])
            ) { response in
                #expect(response.status == .badRequest)
            }
        }
    }

    @Test("a body over the limit is 413")
    func tooLarge() async throws {
        try await withGateway(configure: { $0.maxBodyBytes = 1024 }) { _, client in
            let big = "\"" + String(repeating: "x", count: 4096) + "\""
            try await client.execute(uri: "/v1/wapc_echo/echo", method: .post, headers: json, body: ByteBuffer(string: big)) {
                response in
                #expect(response.status == .contentTooLarge)
                #expect(response.reason == "payload_too_large")
            }
            try await client.execute(uri: "/v1/wapc_echo/echo", method: .post, headers: json, body: ByteBuffer(string: "\"ok\""))
            {
                response in
                #expect(response.status == .ok)
            }
        }
    }

    @Test("a guest error takes the status the guest chose, else 500; the guest's message is in the body")
    func guestErrors() async throws {
        try await withGateway { _, client in
            try await client.execute(
                uri: "/v1/wapc_echo/fail", method: .post, headers: [.contentType: "application/octet-stream"],
                body: ByteBuffer(string: "418 I'm a teapot")
            ) { response in
                #expect(response.status.code == 418)
                #expect(response.text.contains("I'm a teapot"))
            }
            try await client.execute(
                uri: "/v1/wapc_echo/fail", method: .post, headers: [.contentType: "application/octet-stream"],
                body: ByteBuffer(string: "something broke")
            ) { response in
                #expect(response.status == .internalServerError)
                #expect(response.reason == "guest_error")
                #expect(response.text.contains("something broke"))
            }
        }
    }

    @Test("a trapped instance is discarded and replaced: the next requests succeed")
    func trapReplacesInstance() async throws {
        try await withGateway(configure: { $0.poolSize = 1 }) { gateway, client in
            try await client.execute(uri: "/v1/wapc_echo/trap", method: .post) { response in
                #expect(response.status == .internalServerError)
                #expect(response.reason == "trap")
            }
            for _ in 0..<3 {
                try await client.execute(uri: "/v1/wapc_echo/echo", method: .post, headers: json, body: ByteBuffer(string: "1")) {
                    response in
                    #expect(response.status == .ok)
                    #expect(response.text == "1\n")
                }
            }
        }
    }

    @Test("a guest past the request deadline is 504")
    func deadline() async throws {
        try await withGateway(configure: { $0.requestTimeout = .milliseconds(300) }) { _, client in
            let start = ContinuousClock.now
            try await client.execute(uri: "/v1/wapc_echo/loop", method: .post) { response in
                #expect(response.status == .gatewayTimeout)
                #expect(response.reason == "deadline_exceeded")
            }
            #expect(ContinuousClock.now - start < .seconds(10))
        }
    }

    @Test("a memory bomb is 500 with reason memory_limit (or the trap its failed malloc ends in)")
    func memoryLimit() async throws {
        // A generous deadline, so a loaded machine cannot turn this into a 504.
        try await withGateway(configure: { $0.sandbox.limits.maxMemoryBytes = 4 << 20 }) { _, client in
            try await client.execute(uri: "/v1/wapc_echo/bomb", method: .post) { response in
                #expect(response.status == .internalServerError)
                #expect(response.reason == "memory_limit" || response.reason == "trap", "\(response.text)")
            }
        }
    }

    @Test("when every instance is busy and the queue is full, requests get 503 with Retry-After")
    func overload() async throws {
        try await withGateway(configure: {
            $0.poolSize = 1
            $0.maxWaiting = 0
        }) { gateway, client in
            // The slow request goes over a second connection, so the two are really concurrent.
            let port = try #require(client.port)
            async let slow = TestClient.withClient(host: "127.0.0.1", port: port) { second in
                try await second.execute(
                    TestClient.Request(
                        "/v1/wapc_echo/sleep", method: .post, authority: "localhost", headers: json,
                        body: ByteBuffer(string: "1500"))
                ).head.status
            }
            // Wait until the slow request holds the only instance.
            let busySince = ContinuousClock.now
            while gateway.poolSnapshot(module: "wapc_echo")?.busy != 1, ContinuousClock.now - busySince < .seconds(20) {
                try await Task.sleep(for: .milliseconds(10))
            }
            try await client.execute(uri: "/v1/wapc_echo/echo", method: .post, headers: json, body: ByteBuffer(string: "1")) {
                response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.reason == "overloaded")
                #expect(response.headers[.retryAfter] == "1")
            }
            #expect(try await slow == .ok)
        }
    }

    @Test("with fresh instances no guest state survives a request; pooled instances keep it")
    func freshInstance() async throws {
        for fresh in [false, true] {
            try await withGateway(
                modules: ["cuckoo_filter"],
                configure: {
                    $0.poolSize = 1
                    $0.freshInstance = fresh
                    // A pooled instance keeps its state only while no call on it is cut off at a
                    // time slice (a cut instance is replaced); with fresh instances slices stay on.
                    if !fresh { $0.callSlice = nil }
                }
            ) { _, client in
                // Several rounds: after a few quick calls, a fresh instance per call runs in a
                // time slice on the request's thread (on Wasmtime), which must be as fresh.
                for round in 0..<6 {
                    try await client.execute(
                        uri: "/v1/cuckoo_filter/add_word", method: .post, headers: json,
                        body: ByteBuffer(string: #"{"name":"newword\#(round)"}"#))
                    try await client.execute(
                        uri: "/v1/cuckoo_filter/check_word_exists", method: .post, headers: json,
                        body: ByteBuffer(string: #"{"name":"newword\#(round)"}"#)
                    ) { response in
                        #expect(response.text == (fresh ? "\"false\"\n" : "\"true\"\n"), "round \(round)")
                    }
                }
            }
        }
    }

    @Test("/healthz, /readyz and /metrics answer")
    func health() async throws {
        try await withGateway { gateway, client in
            try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/readyz", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/metrics", method: .get) { #expect($0.text.contains("wasmton_test_metric 1")) }
            gateway.shutdown()
            try await client.execute(uri: "/readyz", method: .get) { #expect($0.status == .serviceUnavailable) }
            try await client.execute(uri: "/v1/wapc_echo/echo", method: .post, headers: json, body: ByteBuffer(string: "1")) {
                #expect($0.status == .serviceUnavailable)
            }
        }
    }
}
