import Foundation
import Testing
import WasmtonTestSupport

/// `--link` in `call`, `serve` and the config file's `links:`, with guests shaped as the TinyGo,
/// AssemblyScript and Rust waPC SDKs build them (`guests/src/wapc_link_*.wat`).
@Suite("host-call links")
struct LinkCommandTests {
    @Test("TinyGo and AssemblyScript guests that host-call myBinding@sample/hello answer Hello with --link 'sample/hello=echo'")
    func helloEcho() throws {
        for guest in ["wapc_link_tinygo.wasm", "wapc_link_assemblyscript.wasm"] {
            let result = try CLI.run(["call", CLI.guest(guest), "hello", "--link", "sample/hello=echo", "--raw"])
            expectSuccess(result)
            #expect(result.stdout == "Hello", "\(result)")
        }
    }

    @Test("the Rust-shaped ping that host-calls sample:namespace/pong returns its payload")
    func rustPing() throws {
        let result = try CLI.run([
            "call", CLI.guest("wapc_link_rust.wasm"), "ping", "--json", #""marco""#, "--link", "sample:namespace/pong=echo",
        ])
        expectSuccess(result)
        #expect(result.stdout == "\"marco\"\n", "\(result)")
    }

    @Test("a guest linked to another module gets that module's answer")
    func moduleLink() throws {
        let result = try CLI.run([
            "call", CLI.guest("wapc_link_tinygo.wasm"), "hello", "--raw",
            "--link", "myBinding@sample/hello=\(CLI.guest("wapc_link_rust.wasm"))#pong",
            // The linked module's own --allow-connect rules may be named by its name.
            "--allow-connect", "wapc_link_rust=127.0.0.1:1",
        ])
        expectSuccess(result)
        #expect(result.stdout == "pong: Hello", "\(result)")
    }

    @Test("a linked module that traps is a host error for the caller (exit 1), not a trap (134)")
    func trappingModule() throws {
        let result = try CLI.run([
            "call", CLI.guest("wapc_link_tinygo.wasm"), "hello", "--link", "sample/hello=\(CLI.guest("wapc_echo.wasm"))#trap",
        ])
        expectError(
            result, status: 1,
            mentioning: ["guest error in operation 'hello': Host error: linked module wapc_echo failed", "unreachable"],
            guestStderr: true)
    }

    @Test("a cycle of module links is refused at start with the modules and links that make it")
    func cycle() throws {
        let tinygo = CLI.guest("wapc_link_tinygo.wasm")
        let rust = CLI.guest("wapc_link_rust.wasm")
        let result = try CLI.run([
            "call", tinygo, "hello", "--link", "sample/hello=\(rust)#pong", "--link", "sample:namespace/pong=\(tinygo)#relay",
        ])
        expectError(
            result, status: 2,
            mentioning: ["link cycle wapc_link_tinygo → wapc_link_rust → wapc_link_tinygo", "sample/hello=", "#relay"])
        let itself = try CLI.run(["call", tinygo, "hello", "--link", "sample/hello=\(tinygo)"])
        expectError(itself, status: 2, mentioning: ["link cycle wapc_link_tinygo → wapc_link_tinygo"])
    }

    @Test("a bad --link is a usage error; a linked module that cannot serve exits 1")
    func badLinks() throws {
        let tinygo = CLI.guest("wapc_link_tinygo.wasm")
        expectError(
            try CLI.run(["call", tinygo, "hello", "--link", "sample/hello=pong"]), status: 2,
            mentioning: ["--link 'sample/hello=pong'", "is not echo"])
        expectError(
            try CLI.run(["call", tinygo, "hello", "--link", "sample/hello=echo", "--link", "sample/hello=echo"]), status: 2,
            mentioning: ["--link sample/hello is given twice"])
        expectError(
            try CLI.run(["call", tinygo, "hello", "--link", "sample/hello=\(CLI.guest("calc.wasm"))"]), status: 1,
            mentioning: ["linked module", "calc.wasm", "not a waPC module"])
        expectError(
            try CLI.run(["call", tinygo, "hello", "--link", "sample/hello=/nonexistent/x.wasm"]), status: 1,
            mentioning: ["linked module /nonexistent/x.wasm cannot serve"])
    }

    @Test("an unlinked host call logs one warning naming BINDING@NAMESPACE/OPERATION and the module, then fails as before")
    func unlinked() throws {
        let result = try CLI.run(["call", CLI.guest("wapc_link_tinygo.wasm"), "hello"])
        expectError(
            result, status: 1,
            mentioning: [
                "Host error: no host capability for binding 'myBinding', namespace 'sample', operation 'hello'"
            ], guestStderr: true)
        let warnings = result.stderrLines.filter { $0.contains("unlinked host call") }
        #expect(warnings.count == 1, "\(result)")
        #expect(warnings.first?.contains("myBinding@sample/hello") == true, "\(result)")
        #expect(warnings.first?.contains("wapc_link_tinygo") == true, "\(result)")
    }

