import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `wasmton process --input`: the stream engine on the embedded default (no broker), run as a
/// user runs it, with the real guests of `guests/`.
@Suite("process --input")
struct ProcessCommandTests {
    /// The `value` fields of the JSON lines in `text`, in order.
    private func outputValues(_ text: String) throws -> [String] {
        try text.split(separator: "\n").map { line in
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            return try #require(object["value"] as? String)
        }
    }

    @Test("the article's processor appends each message to ./messages in its preopened directory")
    func messageProcessor() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let input = try dir.write(
            "records.jsonl",
            """
            {"key": "a", "value": {"message": "one"}}
            {"key": "b", "value": "{\\"message\\": \\"two\\"}"}
            {"key": "a", "value": {"message": "three"}}
            {"value": "not json, skipped by the guest"}

            """)
        let result = try CLI.run([
            "process", CLI.guest("message_processor.wasm"), "--input", input, "--input-format", "jsonl",
            "--partition-concurrency", "3", "--dir", "\(dir.path)::.",
        ])
        expectExited(result)
        #expect(result.status == 0, "\(result)")
        let messages = try String(contentsOfFile: dir.file("messages"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        #expect(messages.sorted() == ["one", "three", "two"])
        // Key "a" is processed serially in offset order whatever the concurrency.
        #expect(try #require(messages.firstIndex(of: "one")) < (try #require(messages.firstIndex(of: "three"))))
        #expect(result.stderrLines.last == "wasmton: processed 4, discarded 0, retried 0, dead-lettered 0, emitted 0")
        #expect(result.stderr.contains("state: running") && result.stderr.contains("state: terminated"))
    }

    @Test("records of one key keep their offset order across 8 sub-partitions; every record is processed once")
    func perKeyOrder() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var lines = ""
        for offset in 0..<400 { lines += "{\"key\": \"k\(offset % 13)\", \"value\": \"v\(offset)\"}\n" }
        let input = try dir.write("keyed.jsonl", lines)
        let result = try CLI.run([
            "process", CLI.guest("task_probe.wasm"), "--input", input, "--input-format", "jsonl",
            "--partition-concurrency", "8", "--max-pending-records", "16",
        ])
        expectExited(result)
        #expect(result.status == 0, "\(result)")
        // task_probe emits "topic/partition/offset:key:value".
        var seen: [String: [Int]] = [:]
        var offsets: [Int] = []
        for value in try outputValues(result.stdout) {
            let fields = value.split(separator: ":")
            let offset = try #require(Int(fields[0].split(separator: "/")[2]))
            #expect(fields[2] == "v\(offset)")
            seen[String(fields[1]), default: []].append(offset)
            offsets.append(offset)
        }
        #expect(offsets.sorted() == Array(0..<400))
        #expect(seen.count == 13)
        for (key, keyOffsets) in seen {
            #expect(keyOffsets == keyOffsets.sorted(), "key \(key) out of order: \(keyOffsets)")
        }
    }

    @Test("a trap, an endless loop and a memory bomb are retried, then dead-lettered with the reason; the rest goes on")
    func failuresAreDeadLettered() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let input = try dir.write("records.txt", "before\ntrap\nloop\nbomb\nretry\nafter\n")
        let deadLetters = dir.file("dead.jsonl")
        let result = try CLI.run([
            "process", CLI.guest("task_probe.wasm"), "--input", input, "--timeout", "300ms", "--max-memory", "4M",
            "--max-retries", "2", "--retry-backoff", "20ms", "--dead-letter-file", deadLetters,
            "--partition-concurrency", "2",
        ])
        expectError(result, status: 134, mentioning: ["4 records failed every attempt"], guestStderr: true)
        #expect(try outputValues(result.stdout).sorted() == ["records.txt/0/0::before", "records.txt/0/5::after"])
        #expect(result.stderrLines.contains("wasmton: processed 2, discarded 0, retried 8, dead-lettered 4, emitted 2"))
        let records = try String(contentsOfFile: deadLetters, encoding: .utf8).split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        var reasons: [String: String] = [:]
        for record in records {
            let headers = try #require(record["headers"] as? [String: String])
            #expect(headers["wasmton-retry-count"] == "3", "\(record)")
            #expect(headers["wasmton-original-topic"] == "records.txt")
            reasons[try #require(record["value"] as? String)] = headers["wasmton-failure"]
        }
        #expect(reasons.keys.sorted() == ["bomb", "loop", "retry", "trap"])
        #expect(reasons["trap"]?.contains("unreachable") == true, "\(reasons)")
        #expect(reasons["loop"]?.contains("deadline of 300 ms") == true, "\(reasons)")
        #expect(reasons["bomb"]?.contains("memory") == true, "\(reasons)")
        #expect(reasons["retry"]?.contains("asked to retry") == true, "\(reasons)")
    }

