import Foundation
import Testing
import WasmtonContracts
import WasmtonStreams

/// `wasmton process --state-dir` on the embedded default and `wasmton state`: a counting
/// processor's state across runs, and the one-line errors of a store that cannot be used.
@Suite("process --state-dir")
struct StateCommandTests {
    /// JSON lines of `count` records over a few keys, and how many each key got.
    private func records(_ count: Int, seed: Int) -> (text: String, counts: [String: Int]) {
        var counts: [String: Int] = [:]
        var text = ""
        for index in 0..<count {
            let key = "user-\((index * 7 + seed) % 11)"
            counts[key, default: 0] += 1
            text += "{\"key\":\"\(key)\",\"value\":\"click \(index)\"}\n"
        }
        return (text, counts)
    }

    private func state(_ dir: String) throws -> [String: String] {
        let result = try CLI.run(["state", "--state-dir", dir, "--json"])
        #expect(result.status == 0, "\(result)")
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: String]
        return try #require(object)
    }

    @Test("two runs over two files leave the counts of both; `wasmton state` prints them as JSON")
    func countsAccumulateAcrossRuns() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let first = records(400, seed: 0)
        let second = records(250, seed: 3)
        let stateDir = dir.file("state")
        for (name, input) in [("monday.jsonl", first), ("tuesday.jsonl", second)] {
            let path = try dir.write(name, input.text)
            let result = try CLI.run([
                "process", CLI.guest("state_counter.wasm"), "--input", path, "--input-format", "jsonl",
                "--partition-concurrency", "4", "--state-dir", stateDir, "--output", dir.file("\(name).out"),
            ])
            #expect(result.status == 0, "\(result)")
        }
        let expected = first.counts.merging(second.counts, uniquingKeysWith: +).mapValues(String.init)
        #expect(try state(stateDir) == expected)
        let one = try CLI.run(["state", "--state-dir", stateDir, "--json", "--key", "user-3"])
        #expect(one.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "\"\(expected["user-3"] ?? "?")\"")
        // The second run's last output for a key is its total over both files.
        let outputs = try String(contentsOfFile: dir.file("tuesday.jsonl.out"), encoding: .utf8)
        #expect(outputs.contains("user-3 \(expected["user-3"] ?? "?")\""))
    }

    @Test("sub-keys print as an object under their key")
    func subKeysAsObject() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        // "big:3" stores "xxx" under the sub-key "big", next to the key's count.
        let path = try dir.write("in.jsonl", "{\"key\":\"k\",\"value\":\"a\"}\n{\"key\":\"k\",\"value\":\"big:3\"}\n")
        let stateDir = dir.file("state")
        let run = try CLI.run([
            "process", CLI.guest("state_counter.wasm"), "--input", path, "--input-format", "jsonl", "--state-dir", stateDir,
        ])
        #expect(run.status == 0, "\(run)")
        let result = try CLI.run(["state", "--state-dir", stateDir, "--json"])
        #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == #"{"k":{"":"1","big":"xxx"}}"#)
    }

    @Test(
        "values that are not UTF-8 print as {\"$bin\": base64}, keys as \"$bin:base64\"; --stats gives keys and bytes per partition"
    )
    func binaryValues() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let stateDir = dir.file("state")
        let store = try StateDirectory.open(stateDir, partition: 2)
        try store.apply([
            .init(key: Array("text".utf8), name: "", value: [0xff, 0x00, 0x01], offset: 0),
            .init(key: [0xc3, 0x28], name: "", value: Array("ok".utf8), offset: 1),
        ])
        store.close()
        let result = try CLI.run(["state", "--state-dir", stateDir, "--json"])
        #expect(result.status == 0, "\(result)")
        let text = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(text == #"{"text":{"$bin":"/wAB"},"$bin:wyg=":"ok"}"#)
        let one = try CLI.run(["state", "--state-dir", stateDir, "--json", "--key", "$bin:wyg="])
        #expect(one.stdout == "\"ok\"\n")
        let stats = try CLI.run(["state", "--state-dir", stateDir, "--stats"])
        #expect(stats.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == #"{"2":{"keys":2,"bytes":11}}"#)
        let missing = try CLI.run(["state", "--state-dir", stateDir, "--json", "--key", "nope"])
        #expect(missing.status == 1 && missing.stderrLines == ["error: no state for key nope in \(stateDir)"])
    }

    @Test("a value over --state-max-value-bytes is refused to the guest, which fails the record; nothing is stored")
    func valueLimit() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = try dir.write("in.jsonl", "{\"key\":\"k\",\"value\":\"big:100\"}\n")
        let result = try CLI.run([
            "process", CLI.guest("state_counter.wasm"), "--input", path, "--input-format", "jsonl", "--state-dir",
            dir.file("state"), "--state-max-value-bytes", "64",
        ])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("\"value\":\"2\""), "state_put_sub returned -2 (too large): \(result)")
        #expect(try state(dir.file("state")).isEmpty)
    }

    @Test("a corrupt store: one line, exit 1, nothing processed; the file is left as it was")
    func corruptStore() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = try dir.write("in.jsonl", records(10, seed: 0).text)
        let stateDir = dir.file("state")
        try FileManager.default.createDirectory(atPath: stateDir, withIntermediateDirectories: true)
        let garbage = [UInt8](repeating: 0x42, count: 4096)
        let store = try dir.write("state/partition-0.sqlite", bytes: garbage)
        let result = try CLI.run([
            "process", CLI.guest("state_counter.wasm"), "--input", path, "--input-format", "jsonl", "--state-dir", stateDir,
        ])
        #expect(result.status == 1, "\(result)")
        #expect(result.stderrLines.filter { $0.hasPrefix("error:") }.count == 1)
        #expect(result.stderr.contains("error: state store \(store) is corrupt"), "\(result)")
        #expect(try Array(Data(contentsOf: URL(fileURLWithPath: store))) == garbage)
        let inspect = try CLI.run(["state", "--state-dir", stateDir, "--json"])
        #expect(inspect.status == 1 && inspect.stderr.contains("is corrupt"), "\(inspect)")
    }

    @Test("a store another process holds: one line, exit 1")
    func lockedStore() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let input = try dir.write("in.txt", "")
        let stateDir = dir.file("state")
        // A follower holds the store (and runs until SIGTERM) while a second process tries it.
        let first = Process()
        first.executableURL = URL(fileURLWithPath: CLI.binaryPath)
        first.arguments = ["process", CLI.guest("state_counter.wasm"), "--input", input, "--follow", "--state-dir", stateDir]
        first.standardError = FileHandle.nullDevice
        try first.run()
        defer { if first.isRunning { first.terminate() } }
        let deadline = ContinuousClock.now + .seconds(20)
        while !FileManager.default.fileExists(atPath: dir.file("state/partition-0.sqlite")), ContinuousClock.now < deadline {
            Thread.sleep(forTimeInterval: 0.05)
        }
        Thread.sleep(forTimeInterval: 0.3)
        let second = try CLI.run([
            "process", CLI.guest("state_counter.wasm"), "--input", input, "--state-dir", stateDir,
        ])
        #expect(second.status == 1, "\(second)")
        #expect(second.stderr.contains("is locked by another process"), "\(second)")
        #expect(second.stderrLines.filter { $0.hasPrefix("error:") }.count == 1)
    }
}
