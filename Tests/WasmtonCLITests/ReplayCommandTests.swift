import Foundation
import Testing
import WasmtonTestSupport

/// `wasmton replay` and `serve --capture` as a user runs them before a deploy, with the pricing
/// processor's versions (guests/src/pricing.c) and the greeter waPC module's (wapc_greeter.c).
@Suite("replay command")
struct ReplayCommandTests {
    /// Six orders; v2 prices offsets 1 and 4 (10+ items) lower and discards offset 2 (0 items).
    static let orders = """
        {"key": "alice", "value": "apple,3,120"}
        {"key": "bob", "value": "pear,10,50"}
        {"key": "carol", "value": "plum,0,99"}
        {"key": "dave", "value": "fig,2,300"}
        {"key": "erin", "value": "kiwi,12,25"}
        {"key": "frank", "value": "garbage"}

        """

    private func json(_ result: CLIResult) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result)")
    }

    private func outputValues(_ side: [String: Any]) -> [String] {
        ((side["outputs"] as? [[String: Any]]) ?? []).compactMap { $0["value"] as? String }
    }

    @Test("v2 against v1: exactly the three changed orders are listed, with key, offset, outcomes and outputs; exit 1")
    func differingRecords() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let input = try dir.write("orders.jsonl", Self.orders)
        let arguments = [
            "replay", CLI.guest("pricing_v2.wasm"), "--baseline", CLI.guest("pricing_v1.wasm"), "--input", input,
            "--input-format", "jsonl",
        ]
        let text = try CLI.run(arguments)
        expectExited(text)
        #expect(text.status == 1, "\(text)")
        #expect(text.stderr.isEmpty, "\(text)")
        #expect(text.stdout.contains("replayed 6 records through \(CLI.guest("pricing_v2.wasm")) (candidate)"), "\(text)")
        #expect(text.stdout.contains("3 records handled differently:"), "\(text)")
        #expect(text.stdout.contains("orders.jsonl partition 0 offset 1, key \"bob\":"), "\(text)")
        #expect(text.stdout.contains("    baseline:  ok; \"bob\" => \"pear total=500\""), "\(text)")
        #expect(text.stdout.contains("    candidate: ok; \"bob\" => \"pear total=450\""), "\(text)")
        #expect(text.stdout.contains("    candidate: discard; no output"), "\(text)")
        #expect(text.stdout.contains("verdict: different (3 handled differently)"), "\(text)")
        #expect(!text.stdout.contains("offset 3,"), "dave's order is priced the same\n\(text)")

        let result = try CLI.run(arguments + ["--json"])
        #expect(result.status == 1, "\(result)")
        let report = try json(result)
        #expect(report["equivalent"] as? Bool == false)
        #expect(report["total"] as? Int == 6)
        let differences = try #require(report["differences"] as? [[String: Any]])
        #expect(differences.map { $0["offset"] as? Int } == [1, 2, 4])
        #expect(differences.map { $0["key"] as? String } == ["bob", "carol", "erin"])
        #expect(differences.map { $0["partition"] as? Int } == [0, 0, 0])
        let baselines = differences.compactMap { $0["baseline"] as? [String: Any] }
        let candidates = differences.compactMap { $0["candidate"] as? [String: Any] }
        #expect(baselines.map { $0["outcome"] as? String } == ["ok", "ok", "ok"])
        #expect(candidates.map { $0["outcome"] as? String } == ["ok", "discard", "ok"])
        #expect(baselines.map(outputValues) == [["pear total=500"], ["plum total=0"], ["kiwi total=300"]])
        #expect(candidates.map(outputValues) == [["pear total=450"], [], ["kiwi total=270"]])
        let candidate = try #require(report["candidate"] as? [String: Any])
        let baseline = try #require(report["baseline"] as? [String: Any])
        #expect(candidate["outcomes"] as? [String: Int] == ["ok": 4, "discard": 2])
        #expect(baseline["outcomes"] as? [String: Int] == ["ok": 5, "discard": 1])
        let fuel = try #require(candidate["fuel"] as? [String: Any])
        #expect((fuel["p50"] as? Int ?? 0) > 0, "replay meters fuel")
    }

    @Test("the same module as its own baseline is equivalent: exit 0, outcome counts and percentiles for both")
    func equivalent() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let input = try dir.write("orders.jsonl", Self.orders)
        let result = try CLI.run([
            "replay", CLI.guest("pricing_v1.wasm"), "--baseline", CLI.guest("pricing_v1.wasm"), "--input", input,
            "--input-format", "jsonl", "--isolate-tasks",
        ])
        expectSuccess(result)
        #expect(result.stdout.contains("no record handled differently"), "\(result)")
        #expect(result.stdout.contains("verdict: equivalent"), "\(result)")
        let lines = result.stdout.split(separator: "\n").map { String($0) }
        let ok = try #require(lines.first { $0.hasPrefix("ok ") }, "\(result)")
        #expect(ok.split(separator: " ", omittingEmptySubsequences: true) == ["ok", "5", "5"], "\(result)")
        // Fuel is deterministic: the same module burns the same fuel per record.
        let fuel = try #require(lines.firstIndex { $0.hasPrefix("fuel ") })
        #expect(lines[fuel + 1].hasSuffix("+0.0%"), "\(result)")
    }

    @Test("a version that loops on one record: that record ends at the deadline, the others are compared as usual")
    func loopHitsTheDeadline() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let input = try dir.write("orders.txt", "apple,3,120\napple,-1,10\nfig,2,300\n")
        let result = try CLI.run(
            [
                "replay", CLI.guest("pricing_loop.wasm"), "--baseline", CLI.guest("pricing_v1.wasm"), "--input", input,
                "--timeout", "300ms", "--json",
            ], timeout: .seconds(60))
        expectExited(result)
        #expect(result.status == 1, "\(result)")
        let report = try json(result)
        let differences = try #require(report["differences"] as? [[String: Any]])
        #expect(differences.count == 1, "\(result)")
        let difference = try #require(differences.first)
        #expect(difference["offset"] as? Int == 1)
        #expect((difference["candidate"] as? [String: Any])?["outcome"] as? String == "deadline")
        #expect((difference["baseline"] as? [String: Any])?["outcome"] as? String == "ok")
        let baselineSide = try #require(difference["baseline"] as? [String: Any])
        #expect(outputValues(baselineSide) == ["apple total=-10"])
        let candidate = try #require(report["candidate"] as? [String: Any])
        #expect(candidate["outcomes"] as? [String: Int] == ["ok": 2, "deadline": 1])
    }

    @Test("a version that needs twice the fuel: caught by --max-fuel-increase 50, allowed by 150; same outputs")
    func fuelRegression() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let input = try dir.write("orders.jsonl", Self.orders)
        let base = [
            "replay", CLI.guest("pricing_heavy.wasm"), "--baseline", CLI.guest("pricing_v1.wasm"), "--input", input,
            "--input-format", "jsonl",
        ]
        let caught = try CLI.run(base + ["--max-fuel-increase", "50", "--json"])
        expectExited(caught)
        #expect(caught.status == 1, "\(caught)")
        let report = try json(caught)
        #expect((report["differences"] as? [Any])?.isEmpty == true, "same outputs\n\(caught)")
        let regressions = try #require(report["regressions"] as? [[String: Any]])
        #expect(regressions.map { $0["measure"] as? String } == ["fuel", "fuel"], "\(caught)")
        #expect(regressions.map { $0["statistic"] as? String } == ["p50", "p99"])
        for regression in regressions {
            let increase = try #require(regression["increase"] as? Double)
            #expect(increase > 60 && increase < 110, "about twice the fuel: +\(increase)%")
        }

        let text = try CLI.run(base + ["--max-fuel-increase", "50"])
        #expect(text.status == 1)
        #expect(text.stdout.contains("regressions:\n  fuel p50 +"), "\(text)")
        #expect(text.stdout.contains("(allowed +50.0%)"), "\(text)")
        #expect(text.stdout.contains("verdict: different (2 regressions)"), "\(text)")

        let allowed = try CLI.run(base + ["--max-fuel-increase", "150"])
        expectSuccess(allowed)
        #expect(allowed.stdout.contains("verdict: equivalent"), "\(allowed)")
    }

    @Test("a capture file keeps key, bytes, headers, topic, partition, offset; one module alone gets counts and percentiles")
    func captureFileWithoutBaseline() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }
        let capture = try dir.write(
            "orders.capture",
            """
            {"kind":"records","wasmton-capture":1}
            {"headers":[],"key":"\(base64("zoe"))","offset":41,"partition":3,"timestamp":1765101600000,"topic":"orders","value":"\(base64("pear,10,50"))"}
            {"headers":[{"name":"x-note","value":"\(base64("hi"))"}],"key":null,"offset":42,"partition":3,"timestamp":null,"topic":"orders","value":"\(base64("plum,0,99"))"}

            """)
        let single = try CLI.run(["replay", CLI.guest("pricing_v2.wasm"), "--input", capture])
        expectSuccess(single)
        #expect(single.stdout.hasPrefix("replayed 2 records through \(CLI.guest("pricing_v2.wasm"))\n"), "\(single)")
        #expect(single.stdout.contains("outcome"), "\(single)")
        #expect(!single.stdout.contains("verdict"), "no verdict without a baseline\n\(single)")
        let lines = single.stdout.split(separator: "\n").map { String($0) }
        #expect(lines.contains { $0.split(separator: " ", omittingEmptySubsequences: true) == ["ok", "1"] }, "\(single)")
        #expect(lines.contains { $0.split(separator: " ", omittingEmptySubsequences: true) == ["discard", "1"] })
        #expect(lines.contains { $0.hasPrefix("wall time") }, "\(single)")

        let compared = try CLI.run([
            "replay", CLI.guest("pricing_v2.wasm"), "--baseline", CLI.guest("pricing_v1.wasm"), "--input", capture, "--json",
        ])
        #expect(compared.status == 1, "\(compared)")
        let differences = try #require(try json(compared)["differences"] as? [[String: Any]])
        #expect(
            differences.map { "\($0["topic"] ?? "")/\($0["partition"] ?? "")@\($0["offset"] ?? "")" } == [
                "orders/3@41", "orders/3@42",
            ])
        #expect(differences.map { $0["key"] is NSNull } == [false, true])
        #expect(differences.first?["key"] as? String == "zoe")
    }

    @Test("on a terminal, stderr shows a progress line (done, total, rate) and ends it; the report stays on stdout")
    func progressOnATerminal() throws {
        let script = "/usr/bin/script"
        guard FileManager.default.isExecutableFile(atPath: script) else { return }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let input = try dir.write("orders.jsonl", String(repeating: Self.orders, count: 200))
        let report = dir.file("report.txt")
        let command = [
            CLI.binaryPath, "replay", CLI.guest("pricing_v2.wasm"), "--input", input, "--input-format", "jsonl", ">", report,
        ].joined(separator: " ")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: script)
        process.arguments = ["-qec", command, "/dev/null"]
        let terminal = Pipe()
        process.standardOutput = terminal
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let shown = String(decoding: terminal.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(shown)")
        #expect(shown.contains("replaying: 1200/1200 records"), "\(shown.debugDescription)")
        #expect(shown.hasSuffix("\r\u{1B}[K"), "the line is cleared at the end: \(shown.debugDescription)")
        let text = try String(contentsOfFile: report, encoding: .utf8)
        #expect(text.hasPrefix("replayed 1200 records"), "\(text)")
        #expect(!text.contains("replaying:"))
    }

    @Test("bad input is exit 2 with one error line, distinct from 1 (the modules differ)")
    func badInput() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let v1 = CLI.guest("pricing_v1.wasm")
        let missing = try CLI.run(["replay", v1, "--input", dir.file("nope.capture")])
        expectError(missing, status: 2, mentioning: ["nope.capture"])

        let broken = try dir.write("broken.capture", "{\"kind\":\"records\",\"wasmton-capture\":1}\n{\"topic\":\"t\"}\n")
        let malformed = try CLI.run(["replay", v1, "--input", broken])
        expectError(malformed, status: 2, mentioning: ["broken.capture:2", "missing"])

        let notCapture = try dir.write("plain.txt", "apple,1,1\n")
        let forced = try CLI.run(["replay", v1, "--input", notCapture, "--input-format", "capture"])
        expectError(forced, status: 2, mentioning: ["not a Wasmton capture file"])

        let badModule = try CLI.run(["replay", dir.file("missing.wasm"), "--input", notCapture])
        expectError(badModule, status: 2, mentioning: ["missing.wasm"])

        let wrongContract = try CLI.run(["replay", v1, "--baseline", CLI.guest("calc.wasm"), "--input", notCapture])
        expectError(wrongContract, status: 2, mentioning: ["calc (baseline) is not a PollTask processor", "memory"])

        let notWapc = try CLI.run(["replay", v1, "--wapc", "--input", dir.file("none.capture")])
        expectError(notWapc, status: 2, mentioning: ["none.capture"])

        let usage = try CLI.run(["replay", v1, "--input", notCapture, "--baseline", v1, "--max-fuel-increase", "-5"])
        expectError(usage, status: 2, mentioning: ["--max-fuel-increase"])

        let noBroker = try CLI.run(
            ["replay", v1, "--bootstrap-servers", "127.0.0.1:1", "--topic", "orders"], timeout: .seconds(60))
        expectError(noBroker, status: 2, mentioning: ["Kafka", "orders"])

        let noInput = try CLI.run(["replay", v1])
        expectError(noInput, status: 2, mentioning: ["--input"])
    }

    @Test("--config --stream supplies the stream's limits: its 300ms timeout ends the looping record at the deadline")
    func configSuppliesLimits() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let input = try dir.write("orders.txt", "apple,-1,10\n")
        let config = try dir.write(
            "wasmton.yaml",
            """
            sandbox:
              timeout: 300ms
            modules:
              pricing:
                path: \(CLI.guest("pricing_v1.wasm"))
                contract: poll-task
            streams:
              orders:
                module: pricing
                partition-concurrency: 4
                input:
                  file: \(input)

            """)
        let result = try CLI.run(
            [
                "replay", CLI.guest("pricing_loop.wasm"), "--baseline", CLI.guest("pricing_v1.wasm"), "--input", input,
                "--config", config, "--stream", "orders", "--json",
            ], timeout: .seconds(60))
        expectExited(result)
        #expect(result.status == 1, "\(result)")
        let candidate = try #require(try json(result)["candidate"] as? [String: Any])
        #expect(candidate["outcomes"] as? [String: Int] == ["deadline": 1], "\(result)")
        let latency = try #require(candidate["latency_ns"] as? [String: Any])
        let worst = try #require(latency["max"] as? Int)
        #expect(worst < 5_000_000_000, "the config's 300ms deadline, not the 60 s default: \(worst) ns")
    }

    @Test("serve --capture samples waPC requests; replay --wapc compares two greeter versions over them")
    func wapcCaptureAndReplay() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let capture = dir.file("requests.capture")
        let server = try RunningWasmton([
            "serve", "greeter=\(CLI.guest("wapc_greeter_v1.wasm"))", "--port", "0", "--pool-size", "1", "--capture", capture,
        ])
        let port = try server.waitForListening()
        let octets = [
            RawHeader("Content-Type", "application/octet-stream"), RawHeader("Accept", "application/octet-stream"),
        ]
        for name in ["Alice", "bob", "", "Dave"] {
            let answer = try RawHTTP.requestNow(
                port: port, method: "POST", path: "/v1/greeter/greet", headers: octets, body: Array(name.utf8))
            #expect(answer.status == 200, "\(answer.text)")
            #expect(answer.body == Array("Hello, \(name)!".utf8))
        }
        #expect(server.stop() == 0, "\(server.stderr)")
        #expect(server.stderr.contains("captured"), "\(server.stderr)")
        let lines = try String(contentsOfFile: capture, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 5, "a header and four requests: \(lines)")
        #expect(lines.first == "{\"kind\":\"wapc\",\"wasmton-capture\":1}")

        let result = try CLI.run([
            "replay", CLI.guest("wapc_greeter_v2.wasm"), "--baseline", CLI.guest("wapc_greeter_v1.wasm"), "--input", capture,
            "--json",
        ])
        expectExited(result)
        #expect(result.status == 1, "\(result)")
        let report = try json(result)
        #expect(report["unit"] as? String == "requests")
        let differences = try #require(report["differences"] as? [[String: Any]])
        #expect(differences.map { $0["index"] as? Int } == [2, 3], "bob is capitalized, the empty name refused\n\(result)")
        #expect(differences.map { $0["operation"] as? String } == ["greet", "greet"])
        #expect(differences.map { $0["module"] as? String } == ["greeter", "greeter"])
        let candidates = differences.compactMap { $0["candidate"] as? [String: Any] }
        #expect(outputValues(candidates[0]) == ["Hello, Bob!"])
        #expect(candidates[1]["outcome"] as? String == "guest error")
        #expect(candidates[1]["detail"] as? String == "guest error: name required")
        let refusedBaseline = try #require(differences[1]["baseline"] as? [String: Any])
        #expect(outputValues(refusedBaseline) == ["Hello, !"])

        let text = try CLI.run([
            "replay", CLI.guest("wapc_greeter_v2.wasm"), "--baseline", CLI.guest("wapc_greeter_v1.wasm"), "--input", capture,
        ])
        #expect(text.stdout.contains("request 2 (greeter/greet):"), "\(text)")
        #expect(text.stdout.contains("2 requests handled differently:"), "\(text)")
    }

    @Test("serve --capture-sample 2 --capture-max 2 keeps every second request, at most two")
    func captureSampling() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let capture = dir.file("sampled.capture")
        let server = try RunningWasmton([
            "serve", "greeter=\(CLI.guest("wapc_greeter_v1.wasm"))", "--port", "0", "--pool-size", "1", "--capture", capture,
            "--capture-sample", "2", "--capture-max", "2",
        ])
        let port = try server.waitForListening()
        for index in 0..<7 {
            let answer = try RawHTTP.requestNow(
                port: port, method: "POST", path: "/v1/greeter/greet",
                headers: [RawHeader("Content-Type", "application/octet-stream")], body: Array("n\(index)".utf8))
            #expect(answer.status == 200)
        }
        #expect(server.stop() == 0, "\(server.stderr)")
        let lines = try String(contentsOfFile: capture, encoding: .utf8).split(separator: "\n").dropFirst()
        let payloads = try lines.map { line -> String in
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let text = try #require(object["payload"] as? String)
            let payload = try #require(Data(base64Encoded: text))
            return String(decoding: payload, as: UTF8.self)
        }
        #expect(payloads == ["n0", "n2"])
    }
}
