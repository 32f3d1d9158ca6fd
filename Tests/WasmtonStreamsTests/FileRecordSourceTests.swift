import Foundation
import Testing
import WasmtonContracts

@testable import WasmtonStreams

/// Records the partitions a source assigns.
final class AssignmentRecorder: RebalanceListener {
    var assigned: [TopicPartition] = []
    func partitionsAssigned(_ partitions: [TopicPartition]) { assigned += partitions }
    func partitionsRevoked(_ partitions: [TopicPartition]) {}
}

@Suite("FileRecordSource")
struct FileRecordSourceTests {
    private func file(_ contents: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("wasmton-source-\(UUID()).txt").path
        try Data(contents.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test(
        "a line's bytes are the value, its number the offset; blank lines are skipped, CRLF and a last unterminated line handled")
    func lines() throws {
        let path = try file("alpha\r\n\n  \nbeta\ngamma")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let source = try FileRecordSource(path: path)
        let listener = AssignmentRecorder()
        try source.start(listener: listener)
        #expect(listener.assigned == [TopicPartition(topic: source.topic, partition: 0)])
        let batch = try source.poll(maxRecords: 100, timeout: .zero)
        #expect(batch.records.map { String(decoding: $0.value, as: UTF8.self) } == ["alpha", "beta", "gamma"])
        #expect(batch.records.map(\.offset) == [0, 3, 4])
        #expect(batch.records.allSatisfy { $0.key == nil && $0.partition == 0 && $0.topic == source.topic })
        #expect(batch.exhausted)
    }

    @Test("batches respect maxRecords, and a paused file gives nothing until resumed")
    func batchesAndPause() throws {
        let path = try file((0..<10).map { "r\($0)\n" }.joined())
        defer { try? FileManager.default.removeItem(atPath: path) }
        let source = try FileRecordSource(path: path)
        try source.start(listener: AssignmentRecorder())
        #expect(try source.poll(maxRecords: 4, timeout: .zero).records.map(\.offset) == [0, 1, 2, 3])
        source.pause([TopicPartition(topic: source.topic, partition: 0)])
        let paused = try source.poll(maxRecords: 4, timeout: .zero)
        #expect(paused.records.isEmpty && !paused.exhausted)
        source.resume([TopicPartition(topic: source.topic, partition: 0)])
        #expect(try source.poll(maxRecords: 100, timeout: .zero).records.map(\.offset) == Array(4...9))
    }

    @Test("JSON lines: string and JSON values, keys, repeated headers")
    func jsonLines() throws {
        let path = try file(
            #"""
            {"key": "k", "value": "plain", "headers": {"a": "1", "b": ["2", "3"]}}
            {"value": {"message": "hi"}}
            {"key": 7, "value": [1, 2]}
            {"key": null, "value": ""}
            """#)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let source = try FileRecordSource(path: path, format: .jsonLines)
        try source.start(listener: AssignmentRecorder())
        let records = try source.poll(maxRecords: 10, timeout: .zero).records
        #expect(records.count == 4)
        #expect(records[0].key == Array("k".utf8) && records[0].value == Array("plain".utf8))
        #expect(records[0].headers.map(\.name) == ["a", "b", "b"])
        #expect(records[0].headers.map { String(decoding: $0.value, as: UTF8.self) } == ["1", "2", "3"])
        #expect(String(decoding: records[1].value, as: UTF8.self) == #"{"message":"hi"}"#)
        #expect(records[1].key == nil)
        #expect(records[2].key == Array("7".utf8) && String(decoding: records[2].value, as: UTF8.self) == "[1,2]")
        #expect(records[3].key == nil && records[3].value.isEmpty)
    }

    @Test(
        "a malformed JSON line names the file and line",
        arguments: [
            ("{\"value\": 1}\nnot json\n", 2, "not valid JSON"),
            ("[1]\n", 1, "expected a JSON object"),
            ("{\"key\": \"k\"}\n", 1, "missing \"value\""),
            ("{\"value\": \"v\", \"extra\": 1}\n", 1, "unknown field \"extra\""),
            ("{\"value\": \"v\", \"headers\": {\"h\": 1}}\n", 1, "header \"h\""),
        ])
    func malformed(contents: String, line: Int, reason: String) throws {
        let path = try file(contents)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let source = try FileRecordSource(path: path, format: .jsonLines)
        try source.start(listener: AssignmentRecorder())
        let error = #expect(throws: StreamError.self) { _ = try source.poll(maxRecords: 10, timeout: .zero) }
        guard case .malformedInput(let errorPath, let errorLine, let errorReason) = error else {
            Issue.record("unexpected \(String(describing: error))")
            return
        }
        #expect(errorPath == path && errorLine == line && errorReason.contains(reason))
    }

    @Test("a missing file or a directory is an unreadable input")
    func unreadable() {
        #expect(throws: StreamError.self) { _ = try FileRecordSource(path: "/nonexistent/records.txt") }
        #expect(throws: StreamError.self) { _ = try FileRecordSource(path: FileManager.default.temporaryDirectory.path) }
    }

    @Test("the retry topic is assigned with the file and its records come back through poll")
    func retryTopic() throws {
        let path = try file("only\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let retries = LocalTopic(name: "retries")
        let source = try FileRecordSource(path: path, retryTopic: retries)
        let listener = AssignmentRecorder()
        try source.start(listener: listener)
        #expect(listener.assigned.map(\.topic) == [source.topic, "retries"])
        #expect(try source.poll(maxRecords: 10, timeout: .zero).records.count == 1)
        retries.append(key: nil, value: Array("again".utf8), headers: [])
        let batch = try source.poll(maxRecords: 10, timeout: .zero)
        #expect(batch.records.map(\.topic) == ["retries"] && batch.records.first?.offset == 0)
        #expect(batch.exhausted)
    }
}
