import Foundation
import Testing
import WasmtonTestSupport

/// One config file for everything a process runs: `check-config`, and `serve`/`process` with
/// `--config`, as an operator uses them.
@Suite("config file")
struct ConfigCommandTests {
    /// A config with a waPC module behind the auth filter and a stream, module paths relative to
    /// the file (the guests are copied next to it).
    static func write(in dir: TemporaryDirectory, _ extra: String = "", http: String = "") throws -> String {
        for guest in ["cuckoo_filter", "message_processor", "proxy_auth_filter"] {
            try FileManager.default.copyItem(atPath: CLI.guest("\(guest).wasm"), toPath: dir.file("\(guest).wasm"))
        }
        return try dir.write(
            "wasmton.yaml",
            """
            log-level: info
            sandbox:
              timeout: 2s
              max-memory: 64M
            modules:
              cuckoo:
                path: cuckoo_filter.wasm
                contract: wapc
              processor:
                path: message_processor.wasm
                contract: poll-task
                sandbox:
                  dir: .::.
            http:
              host: 127.0.0.1
              port: 0
              pool-size: 1
              request-timeout: 30s
              filters:
                - path: proxy_auth_filter.wasm
                  config: ${AUTH_TOKEN}
            \(http)streams:
              orders:
                module: processor
                input:
                  file: records.jsonl
                  format: jsonl
                partition-concurrency: 2
                max-retries: 0
            \(extra)
            """)
    }

