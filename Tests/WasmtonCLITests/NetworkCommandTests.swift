import Foundation
import Synchronization
import Testing
import WasmtonTestSupport

/// Guests on the network as a user runs them: `process` with the article's HTTP-GET processor,
/// `call` and `serve` with a waPC function over TCP, against servers on 127.0.0.1; and what a
/// user sees when `--allow-connect` leaves a destination out or is written wrong.
@Suite("Network access from the CLI: --allow-connect")
struct NetworkCommandTests {
    /// The HTTP body the test server answers for `path`: different for every path.
    static func body(_ path: String) -> String {
        "body of \(path) (\(path.utf8.count) bytes of path)"
    }

    static let denialWarning = "guest network access denied by the allow-list"

    /// Expects stderr to hold the allow-list's warning naming each of `fields` (`module=…`,
    /// `address=…`, `port=…`) in one line.
    static func expectDenialLogged(
        _ result: CLIResult, _ fields: [String], sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let warnings = result.stderrLines.filter { $0.contains(denialWarning) }
        #expect(!warnings.isEmpty, "no denial warning on stderr\n\(result)", sourceLocation: sourceLocation)
        #expect(
            warnings.contains { warning in fields.allSatisfy(warning.contains) },
            "no denial warning names \(fields.joined(separator: " ")):\n\(warnings.joined(separator: "\n"))",
            sourceLocation: sourceLocation)
    }

    // MARK: - process

    @Test("process: http_get fetches each task's path from the allowed server and prints the answers")
    func processAllowed() throws {
        let server = try LoopbackServer(.http(delay: .zero, body: Self.body))
        defer { server.stop() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let input = try dir.write("tasks.txt", "{\"path\": \"/alpha\"}\n{\"path\": \"/beta/gamma\"}\n")
        let result = try CLI.run([
            "process", "--input", input, CLI.guest("http_get.wasm"), "--env", "HTTP_HOST=127.0.0.1",
            "--env", "HTTP_PORT=\(server.port)", "--allow-connect", "127.0.0.1:\(server.port)",
        ])
        expectExited(result)
        #expect(result.status == 0, "\(result)")
        for path in ["/alpha", "/beta/gamma"] {
            #expect(result.stdout.contains(Self.body(path)), "no answer for \(path)\n\(result)")
        }
        #expect(result.stdout.components(separatedBy: "HTTP/1.0 200 OK").count == 3, "\(result)")
        #expect(result.stderrLines.last == "wasmton: processed 2, discarded 0, retried 0, dead-lettered 0, emitted 0")
        #expect(!result.stderr.contains(Self.denialWarning), "\(result)")
        #expect(server.acceptedCount == 2)
    }

    @Test("process: without --allow-connect every task is retried, then dead-lettered; the server sees nothing")
    func processDenied() throws {
        let server = try LoopbackServer(.http(delay: .zero, body: Self.body))
        defer { server.stop() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let input = try dir.write("tasks.txt", "{\"path\": \"/alpha\"}\n{\"path\": \"/beta\"}\n")
        let deadLetters = dir.file("dead.jsonl")
        let common = [
            "process", "--input", input, CLI.guest("http_get.wasm"), "--env", "HTTP_HOST=127.0.0.1",
            "--env", "HTTP_PORT=\(server.port)", "--max-retries", "2", "--retry-backoff", "10ms",
        ]
        let result = try CLI.run(common + ["--dead-letter-file", deadLetters])
        expectError(result, status: 134, mentioning: ["2 records failed every attempt"], guestStderr: true)
        #expect(!result.stdout.contains("HTTP/1.0"), "\(result)")
        #expect(
            result.stderrLines.contains("wasmton: processed 0, discarded 0, retried 4, dead-lettered 2, emitted 0"),
            "\(result)")
        // The guest's own line, once per attempt, and the host's warning.
        let guestLine = "http_get: connect 127.0.0.1:\(server.port): errno 2 (access denied by the host's allow-list)"
        #expect(result.stderrLines.filter { $0 == guestLine }.count == 6, "\(result)")
        Self.expectDenialLogged(result, ["module=http_get", "address=127.0.0.1"])
        let dead = try String(contentsOfFile: deadLetters, encoding: .utf8).split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(dead.compactMap { $0["value"] as? String }.sorted() == ["{\"path\": \"/alpha\"}", "{\"path\": \"/beta\"}"])

        // The same server, now allowed: only these connections ever reached it (a listener
        // accepts in arrival order, so an earlier connection would have been counted first).
        let allowed = try CLI.run(common + ["--allow-connect", "127.0.0.1:\(server.port)"])
        #expect(allowed.status == 0, "\(allowed)")
        #expect(allowed.stdout.contains(Self.body("/beta")), "\(allowed)")
        #expect(server.acceptedCount == 2)
    }

    @Test("process: an allow-list for another port is denied the same way")
    func processWrongPort() throws {
        let server = try LoopbackServer(.http(delay: .zero, body: Self.body))
        defer { server.stop() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let input = try dir.write("tasks.txt", "{\"path\": \"/alpha\"}\n")
        let other = server.port == 65_535 ? server.port - 1 : server.port + 1
        let result = try CLI.run([
            "process", "--input", input, CLI.guest("http_get.wasm"), "--env", "HTTP_HOST=127.0.0.1",
            "--env", "HTTP_PORT=\(server.port)", "--max-retries", "0", "--allow-connect", "127.0.0.1:\(other)",
        ])
        expectError(result, status: 134, mentioning: ["1 record failed every attempt"], guestStderr: true)
        Self.expectDenialLogged(result, ["module=http_get", "address=127.0.0.1", "port=\(server.port)"])
        #expect(server.acceptedCount == 0)
    }

    // MARK: - call

    @Test("call: tcp_echo through an allowed address prints the echo as JSON; without the flag, 403 and exit 1")
    func call() throws {
        let server = try LoopbackServer(.echo)
        defer { server.stop() }
        let payload = #"{"host":"127.0.0.1","port":\#(server.port),"message":"hi"}"#
        let denied = try CLI.run(["call", CLI.guest("wapc_tcp.wasm"), "tcp_echo", "--json", payload])
        expectError(
            denied, status: 1, mentioning: ["403", "127.0.0.1:\(server.port)", "denied by the allow-list"],
            guestStderr: true)
        #expect(denied.stdout.isEmpty, "\(denied)")
        Self.expectDenialLogged(denied, ["module=wapc_tcp", "address=127.0.0.1"])

        let allowed = try CLI.run([
            "call", CLI.guest("wapc_tcp.wasm"), "tcp_echo", "--json", payload, "--allow-connect",
            "127.0.0.1:\(server.port)",
        ])
        expectSuccess(allowed)
        #expect(allowed.stdout == "\"hi\"\n", "\(allowed)")
        #expect(server.acceptedCount == 1)

        let longer = try CLI.run([
            "call", CLI.guest("wapc_tcp.wasm"), "tcp_echo", "--json",
            #"{"host":"localhost","port":\#(server.port),"message":"a \"quoted\" line"}"#,
            "--allow-connect", "wapc_tcp=localhost:\(server.port)",
        ])
        expectSuccess(longer)
        #expect(longer.stdout == #""a \"quoted\" line""# + "\n", "\(longer)")
        #expect(server.acceptedCount == 2)
    }

    @Test("with no --allow-connect at all, the denial warning still names the port the guest wanted")
    func deniedPortIsNamed() throws {
        // http_get and wapc_tcp dial as the guest kit does (wasmton.resolve, then sock_connect), and
        // an operator reading the warning needs HOST:PORT to know what --allow-connect to add.
        let server = try LoopbackServer(.echo)
        defer { server.stop() }
        let call = try CLI.run([
            "call", CLI.guest("wapc_tcp.wasm"), "tcp_echo", "--json",
            #"{"host":"127.0.0.1","port":\#(server.port),"message":"hi"}"#,
        ])
        #expect(call.status == 1, "\(call)")
        Self.expectDenialLogged(call, ["module=wapc_tcp", "address=127.0.0.1", "port=\(server.port)"])

        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let input = try dir.write("tasks.txt", "{\"path\": \"/alpha\"}\n")
        let process = try CLI.run([
            "process", "--input", input, CLI.guest("http_get.wasm"), "--env", "HTTP_HOST=127.0.0.1",
            "--env", "HTTP_PORT=\(server.port)", "--max-retries", "0",
        ])
        #expect(process.status == 134, "\(process)")
        Self.expectDenialLogged(process, ["module=http_get", "address=127.0.0.1", "port=\(server.port)"])
        #expect(server.acceptedCount == 0)
    }

    // MARK: - run

    @Test("run: a WASI command echoes through an allowed server; denied, it prints errno 2 and the warning goes to stderr")
    func runCommand() throws {
        let server = try LoopbackServer(.echo)
        defer { server.stop() }
        let probe = CLI.guest("net_probe.wasm")
        let port = "\(server.port)"
        let denied = try CLI.run(["run", probe, "connect-ip", "127.0.0.1", port])
        expectExited(denied)
        #expect(denied.status == 0, "\(denied)")
        #expect(denied.stdout == "connect-ip: errno 2\n", "\(denied)")
        Self.expectDenialLogged(denied, ["module=net_probe", "address=127.0.0.1", "port=\(port)"])

        let allowed = try CLI.run(["run", "--allow-connect", "127.0.0.1:\(port)", probe, "echo", "127.0.0.1", port, "hi"])
        expectSuccess(allowed)
        #expect(allowed.stdout == "echo: hi\n", "\(allowed)")
        #expect(server.acceptedCount == 1)
    }

    @Test("run: --max-sockets and --socket-timeout reach the guest's sockets")
    func runLimits() throws {
        let echo = try LoopbackServer(.echo)
        defer { echo.stop() }
        let silent = try LoopbackServer(.silent)
        defer { silent.stop() }
        let probe = CLI.guest("net_probe.wasm")
        let many = try CLI.run([
            "run", "--allow-connect", "127.0.0.1:\(echo.port)", "--max-sockets", "2", probe, "many", "127.0.0.1",
            "\(echo.port)", "5",
        ])
        expectSuccess(many)
        #expect(many.stdout == "many: opened 2, then errno 33\n", "\(many)")

        let recv = try CLI.run([
            "run", "--allow-connect", "127.0.0.1:\(silent.port)", "--socket-timeout", "300ms", probe, "recv", "127.0.0.1",
            "\(silent.port)",
        ])
        expectSuccess(recv)
        #expect(recv.stdout == "recv: errno 73\n", "\(recv)")
        #expect(recv.elapsed < .seconds(20), "\(recv)")
    }

    // MARK: - serve

    /// A `wasmton serve` process on a free port, stopped with SIGTERM.
    final class Server {
        let process = Process()
        let scratch: TemporaryDirectory
        private(set) var port: UInt16 = 0

        init(_ arguments: [String]) throws {
            scratch = try TemporaryDirectory(prefix: "wasmton-serve")
            let stderrPath = scratch.file("stderr")
            _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
            process.executableURL = URL(fileURLWithPath: CLI.binaryPath)
            process.arguments = ["serve", "--port", "0"] + arguments
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = FileHandle.nullDevice
            process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
            try process.run()
            let deadline = ContinuousClock.now + .seconds(30)
            while port == 0, process.isRunning, ContinuousClock.now < deadline {
                if let match = stderr.firstMatch(of: #/http:\/\/127\.0\.0\.1:([0-9]+)/#), let found = UInt16(match.1) {
                    port = found
                } else {
                    usleep(20_000)
                }
            }
            guard port != 0 else {
                stop()
                throw ServeFailed(stderr: stderr)
            }
        }

        var stderr: String { (try? String(contentsOfFile: scratch.file("stderr"), encoding: .utf8)) ?? "" }

        func stop() {
            if process.isRunning {
                process.terminate()
                let deadline = ContinuousClock.now + .seconds(10)
                while process.isRunning, ContinuousClock.now < deadline { usleep(20_000) }
                if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            }
            scratch.remove()
        }
    }

    struct ServeFailed: Error, CustomStringConvertible {
        var stderr: String
        var description: String { "wasmton serve did not start listening\n\(stderr)" }
    }

    /// One HTTP/1.1 exchange with `Connection: close` over a plain socket: the status and body.
    static func http(
        _ method: String, port: UInt16, path: String, body: String = "", contentType: String = "application/json"
    ) throws -> (status: Int, body: String) {
        let handle = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(handle >= 0)
        defer { close(handle) }
        var timeout = timeval(tv_sec: 20, tv_usec: 0)
        setsockopt(handle, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(handle, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        try #require(connected == 0, "cannot connect to the gateway on port \(port)")
        let request = Array(
            ("\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
                + "Content-Type: \(contentType)\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)").utf8)
        var offset = 0
        while offset < request.count {
            let sent = request[offset...].withUnsafeBytes { send(handle, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            try #require(sent > 0, "send failed")
            offset += sent
        }
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = recv(handle, &buffer, buffer.count, 0)
            if count <= 0 { break }
            answer += buffer[0..<count]
        }
        let text = String(decoding: answer, as: UTF8.self)
        let parts = text.components(separatedBy: "\r\n\r\n")
        let statusLine = parts.first?.split(separator: "\r\n").first ?? ""
        let fields = statusLine.split(separator: " ")
        let status = try #require(fields.count > 1 ? Int(fields[1]) : nil, "no status line in “\(text)”")
        return (status, parts.dropFirst().joined(separator: "\r\n\r\n"))
    }

    /// The value of the Prometheus sample `name{…}` whose labels include every one of `labels`.
    static func metric(_ text: String, _ name: String, _ labels: [String]) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(name + "{") {
            guard labels.allSatisfy({ line.contains($0) }), let value = line.split(separator: " ").last else { continue }
            return Double(value)
        }
        return nil
    }

    @Test("serve: POST /v1/wapc_tcp/tcp_echo reaches the allowed server; another port is 403 and counted in /metrics")
    func serve() throws {
        let echo = try LoopbackServer(.echo)
        defer { echo.stop() }
        let unlisted = try LoopbackServer(.echo)
        defer { unlisted.stop() }
        let gateway = try Server([
            CLI.guest("wapc_tcp.wasm"), "--allow-connect", "wapc_tcp=127.0.0.1:\(echo.port)", "--pool-size", "1",
        ])
        defer { gateway.stop() }

        let ok = try Self.http(
            "POST", port: gateway.port, path: "/v1/wapc_tcp/tcp_echo",
            body: #"{"host":"127.0.0.1","port":\#(echo.port),"message":"over http"}"#)
        #expect(ok.status == 200, "\(ok)\n\(gateway.stderr)")
        #expect(ok.body == "\"over http\"\n", "\(ok)")
        #expect(echo.acceptedCount == 1)

        let denied = try Self.http(
            "POST", port: gateway.port, path: "/v1/wapc_tcp/tcp_echo",
            body: #"{"host":"127.0.0.1","port":\#(unlisted.port),"message":"nope"}"#)
        #expect(denied.status == 403, "\(denied)\n\(gateway.stderr)")
        #expect(denied.body.contains("denied by the allow-list"), "\(denied)")
        #expect(denied.body.contains("127.0.0.1:\(unlisted.port)"), "\(denied)")

        // The pool's instance still works after a denial.
        let again = try Self.http(
            "POST", port: gateway.port, path: "/v1/wapc_tcp/tcp_echo",
            body: #"{"host":"127.0.0.1","port":\#(echo.port),"message":"again"}"#)
        #expect(again.status == 200 && again.body == "\"again\"\n", "\(again)")

        let metrics = try Self.http("GET", port: gateway.port, path: "/metrics")
        #expect(metrics.status == 200)
        let deniedLines = metrics.body.split(separator: "\n").filter {
            $0.hasPrefix("wasmton_socket_denied_total{") && $0.contains(#"module="wapc_tcp""#)
        }
        #expect(deniedLines.count == 1, "\(metrics.body)")
        let line = deniedLines.first ?? ""
        #expect(line.contains(#"address="127.0.0.1""#) && line.contains(#"port="\#(unlisted.port)""#), "\(line)")
        #expect(line.hasSuffix(" 1"), "\(line)")

        // Bytes each way and connects by outcome, per module.
        let module = #"module="wapc_tcp""#
        let sent = Self.metric(metrics.body, "wasmton_socket_sent_bytes_total", [module])
        let received = Self.metric(metrics.body, "wasmton_socket_received_bytes_total", [module])
        #expect(sent == Double("over http".utf8.count + "again".utf8.count), "\(metrics.body)")
        #expect(received == Double("over http".utf8.count + "again".utf8.count), "\(metrics.body)")
        #expect(Self.metric(metrics.body, "wasmton_socket_connects_total", [module, #"outcome="ok""#]) == 2)
        #expect(Self.metric(metrics.body, "wasmton_socket_connects_total", [module, #"outcome="denied""#]) == 1)
        #expect(Self.metric(metrics.body, "wasmton_sockets_open", [module]) == 0, "\(metrics.body)")

        #expect(unlisted.acceptedCount == 0)
        #expect(gateway.stderr.contains(Self.denialWarning), "\(gateway.stderr)")
    }

    @Test("serve NAME=PATH: each served name has its own allow-list, and its denials are labelled with that name")
    func servePerModule() throws {
        let echo = try LoopbackServer(.echo)
        defer { echo.stop() }
        let path = CLI.guest("wapc_tcp.wasm")
        let gateway = try Server([
            path, "closed=\(path)", "--allow-connect", "wapc_tcp=127.0.0.1:\(echo.port)", "--pool-size", "1",
        ])
        defer { gateway.stop() }
        let body = #"{"host":"127.0.0.1","port":\#(echo.port),"message":"m"}"#

        // The same file under another name does not inherit wapc_tcp's rules.
        let closed = try Self.http("POST", port: gateway.port, path: "/v1/closed/tcp_echo", body: body)
        #expect(closed.status == 403, "\(closed)\n\(gateway.stderr)")
        let open = try Self.http("POST", port: gateway.port, path: "/v1/wapc_tcp/tcp_echo", body: body)
        #expect(open.status == 200 && open.body == "\"m\"\n", "\(open)")
        #expect(echo.acceptedCount == 1)

        // The operator allowed by served name, so the refusal must be reported under it.
        let metrics = try Self.http("GET", port: gateway.port, path: "/metrics")
        let denied = metrics.body.split(separator: "\n").filter { $0.hasPrefix("wasmton_socket_denied_total{") }
        #expect(denied.contains { $0.contains(#"module="closed""#) }, "\(denied)")
        #expect(!denied.contains { $0.contains(#"module="wapc_tcp""#) }, "\(denied)")
        let warnings = gateway.stderr.split(separator: "\n").filter { $0.contains(Self.denialWarning) }
        #expect(warnings.contains { $0.contains("module=closed") }, "\(warnings)")
    }

    // MARK: - Bad flags

    @Test("a malformed --allow-connect is a usage error (exit 2, one line naming the rule)")
    func malformedRule() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let input = try dir.write("tasks.txt", "{\"path\": \"/\"}\n")
        let tcp = CLI.guest("wapc_tcp.wasm")
        let runs: [[String]] = [
            ["call", tcp, "tcp_echo", "--json", "{}", "--allow-connect", "nonsense"],
            ["serve", tcp, "--port", "0", "--allow-connect", "nonsense"],
            ["process", "--input", input, CLI.guest("http_get.wasm"), "--allow-connect", "nonsense"],
            ["call", tcp, "tcp_echo", "--json", "{}", "--allow-connect", "127.0.0.1:99999"],
            ["call", tcp, "tcp_echo", "--json", "{}", "--allow-connect", "10.0.0.0/33:80"],
        ]
        for arguments in runs {
            let rule = arguments.last!
            expectError(try CLI.run(arguments, timeout: .seconds(20)), status: 2, mentioning: ["--allow-connect", rule])
        }
    }

    @Test("--allow-connect MODULE=… for a module not being run is a usage error naming it")
    func unknownModule() throws {
        let tcp = CLI.guest("wapc_tcp.wasm")
        for arguments in [
            ["call", tcp, "tcp_echo", "--json", "{}", "--allow-connect", "other=127.0.0.1:80"],
            ["serve", tcp, "--port", "0", "--allow-connect", "other=127.0.0.1:80"],
        ] {
            let result = try CLI.run(arguments, timeout: .seconds(20))
            expectError(result, status: 2, mentioning: ["other", "wapc_tcp"])
        }
    }

    @Test("bad socket limits are usage errors")
    func badLimits() throws {
        let tcp = CLI.guest("wapc_tcp.wasm")
        let base = ["call", tcp, "tcp_echo", "--json", "{}", "--allow-connect", "127.0.0.1:80"]
        expectError(try CLI.run(base + ["--max-sockets", "0"]), status: 2, mentioning: ["--max-sockets"])
        expectError(try CLI.run(base + ["--connect-timeout", "soon"]), status: 2, mentioning: ["--connect-timeout"])
        expectError(try CLI.run(base + ["--socket-timeout", "0"]), status: 2, mentioning: ["--socket-timeout"])
    }
}
