import Foundation
import Testing
import WasmtonTestSupport

/// A `wasmton` server process (`proxy`, `serve`) left running while a test talks to it, then
/// stopped with SIGTERM as a user or an orchestrator does.
final class RunningWasmton {
    let arguments: [String]
    private let process = Process()
    private let scratch: TemporaryDirectory
    private let stderrURL: URL
    private let exited = DispatchSemaphore(value: 0)

    /// Starts `wasmton ARGUMENTS…` with `environment` added to the test's; stdout and stderr go
    /// to files.
    init(_ arguments: [String], environment: [String: String] = [:]) throws {
        let binary = CLI.binaryPath
        guard FileManager.default.isExecutableFile(atPath: binary) else { throw CLI.BinaryMissing(path: binary) }
        self.arguments = arguments
        scratch = try TemporaryDirectory(prefix: "wasmton-server")
        stderrURL = scratch.url.appendingPathComponent("stderr")
        let stdoutURL = scratch.url.appendingPathComponent("stdout")
        _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.standardOutput = try FileHandle(forWritingTo: stdoutURL)
        process.standardError = try FileHandle(forWritingTo: stderrURL)
        process.standardInput = FileHandle.nullDevice
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.terminationHandler = { [exited] _ in exited.signal() }
        try process.run()
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            exited.wait()
        }
        scratch.remove()
    }

    var stderr: String { (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "" }

    struct NotListening: Error, CustomStringConvertible {
        var arguments: [String]
        var stderr: String
        var description: String { "wasmton \(arguments.joined(separator: " ")) did not report a port\n\(stderr)" }
    }

    /// The port from the `listening` log line (`address=http://HOST:PORT`).
    func waitForListening(timeout: Duration = .seconds(60)) throws -> Int {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let text = stderr
            if let line = text.split(separator: "\n").first(where: { $0.contains("listening") && $0.contains("address=") }),
                let range = line.range(of: #"address=http://[^ ]*:([0-9]+)"#, options: .regularExpression),
                let port = Int(line[range].split(separator: ":").last ?? "")
            {
                return port
            }
            if !process.isRunning { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw NotListening(arguments: arguments, stderr: stderr)
    }

    /// Whether stderr shows `text` within `timeout`.
    func waitForLog(_ text: String, timeout: Duration = .seconds(30)) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if stderr.contains(text) { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return stderr.contains(text)
    }

    /// Sends `signal` (SIGHUP, say) to the process.
    func send(_ signal: Int32) {
        if process.isRunning { kill(process.processIdentifier, signal) }
    }

    /// SIGTERM, then the exit status (killed with SIGKILL after 15 s: `nil`).
    func stop() -> Int32? {
        guard process.isRunning else { return process.terminationStatus }
        process.terminate()
        if exited.wait(timeout: .now() + 15) == .timedOut {
            kill(process.processIdentifier, SIGKILL)
            exited.wait()
            return nil
        }
        return process.terminationReason == .exit ? process.terminationStatus : -process.terminationStatus
    }
}

/// Runs curl as a user does, if it is installed: `curl -s -i ARGUMENTS…`.
func curl(_ arguments: [String]) throws -> String? {
    let path = "/usr/bin/curl"
    guard FileManager.default.isExecutableFile(atPath: path) else { return nil }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = ["-s", "-i", "--max-time", "30"] + arguments
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
}

/// `wasmton proxy` and `wasmton serve --filter` as a user runs them, the book's curl included.
@Suite("proxy command and filters on the command line")
struct ProxyCommandTests {
    @Test("the book's flow: wasmton proxy with the header filter; curl localhost:PORT; the upstream got x-hello")
    func bookFlow() throws {
        let upstream = try RecordingUpstream()
        defer { upstream.stop() }
        let proxy = try RunningWasmton([
            "proxy", "--listen", ":0", "--upstream", "http://127.0.0.1:\(upstream.port)", "--filter",
            CLI.guest("proxy_header_filter.wasm"),
        ])
        let port = try proxy.waitForListening()
        if let output = try curl(["http://localhost:\(port)/"]) {
            #expect(output.hasPrefix("HTTP/1.1 200"), "\(output)")
            #expect(output.hasSuffix("upstream saw GET /\n"), "\(output)")
        } else {
            let answer = try RawHTTP.requestNow(
                port: port, headers: [RawHeader("Host", "localhost:\(port)"), RawHeader("User-Agent", "curl/8.5.0")])
            #expect(answer.status == 200)
        }
        let received = try #require(upstream.received.last)
        #expect(received.headers.values("x-hello") == ["Hello world from localhost:\(port)"], "\(received.headers)")
        #expect(proxy.stop() == 0, "SIGTERM ends the proxy with status 0\n\(proxy.stderr)")
        let log = proxy.stderr
        #expect(log.contains("listening"))
        #expect(log.contains("upstream=http://127.0.0.1:\(upstream.port)"), "\(log)")
        #expect(log.contains(" HTTP headers in #"), "the filter's own log lines reach stderr\n\(log)")
        #expect(log.contains("-> :authority: localhost:\(port)"), "\(log)")
        #expect(log.contains("stopped"))
    }

    @Test("--filter FILTER.wasm:@FILE reads the configuration from a file given by an absolute path")
    func configurationFile() throws {
        let upstream = try RecordingUpstream()
        defer { upstream.stop() }
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let tokenFile = try directory.write("token.json", #"{"token": "from-a-file"}"#)
        let proxy = try RunningWasmton([
            "proxy", "--listen", "127.0.0.1:0", "--upstream", "http://127.0.0.1:\(upstream.port)", "--filter",
            CLI.guest("proxy_auth_filter.wasm") + ":@" + tokenFile,
        ])
        let port = try proxy.waitForListening()
        #expect(try RawHTTP.requestNow(port: port, path: "/x").status == 401)
        let allowed = try RawHTTP.requestNow(port: port, path: "/x", headers: [RawHeader("Authorization", "Bearer from-a-file")])
        #expect(allowed.status == 200)
        #expect(proxy.stop() == 0)
    }

    @Test("--filter FILTER.wasm:CONFIG keeps a configuration that contains a slash (a base64 token, a JSON path)")
    func configurationWithSlash() throws {
        let upstream = try RecordingUpstream()
        defer { upstream.stop() }
        let proxy = try RunningWasmton([
            "proxy", "--listen", "127.0.0.1:0", "--upstream", "http://127.0.0.1:\(upstream.port)", "--filter",
            CLI.guest("proxy_auth_filter.wasm") + ":ab/cd+ef==",
        ])
        let port = try proxy.waitForListening()
        let allowed = try RawHTTP.requestNow(port: port, path: "/x", headers: [RawHeader("Authorization", "Bearer ab/cd+ef==")])
        #expect(allowed.status == 200)
        #expect(proxy.stop() == 0)
    }

    @Test("two filters in order, an upstream path prefix, and --filter-fail-open skipping a trapping filter")
    func chainAndFailOpen() throws {
        let upstream = try RecordingUpstream()
        defer { upstream.stop() }
        let proxy = try RunningWasmton([
            "proxy", "--listen", "127.0.0.1:0", "--upstream", "http://127.0.0.1:\(upstream.port)/base", "--workers", "1",
            "--filter", CLI.guest("proxy_auth_filter.wasm") + ":s3cret", "--filter", CLI.guest("proxy_test_trap.wasm"),
            "--filter-fail-open",
        ])
        let port = try proxy.waitForListening()
        let denied = try RawHTTP.requestNow(port: port, path: "/x")
        #expect(denied.status == 401)
        #expect(upstream.received.isEmpty)
        let token = [RawHeader("Authorization", "Bearer s3cret")]
        let allowed = try RawHTTP.requestNow(port: port, path: "/x", headers: token)
        #expect(allowed.status == 200)
        #expect(upstream.received.last?.target == "/base/x", "the upstream's path prefix")
        #expect(upstream.received.last?.headers.first("x-trap-filter") == "passed")
        let trapped = try RawHTTP.requestNow(port: port, path: "/trap", headers: token)
        #expect(trapped.status == 200, "fail open: \(trapped)")
        #expect(upstream.received.last?.target == "/base/trap")
        #expect(upstream.received.last?.headers.first("x-trap-filter") == nil)
        #expect(proxy.stop() == 0)
    }

    @Test("serve --filter: the auth filter in front of the book's cuckoo filter (README)")
    func serveWithAuthFilter() throws {
        let server = try RunningWasmton([
            "serve", CLI.guest("cuckoo_filter.wasm"), "--port", "0", "--pool-size", "1", "--filter",
            CLI.guest("proxy_auth_filter.wasm") + ":s3cret",
        ])
        let port = try server.waitForListening()
        let path = "/v1/cuckoo_filter/check_word_exists"
        let json = [RawHeader("Content-Type", "application/json")]
        let body = Array(#"{"name":"foo"}"#.utf8)
        let denied = try RawHTTP.requestNow(port: port, method: "POST", path: path, headers: json, body: body)
        #expect(denied.status == 401)
        #expect(denied.text == "401 Unauthorized: missing bearer token\n")
        let allowed = try RawHTTP.requestNow(
            port: port, method: "POST", path: path, headers: json + [RawHeader("authorization", "Bearer s3cret")], body: body)
        #expect(allowed.status == 200)
        #expect(allowed.text == "\"true\"\n")
        #expect(server.stop() == 0)
        #expect(server.stderr.contains("filters=proxy_auth_filter"), "\(server.stderr)")
    }

    @Test("a trapping filter in serve: 500 filter_failed, then the VM restarts; /metrics counts failures and restarts")
    func serveTrapMetrics() throws {
        let server = try RunningWasmton([
            "serve", CLI.guest("wapc_echo.wasm"), "--port", "0", "--pool-size", "1", "--filter",
            CLI.guest("proxy_test_trap.wasm"),
        ])
        let port = try server.waitForListening()
        let trapped = try RawHTTP.requestNow(port: port, path: "/trap")
        #expect(trapped.status == 500)
        #expect(trapped.text.contains("\"filter_failed\""), "\(trapped)")
        let next = try RawHTTP.requestNow(port: port, path: "/no-such-route")
        #expect(next.status == 404, "the restarted filter let the request on to the routes")
        let metrics = try RawHTTP.requestNow(port: port, path: "/metrics").text
        let lines = metrics.split(separator: "\n").filter { !$0.hasPrefix("#") && $0.contains("proxy_test_trap") }
        #expect(
            lines.contains { $0.hasPrefix("wasmton_filter_restarts_total") && $0.hasSuffix(" 1") }, "\(lines)")
        #expect(
            lines.contains {
                $0.hasPrefix("wasmton_filter_failures_total") && $0.contains("kind=\"trap\"") && $0.hasSuffix(" 1")
            },
            "\(lines)")
        #expect(lines.contains { $0.hasPrefix("wasmton_filter_calls_total") && $0.contains("outcome=\"continue\"") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("wasmton_filter_duration_seconds") }, "\(lines)")
        #expect(server.stop() == 0)
    }

    @Test("proxy refuses bad usage and bad filters with one error line and a status")
    func errors() throws {
        let https = try CLI.run(["proxy", "--listen", ":0", "--upstream", "https://x"])
        expectError(https, status: 2, mentioning: ["https://x", "http://"])
        let listen = try CLI.run(["proxy", "--listen", "nowhere", "--upstream", "http://127.0.0.1:1"])
        expectError(listen, status: 2, mentioning: ["--listen"])
        let noUpstream = try CLI.run(["proxy", "--listen", ":0"])
        #expect(noUpstream.status == 2, "\(noUpstream)")

        let upstream = ["proxy", "--listen", ":0", "--upstream", "http://127.0.0.1:1"]
        let missing = try CLI.run(upstream + ["--filter", "/no/such/missing.wasm"], timeout: .seconds(30))
        expectError(missing, status: 1, mentioning: ["missing.wasm"])
        let calc = try CLI.run(upstream + ["--filter", CLI.guest("calc.wasm")], timeout: .seconds(30))
        expectError(calc, status: 1, mentioning: ["calc", "not a proxy-wasm filter"])
        // The auth filter says why on its own log line (a guest's output), then the error.
        let unconfigured = try CLI.run(upstream + ["--filter", CLI.guest("proxy_auth_filter.wasm")], timeout: .seconds(30))
        expectError(
            unconfigured, status: 1, mentioning: ["proxy_auth_filter", "rejected its configuration"], guestStderr: true)
        let serve = try CLI.run(
            ["serve", CLI.guest("cuckoo_filter.wasm"), "--port", "0", "--filter", CLI.guest("proxy_auth_filter.wasm")],
            timeout: .seconds(30))
        expectError(serve, status: 1, mentioning: ["proxy_auth_filter", "rejected its configuration"], guestStderr: true)
    }
}
