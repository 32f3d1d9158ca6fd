import Foundation
import Logging
import Testing
import WasmtonContracts
import WasmtonRuntime
import WasmtonTestSupport

/// Host-call links: guests shaped as the TinyGo, AssemblyScript and Rust SDKs build them
/// (`guests/src/wapc_link_*.wat`) calling their host through `--link`-style links.
enum Links {
    /// `caller` with `specs` linked, and the links (to close). Linked modules are loaded from
    /// `guests/build`, each in `sandbox`.
    static func guest(
        _ caller: String, _ specs: [String], runtime: WasmRuntime = WasmRuntime.forTests(), sandbox: Sandbox = Sandbox(),
        network: NetworkPolicy = NetworkPolicy(), logger: Logger = Logger(label: "test")
    ) throws -> (WapcGuest, WapcLinks) {
        let module = try runtime.load(path: Guests.path(caller))
        let links = try resolve(specs, callers: [module], runtime: runtime, sandbox: sandbox, logger: logger)
        let hostCalls = WapcHostCalls.builtIn(logger: logger)
        links.register(in: hostCalls, caller: module, network: network)
        let guest = try WapcGuest(runtime: runtime, module: module, hostCalls: hostCalls, logger: logger)
        return (guest, links)
    }

    static func resolve(
        _ specs: [String], callers: [WasmModule], runtime: WasmRuntime = WasmRuntime.forTests(), sandbox: Sandbox = Sandbox(),
        logger: Logger = Logger(label: "test")
    ) throws -> WapcLinks {
        let parsed = try WapcLink.parse(specs.map { $0.replacingOccurrences(of: "@build/", with: buildDirectory) })
        var modules: [String: WapcLinks.Module] = [:]
        for path in WapcLinks.modulePaths(of: parsed) {
            modules[path] = WapcLinks.Module(module: try runtime.load(path: path), sandbox: sandbox)
        }
        return try WapcLinks(parsed, modules: modules, callers: callers, runtime: runtime, logger: logger)
    }

    static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    /// `guests/build/`, for the `@build/` in specs.
    static let buildDirectory = String(Guests.path("x").dropLast("x.wasm".count))
}

@Suite("waPC host-call links")
struct WapcLinkTests {
    @Test("a spec parses into binding, namespace, operation and target, and prints as written")
    func parses() throws {
        let cases: [(String, WapcLink)] = [
            ("sample/hello=echo", WapcLink(namespace: "sample", operation: "hello", target: .echo)),
            (
                "myBinding@sample/hello=echo",
                WapcLink(binding: "myBinding", namespace: "sample", operation: "hello", target: .echo)
            ),
            (
                "sample:namespace=pong.wasm",
                WapcLink(namespace: "sample:namespace", target: .module(path: "pong.wasm", operation: nil))
            ),
            (
                "b@sample:namespace/pong=./dir/pong.wasm#reply",
                WapcLink(
                    binding: "b", namespace: "sample:namespace", operation: "pong",
                    target: .module(path: "./dir/pong.wasm", operation: "reply"))
            ),
            (
                "kv=http://127.0.0.1:8080/call?x=1",
                WapcLink(namespace: "kv", target: .http(url: "http://127.0.0.1:8080/call?x=1", host: "127.0.0.1", port: 8080))
            ),
            (
                "kv/get=https://KV.internal/call",
                WapcLink(
                    namespace: "kv", operation: "get",
                    target: .http(url: "https://KV.internal/call", host: "kv.internal", port: 443))
            ),
        ]
        for (spec, expected) in cases {
            let link = try WapcLink(parsing: spec)
            #expect(link == expected, "\(spec)")
            #expect(link.description == spec)
        }
    }