    @Test("check-config accepts a good file and names what it runs")
    func checkGood() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let file = try Self.write(in: dir)
        let result = try CLI.run(["check-config", file], environment: ["AUTH_TOKEN": "s3cret"])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("ok (modules: cuckoo (wapc), processor (poll-task); http; streams: orders)"), "\(result)")
    }

    /// Each mistake, what replaces what in the good file, and the line the error must point at.
    static let mistakes: [(name: String, from: String, to: String, line: Int, says: String)] = [
        (
            "unknown section", "log-level: info", "log-levle: info", 1,
            "unknown key log-levle in the file (did you mean log-level?)"
        ),
        (
            "unknown option", "  pool-size: 1", "  pool-sise: 1", 17,
            "http.pool-sise: serve has no option pool-sise (did you mean pool-size?)"
        ),
        ("bad number", "  pool-size: 1", "  pool-size: -3", 17, "http.pool-size: --pool-size must be at least 1"),
        ("not a number", "  port: 0", "  port: banana", 16, "http.port: 'banana' is not a whole number (--port)"),
        (
            "bad allow-connect rule", "  max-memory: 64M", "  max-memory: 64M\n  allow-connect: [\"*:80\", nowhere]", 5,
            "sandbox.allow-connect: "
        ),
        (
            "bad value", "request-timeout: 30s", "request-timeout: soon", 18,
            "http.request-timeout: --request-timeout 'soon' is not a positive duration"
        ),
        ("bad sandbox value", "max-memory: 64M", "max-memory: lots", 4, "sandbox.max-memory"),
        ("unset variable", "${AUTH_TOKEN}", "${NO_SUCH_TOKEN}", 21, "the environment variable NO_SUCH_TOKEN is not set"),
        ("missing module file", "path: cuckoo_filter.wasm", "path: missing.wasm", 7, "module cuckoo: no file at"),
        (
            "wrong contract", "path: cuckoo_filter.wasm", "path: message_processor.wasm", 7,
            "is not a wapc module: it does not export __guest_call"
        ),
        ("unknown contract", "contract: poll-task", "contract: kafka", 11, "contract 'kafka' is not one of wapc, poll-task"),
        (
            "stream of a wapc module", "module: processor", "module: cuckoo", 24,
            "module cuckoo is a wapc module; this needs a poll-task one"
        ),
        ("invalid YAML", "  pool-size: 1", "  pool-size: [1", 18, "not valid YAML"),  // libyaml notices on the next line
        ("duplicate key", "  pool-size: 1", "  pool-size: 1\n  pool-size: 2", 17, "pool-size is given twice"),
    ]

    @Test("check-config points at the line of each mistake and exits 2", arguments: 0..<mistakes.count)
    func checkMistakes(index: Int) throws {
        let mistake = Self.mistakes[index]
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let good = try String(contentsOfFile: try Self.write(in: dir), encoding: .utf8)
        #expect(good.contains(mistake.from), "\(mistake.name): the good file has \(mistake.from)")
        let file = try dir.write("bad.yaml", good.replacingOccurrences(of: mistake.from, with: mistake.to))
        let result = try CLI.run(["check-config", file], environment: ["AUTH_TOKEN": "s3cret"])
        #expect(result.status == 2, "\(mistake.name): \(result)")
        let located = result.stderrLines.first { $0.contains("bad.yaml:\(mistake.line):") }
        #expect(located?.contains(mistake.says) == true, "\(mistake.name): \(result.stderr)")
    }

    @Test("a secret written into the file is refused: put it in the environment")
    func literalSecret() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let file = try Self.write(
            in: dir,
            """
              payments:
                module: processor
                kafka:
                  bootstrap-servers: 127.0.0.1:9092
                  topic: payments
                  group: g
                  properties:
                    sasl.password: hunter2
            """)
        let result = try CLI.run(["check-config", file], environment: ["AUTH_TOKEN": "s3cret"])
        #expect(result.status == 2, "\(result)")
        #expect(
            result.stderr.contains("wasmton.yaml:37:"), "\(result.stderr)")
        #expect(result.stderr.contains("sasl.password looks like a secret"), "\(result.stderr)")
        #expect(!result.stderr.contains("hunter2"), "the error does not repeat the secret")
        let fixed = try dir.write(
            "fixed.yaml",
            try String(contentsOfFile: file, encoding: .utf8).replacingOccurrences(
                of: "hunter2", with: "${KAFKA_PASSWORD}"))
        let ok = try CLI.run(["check-config", fixed], environment: ["AUTH_TOKEN": "s3cret", "KAFKA_PASSWORD": "pw"])
        #expect(ok.status == 0, "\(ok)")
    }

    @Test("serve --config: modules and filter from the file, the token from the environment, typed options win")
    func serveFromConfig() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let file = try Self.write(in: dir)
        let server = try RunningWasmton(
            ["serve", "--config", file, "--pool-size", "2"], environment: ["AUTH_TOKEN": "from-env"])
        let port = try server.waitForListening()
        let path = "/v1/cuckoo/check_word_exists"
        let json = [RawHeader("Content-Type", "application/json")]
        let body = Array(#"{"name":"foo"}"#.utf8)
        let denied = try RawHTTP.requestNow(port: port, method: "POST", path: path, headers: json, body: body)
        #expect(denied.status == 401, "the filter from the file runs")
        let allowed = try RawHTTP.requestNow(
            port: port, method: "POST", path: path, headers: json + [RawHeader("authorization", "Bearer from-env")], body: body)
        #expect(allowed.status == 200)
        #expect(allowed.text == "\"true\"\n")
        let metrics = try RawHTTP.requestNow(port: port, path: "/metrics")
        #expect(metrics.text.contains(#"wasmton_pool_instances{module="cuckoo"} 2"#), "--pool-size 2 typed after --config wins")
        #expect(server.stop() == 0)
    }

    @Test("a bad value in the file names its key and line when the command runs too")
    func badValueRunning() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let good = try String(contentsOfFile: try Self.write(in: dir), encoding: .utf8)
        let file = try dir.write("bad.yaml", good.replacingOccurrences(of: "  pool-size: 1", with: "  pool-size: -3"))
        let result = try CLI.run(["serve", "--config", file], environment: ["AUTH_TOKEN": "x"])
        #expect(result.status == 2, "\(result)")
        let line = result.stderrLines.first { $0.contains("bad.yaml:17:") }
        #expect(line?.contains("http.pool-size: --pool-size must be at least 1") == true, "\(result)")
        let overridden = try CLI.run(
            ["serve", "--config", file, "--pool-size", "2", "--port", "70000"], environment: ["AUTH_TOKEN": "x"])
        #expect(overridden.status == 2, "\(overridden)")
        #expect(
            overridden.stderr.contains("error: --port 70000 is not a TCP port"),
            "the typed --pool-size 2 replaces the file's bad one; the typed --port is the one at fault: \(overridden)")
    }

    @Test("a bad value typed on the command line is not blamed on the file's valid key")
    func badTypedValue() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let file = try Self.write(in: dir)
        let result = try CLI.run(["serve", "--config", file, "--pool-size", "0"], environment: ["AUTH_TOKEN": "x"])
        #expect(result.status == 2, "\(result)")
        #expect(result.stderr.contains("error: --pool-size must be at least 1"), "\(result)")
        #expect(!result.stderr.contains("wasmton.yaml") && !result.stderr.contains("http.pool-size"), "\(result)")
        let stream = try CLI.run(
            ["process", "--config", file, "--partition-concurrency", "x"], environment: ["AUTH_TOKEN": "x"])
        #expect(stream.status == 2, "\(stream)")
        #expect(!stream.stderr.contains("wasmton.yaml"), "an ArgumentParser error about a typed value: \(stream)")
    }

    @Test("--log-format json: one JSON object per line, with the event's metadata as fields")
    func jsonLogs() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        _ = try dir.write("records.jsonl", "{\"key\": \"a\", \"value\": {\"message\": \"one\"}}\n")
        let file = try Self.write(in: dir, "log-format: json\n")
        let result = try CLI.run(["process", "--config", file], environment: ["AUTH_TOKEN": "x"])
        #expect(result.status == 0, "\(result)")
        let objects = result.stderrLines.filter { $0.hasPrefix("{") }
        #expect(!objects.isEmpty, "\(result.stderr)")
        for line in objects {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["level"] != nil && object?["message"] != nil && object?["time"] != nil, "\(line)")
        }
        #expect(objects.contains { $0.contains(#""message":"state: running""#) }, "\(result.stderr)")
    }

    @Test("process --config --stream: the stream's input, module and per-module sandbox from the file")
    func processFromConfig() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        _ = try dir.write(
            "records.jsonl",
            """
            {"key": "a", "value": {"message": "one"}}
            {"key": "b", "value": {"message": "two"}}

            """)
        let file = try Self.write(in: dir)
        let result = try CLI.run(
            ["process", "--config", file, "--stream", "orders"], environment: ["AUTH_TOKEN": "x"], directory: dir.url)
        #expect(result.status == 0, "\(result)")
        #expect(
            result.stderrLines.last == "wasmton: processed 2, discarded 0, retried 0, dead-lettered 0, emitted 0", "\(result)")
        let messages = try String(contentsOfFile: dir.file("messages"), encoding: .utf8)
        #expect(messages.split(separator: "\n").sorted() == ["one", "two"], "the module's sandbox dir (.::.) was granted")
        let unknown = try CLI.run(["process", "--config", file, "--stream", "nope"], environment: ["AUTH_TOKEN": "x"])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("no stream named 'nope' (streams: orders)"), "\(unknown)")
    }

    @Test("the README's example config passes check-config")
    func readmeExample() throws {
        let readme = try String(contentsOf: CLI.repoRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let section = try #require(readme.range(of: "## Running it as a service"))
        let start = try #require(readme.range(of: "```yaml\n", range: section.upperBound..<readme.endIndex))
        let end = try #require(readme.range(of: "```", range: start.upperBound..<readme.endIndex))
        let guests = CLI.repoRoot.appendingPathComponent("guests/build").path + "/"
        let example = readme[start.upperBound..<end.lowerBound].replacingOccurrences(of: "guests/build/", with: guests)
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let file = try dir.write("wasmton.yaml", example)
        let result = try CLI.run(
            ["check-config", file], environment: ["API_TOKEN": "a", "AUTH_TOKEN": "b", "KAFKA_PASSWORD": "c"])
        #expect(result.status == 0, "\(result)")
    }

    @Test("proxy --config: listen, upstream and filters from the file's proxy section")
    func proxyFromConfig() throws {
        let upstream = try RecordingUpstream()
        defer { upstream.stop() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try FileManager.default.copyItem(atPath: CLI.guest("proxy_header_filter.wasm"), toPath: dir.file("hello.wasm"))
        let file = try dir.write(
            "wasmton.yaml",
            """
            proxy:
              listen: 127.0.0.1:0
              upstream: http://127.0.0.1:\(upstream.port)
              upstream-timeout: 5s
              filters: [hello.wasm]
            """)
        let check = try CLI.run(["check-config", file])
        #expect(check.status == 0, "\(check)")
        #expect(check.stdout.contains("ok (proxy)"), "\(check)")
        let proxy = try RunningWasmton(["proxy", "--config", file])
        let port = try proxy.waitForListening()
        let answer = try RawHTTP.requestNow(port: port, path: "/hi", headers: [RawHeader("Host", "example.test")])
        #expect(answer.status == 200)
        #expect(upstream.received.last?.headers.first("x-hello") == "Hello world from example.test")
        #expect(proxy.stop() == 0)
    }
}