    @Test("an http link POSTs to a loopback server allowed by --allow-connect, and is refused without it")
    func httpLink() throws {
        let upstream = try RecordingUpstream { request in
            RecordingUpstream.Reply(body: Array("\(request.headers.first("wapc-operation") ?? "?"): ".utf8) + request.body)
        }
        defer { upstream.stop() }
        let link = "sample/hello=http://127.0.0.1:\(upstream.port)/hello"
        let tinygo = CLI.guest("wapc_link_tinygo.wasm")
        let allowed = try CLI.run([
            "call", tinygo, "hello", "--raw", "--link", link, "--allow-connect", "127.0.0.1:\(upstream.port)",
        ])
        expectSuccess(allowed)
        #expect(allowed.stdout == "hello: Hello", "\(allowed)")
        #expect(upstream.received.first?.headers.first("content-type") == "application/msgpack")
        let refused = try CLI.run(["call", tinygo, "hello", "--link", link])
        expectError(
            refused, status: 1, mentioning: ["is not allowed for module wapc_link_tinygo", "--allow-connect"], guestStderr: true)
        #expect(upstream.connectionCount == 1, "the refused call never connected")
    }

    @Test("serve: links answer the served modules' host calls, an unlinked one warns once, and links have metrics")
    func serve() throws {
        let server = try RunningWasmton([
            "serve", "--port", "0", "--pool-size", "1",
            "--link", "sample/hello=\(CLI.guest("wapc_link_rust.wasm"))#pong",
            CLI.guest("wapc_link_assemblyscript.wasm"), CLI.guest("wapc_link_rust.wasm"),
        ])
        let port = try server.waitForListening()
        let raw = [RawHeader("Accept", "application/octet-stream"), RawHeader("Content-Type", "application/octet-stream")]
        for _ in 0..<2 {
            let hello = try RawHTTP.requestNow(
                port: port, method: "POST", path: "/v1/wapc_link_assemblyscript/hello", headers: raw, body: [])
            #expect(hello.status == 200, "\(hello.text)")
            #expect(hello.text == "pong: Hello")
            // The Rust guest's own ping is not linked (sample:namespace/pong), and never follows
            // the link back to its own module.
            let ping = try RawHTTP.requestNow(
                port: port, method: "POST", path: "/v1/wapc_link_rust/ping", headers: raw, body: Array("x".utf8))
            #expect(ping.status != 200, "\(ping.text)")
        }
        let metrics = try RawHTTP.requestNow(port: port, path: "/metrics")
        let calls = metrics.text.split(separator: "\n").filter { $0.hasPrefix("wasmton_link_calls_total{") }
        #expect(calls.contains { $0.contains(#"link="sample/hello""#) && $0.hasSuffix(" 2") }, "\(metrics.text)")
        #expect(server.stop() == 0)
        let warnings = server.stderr.split(separator: "\n").filter { $0.contains("unlinked host call") }
        #expect(warnings.count == 1, "\(server.stderr)")
        #expect(warnings.first?.contains("binding@sample:namespace/pong") == true, "\(server.stderr)")
    }

    @Test("the config file's links: a mapping of KEY: TARGET, module paths relative to the file")
    func configLinks() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        for guest in ["wapc_link_tinygo", "wapc_link_rust"] {
            try FileManager.default.copyItem(atPath: CLI.guest("\(guest).wasm"), toPath: dir.file("\(guest).wasm"))
        }
        let file = try dir.write(
            "wasmton.yaml",
            """
            modules:
              greeter:
                path: wapc_link_tinygo.wasm
                contract: wapc
            http:
              host: 127.0.0.1
              port: 0
              pool-size: 1
            links:
              "myBinding@sample/hello": wapc_link_rust.wasm#pong
              "sample:namespace": echo
            """)
        let check = try CLI.run(["check-config", file])
        #expect(check.status == 0, "\(check)")
        let server = try RunningWasmton(["serve", "--config", file])
        let port = try server.waitForListening()
        let hello = try RawHTTP.requestNow(
            port: port, method: "POST", path: "/v1/greeter/hello",
            headers: [RawHeader("Accept", "application/octet-stream"), RawHeader("Content-Type", "application/octet-stream")],
            body: [])
        #expect(hello.status == 200, "\(hello.text)\n\(server.stderr)")
        #expect(hello.text == "pong: Hello")
        #expect(server.stop() == 0)
        let bad = try dir.write("bad.yaml", try String(contentsOfFile: file, encoding: .utf8) + "\n  \"sample\": nowhere\n")
        let refused = try CLI.run(["check-config", bad])
        #expect(refused.status == 2, "\(refused)")
        #expect(refused.stderr.contains("links: --link 'sample=nowhere'"), "\(refused)")
    }
}