    @Test(
        "a bad spec is refused with what is wrong",
        arguments: [
            ("sample/hello", "no '='"), ("sample/hello=", "target after '=' is empty"), ("=echo", "namespace is empty"),
            ("@sample=echo", "binding before '@' is empty"), ("sample/=echo", "operation after '/' is empty"),
            ("sample=pong", "is not echo, an http:// or https:// URL, or a PATH.wasm[#OP]"),
            ("sample=pong.wasm#", "'#' must be followed"), ("sample=http://:80/x", "no host name"),
            ("sample=http://h:0/", "no valid port"), ("sample=http://user:pw@h/", "credentials"),
        ])
    func refusesBadSpecs(spec: String, reason: String) {
        #expect {
            try WapcLink(parsing: spec)
        } throws: { error in
            guard case .badSpec(let given, let message) = error as? WapcLinkError else { return false }
            return given == spec && message.contains(reason) && "\(error)".contains("--link '\(spec)'")
        }
    }

    @Test("two links for the same key are refused")
    func refusesDuplicates() {
        #expect(throws: WapcLinkError.duplicate(key: "b@sample/hello")) {
            try WapcLink.parse(["b@sample/hello=echo", "sample/hello=echo", "b@sample/hello=x.wasm"])
        }
    }

    @Test("TinyGo and AssemblyScript guests that host-call myBinding@sample/hello answer Hello through an echo link")
    func helloThroughEcho() throws {
        for name in ["wapc_link_tinygo", "wapc_link_assemblyscript"] {
            let (guest, links) = try Links.guest(name, ["sample/hello=echo"])
            defer {
                guest.close()
                links.close()
            }
            #expect(Links.text(try guest.call("hello", payload: [])) == "Hello", "\(name)")
        }
    }

    @Test("the Rust-shaped ping returns its payload once sample:namespace/pong is linked, and fails without")
    func rustPing() throws {
        let (guest, links) = try Links.guest("wapc_link_rust", ["sample:namespace/pong=echo"])
        defer {
            guest.close()
            links.close()
        }
        #expect(Links.text(try guest.call("ping", payload: Array("marco".utf8))) == "marco")
        let unlinked = try Wapc.guest("wapc_link_rust", hostCalls: WapcHostCalls())
        defer { unlinked.close() }
        #expect(
            throws: WapcError.guestError(
                operation: "ping",
                message: "Host error: no host capability for binding 'binding', namespace 'sample:namespace', operation 'pong'")
        ) {
            try unlinked.call("ping", payload: Array("marco".utf8))
        }
    }

    @Test("the most specific link wins: binding and operation, then operation, then binding, then namespace")
    func mostSpecificWins() throws {
        let (guest, links) = try Links.guest(
            "wapc_link_tinygo",
            [
                "sample=@build/wapc_link_rust.wasm#pong", "myBinding@sample=echo",
                "sample/hello=@build/wapc_echo.wasm#fail", "other@sample/hello=echo",
            ])
        defer {
            guest.close()
            links.close()
        }
        // sample/hello (operation) beats myBinding@sample (binding): wapc_echo's `fail` answers
        // with its payload as the error.
        #expect(throws: WapcError.guestError(operation: "hello", message: "Host error: Hello")) {
            try guest.call("hello", payload: [])
        }
    }

    @Test("a guest linked to another module gets that module's answer, from the module's own instances")
    func moduleLink() throws {
        let (guest, links) = try Links.guest("wapc_link_tinygo", ["myBinding@sample/hello=@build/wapc_link_rust.wasm#pong"])
        defer {
            guest.close()
            links.close()
        }
        #expect(Links.text(try guest.call("hello", payload: [])) == "pong: Hello")
        #expect(Links.text(try guest.call("relay", payload: Array("again".utf8))) == "pong: again")
    }

    @Test("without #OP a module link calls the host call's own operation; a link never leads a module to itself")
    func sameOperation() throws {
        let (tinygo, links) = try Links.guest("wapc_link_tinygo", ["sample/hello=@build/wapc_sdk_rust1.wasm"])
        defer {
            tinygo.close()
            links.close()
        }
        #expect(throws: WapcError.guestError(operation: "hello", message: "Host error: No handler registered for function hello"))
        {
            try tinygo.call("hello", payload: [])
        }
        // Served next to the TinyGo guest (which may take the link), the Rust guest's own calls
        // never follow a link to its own module: its ping goes unlinked.
        let runtime = WasmRuntime.forTests()
        let rustModule = try runtime.load(path: Guests.path("wapc_link_rust"))
        let toRust = try Links.resolve(
            ["sample:namespace=@build/wapc_link_rust.wasm"],
            callers: [rustModule, try runtime.load(path: Guests.path("wapc_link_tinygo"))], runtime: runtime)
        defer { toRust.close() }
        let hostCalls = WapcHostCalls()
        toRust.register(in: hostCalls, caller: rustModule, network: NetworkPolicy())
        let rust = try WapcGuest(runtime: runtime, module: rustModule, hostCalls: hostCalls)
        defer { rust.close() }
        #expect {
            try rust.call("ping", payload: [1])
        } throws: { error in
            (error as? WapcError)?.guestMessage?.hasPrefix("Host error: no host capability") == true
        }
    }

    @Test("a linked module that traps fails the host call, not the caller, which keeps serving")
    func trappingModule() throws {
        let (guest, links) = try Links.guest("wapc_link_tinygo", ["sample/hello=@build/wapc_echo.wasm#trap"])
        defer {
            guest.close()
            links.close()
        }
        for _ in 0..<2 {
            #expect {
                try guest.call("hello", payload: [])
            } throws: { error in
                guard case .guestError(_, let message) = error as? WapcError else { return false }
                return message.hasPrefix("Host error: linked module wapc_echo failed: operation 'trap' failed")
            }
        }
        #expect(Links.text(try guest.call("echo", payload: Array("still here".utf8))) == "still here")
    }

    @Test("links that could call each other in a circle are refused before anything runs")
    func cycles() throws {
        let runtime = WasmRuntime.forTests()
        let tinygo = try runtime.load(path: Guests.path("wapc_link_tinygo"))
        #expect {
            try Links.resolve(
                ["sample/hello=@build/wapc_link_rust.wasm#pong", "sample:namespace/pong=@build/wapc_link_tinygo.wasm#relay"],
                callers: [tinygo], runtime: runtime)
        } throws: { error in
            guard case .cycle(let path, let links) = error as? WapcLinkError else { return false }
            return path == ["wapc_link_tinygo", "wapc_link_rust", "wapc_link_tinygo"] && links.count == 2
                && "\(error)".hasPrefix("link cycle wapc_link_tinygo → wapc_link_rust → wapc_link_tinygo")
        }
        // A module linked to itself, with nothing else that could take the link.
        #expect {
            try Links.resolve(["sample/hello=@build/wapc_link_tinygo.wasm"], callers: [tinygo], runtime: runtime)
        } throws: { error in
            guard case .cycle(let path, _) = error as? WapcLinkError else { return false }
            return path == ["wapc_link_tinygo", "wapc_link_tinygo"]
        }
        // A chain that cannot come back: the AssemblyScript guest calls the Rust one, which may
        // make host calls, but no link leads back to the AssemblyScript guest.
        let assemblyScript = try runtime.load(path: Guests.path("wapc_link_assemblyscript"))
        let links = try Links.resolve(
            ["sample/hello=@build/wapc_link_rust.wasm#pong"], callers: [assemblyScript], runtime: runtime)
        links.close()
    }

    @Test("among linked modules, a call that would enter a module already on the way fails as a host error")
    func cycleAtRunTime() throws {
        let (guest, links) = try Links.guest(
            "wapc_link_assemblyscript",
            [
                "myBinding@sample/hello=@build/wapc_link_tinygo.wasm#relay", "sample=@build/wapc_link_rust.wasm#ping",
                "sample:namespace/pong=@build/wapc_link_tinygo.wasm#relay",
            ])
        defer {
            guest.close()
            links.close()
        }
        #expect {
            try guest.call("hello", payload: [])
        } throws: { error in
            (error as? WapcError)?.guestMessage?.contains(
                "link cycle refused: wapc_link_assemblyscript → wapc_link_tinygo → wapc_link_rust → wapc_link_tinygo") == true
        }
    }

    @Test("a linked module that is not a waPC module is refused at start")
    func badModule() throws {
        let runtime = WasmRuntime.forTests()
        let tinygo = try runtime.load(path: Guests.path("wapc_link_tinygo"))
        #expect {
            try Links.resolve(["sample/hello=@build/calc.wasm"], callers: [tinygo], runtime: runtime)
        } throws: { error in
            guard case .moduleFailed(let path, let reason) = error as? WapcLinkError else { return false }
            return path.hasSuffix("calc.wasm") && reason.contains("not a waPC module")
        }
    }

    @Test("an unlinked host call logs one warning naming BINDING@NAMESPACE/OPERATION and the module")
    func unlinkedWarning() throws {
        let log = CapturedLog()
        let guest = try Wapc.guest("wapc_link_tinygo", hostCalls: WapcHostCalls.builtIn(logger: log.logger))
        defer { guest.close() }
        for _ in 0..<3 {
            #expect(
                throws: WapcError.guestError(
                    operation: "hello",
                    message: "Host error: no host capability for binding 'myBinding', namespace 'sample', operation 'hello'")
            ) {
                try guest.call("hello", payload: [])
            }
        }
        let warnings = log.entries.filter { $0.level == .warning }
        #expect(warnings.count == 1)
        #expect(warnings.first?.message.contains("myBinding@sample/hello") == true)
        #expect(warnings.first?.message.contains("wapc_link_tinygo") == true)
    }

    @Test("an http link POSTs the payload with the call's names and answers with a 2xx body")
    func httpLink() throws {
        let upstream = try RecordingUpstream { request in
            RecordingUpstream.Reply(body: Array("from http: ".utf8) + request.body)
        }
        defer { upstream.stop() }
        let (guest, links) = try Links.guest(
            "wapc_link_tinygo", ["sample/hello=http://127.0.0.1:\(upstream.port)/call"],
            network: try NetworkPolicy(allowing: ["127.0.0.1:\(upstream.port)"]))
        defer {
            guest.close()
            links.close()
        }
        #expect(Links.text(try guest.call("hello", payload: [])) == "from http: Hello")
        let request = try #require(upstream.received.first)
        #expect(request.method == "POST")
        #expect(request.target == "/call")
        #expect(request.body == Array("Hello".utf8))
        #expect(request.headers.first("content-type") == "application/msgpack")
        #expect(request.headers.first("wapc-binding") == "myBinding")
        #expect(request.headers.first("wapc-namespace") == "sample")
        #expect(request.headers.first("wapc-operation") == "hello")
    }

    @Test("an http link's non-2xx answer is the host error, its body the text")
    func httpError() throws {
        let upstream = try RecordingUpstream { _ in RecordingUpstream.Reply(status: 503, body: Array("busy, try later\n".utf8)) }
        defer { upstream.stop() }
        let (guest, links) = try Links.guest(
            "wapc_link_assemblyscript", ["sample=http://127.0.0.1:\(upstream.port)/"],
            network: try NetworkPolicy(allowing: ["127.0.0.1:\(upstream.port)"]))
        defer {
            guest.close()
            links.close()
        }
        #expect(throws: WapcError.guestError(operation: "hello", message: "busy, try later")) {
            try guest.call("hello", payload: [])
        }
    }

    @Test("an http link to a destination --allow-connect does not allow is refused without connecting")
    func httpRefused() throws {
        let upstream = try RecordingUpstream()
        defer { upstream.stop() }
        let (guest, links) = try Links.guest(
            "wapc_link_tinygo", ["sample/hello=http://127.0.0.1:\(upstream.port)/call"],
            network: try NetworkPolicy(allowing: ["127.0.0.1:1-\(upstream.port - 1)"]))
        defer {
            guest.close()
            links.close()
        }
        #expect {
            try guest.call("hello", payload: [])
        } throws: { error in
            guard case .guestError(_, let message) = error as? WapcError else { return false }
            return message.contains("127.0.0.1:\(upstream.port) is not allowed") && message.contains("--allow-connect")
        }
        #expect(upstream.connectionCount == 0)
    }

    @Test("an http link that does not answer in time fails the host call")
    func httpTimeout() throws {
        let upstream = try RecordingUpstream { _ in RecordingUpstream.Reply(body: [1], delay: .seconds(5)) }
        defer { upstream.stop() }
        let runtime = WasmRuntime.forTests()
        let module = try runtime.load(path: Guests.path("wapc_link_tinygo"))
        let links = try WapcLinks(
            try WapcLink.parse(["sample/hello=http://127.0.0.1:\(upstream.port)/slow"]), modules: [:], callers: [module],
            runtime: runtime, configuration: .init(httpTimeout: .milliseconds(300)), logger: Logger(label: "test"))
        defer { links.close() }
        let hostCalls = WapcHostCalls()
        links.register(in: hostCalls, caller: module, network: try NetworkPolicy(allowing: ["127.0.0.1:*"]))
        let guest = try WapcGuest(runtime: runtime, module: module, hostCalls: hostCalls)
        defer { guest.close() }
        let start = ContinuousClock.now
        #expect {
            try guest.call("hello", payload: [])
        } throws: { error in
            guard case .guestError(_, let message) = error as? WapcError else { return false }
            return message.contains("no answer within the timeout")
        }
        #expect(ContinuousClock.now - start < .seconds(3))
    }
}