    @Test("ignored keys and discarded records are committed without output")
    func ignoredAndDiscarded() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let input = try dir.write(
            "records.jsonl",
            """
            {"key": "keep", "value": "1"}
            {"key": "noisy", "value": "2"}
            {"key": "keep", "value": "discard"}
            {"key": "spam", "value": "trap"}
            {"key": "keep", "value": "3", "headers": {"x-note": "noted"}}
            """)
        let output = dir.file("out.jsonl")
        let result = try CLI.run([
            "process", CLI.guest("task_probe.wasm"), "--input", input, "--input-format", "jsonl",
            "--ignore-keys", "noisy,spam", "--output", output,
        ])
        expectExited(result)
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.isEmpty)
        let values = try outputValues(String(contentsOfFile: output, encoding: .utf8))
        #expect(values == ["records.jsonl/0/0:keep:1", "records.jsonl/0/4:keep:3:noted"])
        #expect(result.stderrLines.last == "wasmton: processed 2, discarded 3, retried 0, dead-lettered 0, emitted 2")
    }

    @Test("a rate limit spaces the tasks of a partition")
    func rateLimit() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let input = try dir.write("records.txt", (0..<30).map { "r\($0)\n" }.joined())
        let result = try CLI.run(["process", CLI.guest("task_probe.wasm"), "--input", input, "--rate-limit", "15"])
        expectExited(result)
        #expect(result.status == 0, "\(result)")
        #expect(try outputValues(result.stdout).count == 30)
        // A burst of 15, then 15 more at 15 a second: at least one second in all.
        #expect(result.elapsed >= .milliseconds(900), "\(result.elapsed)")
    }

    @Test("--follow processes appended lines until SIGTERM, then exits 0 after a graceful shutdown")
    func follow() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let input = try dir.write("growing.txt", "first\n")
        let output = dir.file("out.jsonl")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLI.binaryPath)
        process.arguments = ["process", CLI.guest("task_probe.wasm"), "--input", input, "--follow", "--output", output]
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        func outputs() -> [String] {
            ((try? String(contentsOfFile: output, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }
        func waitFor(_ count: Int) {
            let deadline = Date().addingTimeInterval(20)
            while outputs().count < count, Date() < deadline { usleep(20_000) }
        }
        waitFor(1)
        let handle = try #require(FileHandle(forWritingAtPath: input))
        handle.seekToEndOfFile()
        handle.write(Data("second\nthi".utf8))
        waitFor(2)
        handle.write(Data("rd\n".utf8))
        try handle.close()
        waitFor(3)
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(20)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        #expect(!process.isRunning, "did not exit after SIGTERM")
        #expect(process.terminationReason == .exit && process.terminationStatus == 0)
        #expect(
            try outputValues(outputs().joined(separator: "\n")).map { $0.split(separator: ":").last! } == [
                "first", "second", "third",
            ])
    }

    @Test("a --metrics-port that is taken: one line, nonzero exit, and no record processed")
    func metricsPortTaken() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        // Hold a port with a listening socket of our own.
        let holder = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(holder) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(holder, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        #expect(bound == 0 && listen(holder, 1) == 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(holder, $0, &length) }
        }
        let port = Int(UInt16(bigEndian: address.sin_port))
        let input = try dir.write("records.txt", "a\nb\n")
        let output = dir.file("out.jsonl")
        let result = try CLI.run([
            "process", CLI.guest("task_probe.wasm"), "--input", input, "--output", output, "--metrics-port", "\(port)",
        ])
        expectError(result, status: 1, mentioning: ["cannot serve metrics", "127.0.0.1:\(port)"])
        #expect(((try? String(contentsOfFile: output, encoding: .utf8)) ?? "").isEmpty, "records ran without metrics")
    }

    @Test("user errors: one line, nonzero exit, before anything is processed")
    func userErrors() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let probe = CLI.guest("task_probe.wasm")
        expectError(
            try CLI.run(["process", probe, "--input", dir.file("missing.txt")]), status: 1,
            mentioning: ["cannot read input", "missing.txt"])
        let bad = try dir.write("bad.jsonl", "{\"value\": \"ok\"}\n{\"value\": \n")
        let malformed = try CLI.run(["process", probe, "--input", bad, "--input-format", "jsonl"])
        expectError(malformed, status: 1, mentioning: ["bad.jsonl:2", "not valid JSON"], guestStderr: true)
        let noValue = try dir.write("novalue.jsonl", "{\"key\": \"k\"}\n")
        expectError(
            try CLI.run(["process", probe, "--input", noValue, "--input-format", "jsonl"]), status: 1,
            mentioning: ["novalue.jsonl:1", "missing \"value\""], guestStderr: true)
        let input = try dir.write("records.txt", "x\n")
        expectError(
            try CLI.run(["process", CLI.guest("calc.wasm"), "--input", input]), status: 1,
            mentioning: ["calc is not a PollTask processor", "memory"])
        expectError(
            try CLI.run(["process", dir.file("nope.wasm"), "--input", input]), status: 1, mentioning: ["nope.wasm"])
        expectError(
            try CLI.run(["process", probe, "--input", input, "--topic", "t"]), status: 2, mentioning: ["--input"])
        expectError(try CLI.run(["process", probe]), status: 2, mentioning: ["--input", "--bootstrap-servers"])
        expectError(
            try CLI.run(["process", probe, "--input", input, "--input-format", "xml"]), status: 2,
            mentioning: ["--input-format"])
        expectError(
            try CLI.run(["process", probe, "--input", input, "--partition-concurrency", "0"]), status: 1,
            mentioning: ["partition concurrency"])
    }
}
