import Foundation
import Logging
import Testing
import WasmtonContracts
import WasmtonRuntime
import WasmtonTestSupport

@testable import WasmtonStreams

/// A processor that runs one state operation per record and emits its result (a little-endian
/// i32), so a test sees exactly what the guest saw. The record's value says what to do:
/// `gN` state_get into an 8-byte zeroed buffer of capacity N (then also emits the buffer),
/// `pBYTES` state_put(BYTES), `d` state_delete, `sNAME=BYTES` state_put_sub, `tNAME` state_get_sub (capacity 8).
private let probeWAT = """
    (module
      (import "decaton" "poll_task" (func $poll (param i64 i32) (result i32)))
      (import "wasmton" "emit" (func $emit (param i32 i32 i32 i32) (result i32)))
      (import "wasmton" "state_get" (func $get (param i32 i32) (result i32)))
      (import "wasmton" "state_put" (func $put (param i32 i32) (result i32)))
      (import "wasmton" "state_delete" (func $del (result i32)))
      (import "wasmton" "state_get_sub" (func $getsub (param i32 i32 i32 i32) (result i32)))
      (import "wasmton" "state_put_sub" (func $putsub (param i32 i32 i32 i32) (result i32)))
      (memory (export "memory") 2)
      (func $report (param $r i32)
        (i32.store (i32.const 0) (local.get $r))
        (drop (call $emit (i32.const 0) (i32.const -1) (i32.const 0) (i32.const 4))))
      (func $find_eq (param $n i32) (result i32) (local $i i32)
        (local.set $i (i32.const 101))
        (block $done (loop $scan
          (br_if $done (i32.ge_u (local.get $i) (i32.add (i32.const 100) (local.get $n))))
          (br_if $done (i32.eq (i32.load8_u (local.get $i)) (i32.const 61)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $scan)))
        (local.get $i))
      (func (export "run") (local $n i32) (local $op i32) (local $eq i32)
        (local.set $n (call $poll (i64.const 100) (i32.const 60000)))
        (local.set $op (i32.load8_u (i32.const 100)))
        (i64.store (i32.const 2000) (i64.const 0))
        (if (i32.eq (local.get $op) (i32.const 103)) (then
          (call $report (call $get (i32.const 2000) (i32.sub (i32.load8_u (i32.const 101)) (i32.const 48))))
          (drop (call $emit (i32.const 0) (i32.const -1) (i32.const 2000) (i32.const 8)))))
        (if (i32.eq (local.get $op) (i32.const 112)) (then
          (call $report (call $put (i32.const 101) (i32.sub (local.get $n) (i32.const 1))))))
        (if (i32.eq (local.get $op) (i32.const 100)) (then (call $report (call $del))))
        (if (i32.eq (local.get $op) (i32.const 115)) (then
          (local.set $eq (call $find_eq (local.get $n)))
          (call $report (call $putsub (i32.const 101) (i32.sub (local.get $eq) (i32.const 101))
            (i32.add (local.get $eq) (i32.const 1)) (i32.sub (i32.add (i32.const 99) (local.get $n)) (local.get $eq))))))
        (if (i32.eq (local.get $op) (i32.const 116)) (then
          (call $report (call $getsub (i32.const 101) (i32.sub (local.get $n) (i32.const 1)) (i32.const 2000) (i32.const 8)))
          (drop (call $emit (i32.const 0) (i32.const -1) (i32.const 2000) (i32.const 8)))))))
    """

@Suite("State")
struct StateTests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let counterPath = repo.appendingPathComponent("guests/build/state_counter.wasm").path

    private static func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("wasmton-state-\(UUID())").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Runs the probe for each record in turn on one processor, applying each task's changes as
    /// the engine does (stage, then apply); returns each task's emitted values.
    private func probe(
        _ records: [(key: String?, value: String)], store: PartitionStateStore
    ) throws -> [[[UInt8]]] {
        let runtime = WasmRuntime.forTests()
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let wat = dir + "/probe.wat"
        try probeWAT.write(toFile: wat, atomically: true, encoding: .utf8)
        let processor = try PollTaskProcessor(runtime: runtime, module: try runtime.load(path: wat), sandbox: Sandbox())
        defer { processor.close() }
        var results: [[[UInt8]]] = []
        for (offset, record) in records.enumerated() {
            let key = record.key.map { Array($0.utf8) }
            let task = StreamTask(key: key, value: Array(record.value.utf8), offset: Int64(offset))
            let result = try processor.process(task, state: store)
            if let key, !result.stateChanges.isEmpty {
                try store.apply(store.stage(key: key, offset: Int64(offset), changes: result.stateChanges))
            }
            results.append(result.outputs.map(\.value))
        }
        return results
    }

    private static func code(_ outputs: [[UInt8]]) -> Int32 {
        guard let first = outputs.first, first.count == 4 else { return .min }
        return Int32(bitPattern: UInt32(first[0]) | UInt32(first[1]) << 8 | UInt32(first[2]) << 16 | UInt32(first[3]) << 24)
    }

    @Test("state_get: -1 when missing, the length needed (nothing copied) when the buffer is too small")
    func getSemantics() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try StateDirectory.open(dir, partition: 0)
        defer { store.close() }
        let results = try probe(
            [("a", "g8"), ("a", "phello"), ("a", "g3"), ("a", "g8"), ("b", "g8"), ("a", "d"), ("a", "g8"), (nil, "pkeyless")],
            store: store)
        #expect(Self.code(results[0]) == -1)
        #expect(Self.code(results[1]) == 0)
        #expect(Self.code(results[2]) == 5, "too small: the length needed")
        #expect(results[2][1] == [0, 0, 0, 0, 0, 0, 0, 0], "and nothing copied")
        #expect(Self.code(results[3]) == 5)
        #expect(results[3][1] == Array("hello".utf8) + [0, 0, 0])
        #expect(Self.code(results[4]) == -1, "another key's state is out of reach")
        #expect(Self.code(results[5]) == 0)
        #expect(Self.code(results[6]) == -1, "deleted")
        #expect(Self.code(results[7]) == StateStatus.unavailable.rawValue, "a keyless record has no state")
        #expect(try store.entries().isEmpty)
    }

    @Test("named sub-keys are rows of the record's key, separate from its own value")
    func subKeys() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try StateDirectory.open(dir, partition: 0)
        defer { store.close() }
        let results = try probe([("k", "pmain"), ("k", "sx=one"), ("k", "tx"), ("k", "ty"), ("z", "tx")], store: store)
        #expect(Self.code(results[2]) == 3 && results[2][1].prefix(3) == ArraySlice("one".utf8))
        #expect(Self.code(results[3]) == -1)
        #expect(Self.code(results[4]) == -1)
        #expect(try store.entries().map { "\(String(decoding: $0.key, as: UTF8.self))/\($0.name)" } == ["k/", "k/x"])
    }

    @Test("a value over the value limit, or a store past its size limit, is refused with a negative code")
    func limits() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try StateDirectory.open(dir, partition: 0, limits: StateLimits(maxValueBytes: 8, maxStoreBytes: 19))
        defer { store.close() }
        let results = try probe(
            [("a", "p123456789"), ("a", "p12345678"), ("b", "p12345678"), ("a", "p1"), ("b", "p12345678")], store: store)
        #expect(Self.code(results[0]) == StateStatus.valueTooLarge.rawValue)
        #expect(Self.code(results[1]) == 0, "a(1) + 8 bytes = 9 of 19")
        #expect(Self.code(results[2]) == 0, "b(1) + 8 bytes: 18 of 19")
        #expect(Self.code(results[3]) == 0, "shrinking is always allowed")
        #expect(Self.code(results[4]) == 0, "rewriting a value of the same size does not grow the store")
        #expect(store.storedBytes == 2 + 9)
        let full = try probe([("c", "p12345678")], store: store)
        #expect(Self.code(full[0]) == StateStatus.storeFull.rawValue)
        #expect(try store.entries().count == 2)
    }

    @Test("a change at or below its row's stored offset is not applied again, and a delete is not undone")
    func appliedOnce() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try StateDirectory.open(dir, partition: 3)
        let key = Array("k".utf8)
        try store.apply(store.stage(key: key, offset: 5, changes: [StateChange(name: "", value: [1])]))
        #expect(try store.stage(key: key, offset: 5, changes: [StateChange(name: "", value: [2])]).isEmpty)
        #expect(try store.stage(key: key, offset: 4, changes: [StateChange(name: "", value: [3])]).isEmpty)
        try store.apply(store.stage(key: key, offset: 9, changes: [StateChange(name: "", value: nil)]))
        // A late change (offset 7) reaching the store after the delete (offset 9) does not resurrect it.
        try store.apply([PartitionStateStore.Change(key: key, name: "", value: [7], offset: 7)])
        #expect(try store.value(key: key, name: "") == nil)
        store.close()
        let reopened = try StateDirectory.open(dir, partition: 3)
        defer { reopened.close() }
        #expect(try reopened.stage(key: key, offset: 9, changes: [StateChange(name: "", value: [4])]).isEmpty)
        #expect(try reopened.stage(key: key, offset: 10, changes: [StateChange(name: "", value: [4])]).count == 1)
    }

    /// A source of one partition with Kafka-like offsets: the same records on every run, as a
    /// consumer group delivers them again after a crash before its commit.
    final class ReplayingSource: RecordSource {
        let records: [StreamTask]
        private var given = false

        init(_ records: [StreamTask]) { self.records = records }
        func start(listener: any RebalanceListener) throws(StreamError) {
            listener.partitionsAssigned([TopicPartition(topic: "events", partition: 2)])
        }
        func poll(maxRecords: Int, timeout: Duration) throws(StreamError) -> SourceBatch {
            defer { given = true }
            return SourceBatch(records: given ? [] : records, exhausted: given)
        }
        func pause(_ partitions: [TopicPartition]) {}
        func resume(_ partitions: [TopicPartition]) {}
        func commit(_ offsets: [TopicPartition: Int64], synchronously: Bool) throws(StreamError) {}
        func close() {}
    }

    private func counterEngine(directory: String, continuing: Bool, topic: String) throws -> StreamEngine {
        let runtime = WasmRuntime.forTests()
        var settings = StreamSettings()
        settings.partitionConcurrency = 4
        settings.outputTopic = "out"
        settings.state = StateSettings(directory: directory, topic: topic, continuingOffsets: continuing)
        var logger = Logger(label: "wasmton.test")
        logger.logLevel = .critical
        return try StreamEngine(
            settings: settings,
            factory: ProcessorFactory(runtime: runtime, module: try runtime.load(path: Self.counterPath), sandbox: Sandbox()),
            logger: logger)
    }

    private static func counts(_ directory: String, partition: Int32) throws -> [String: String] {
        let store = try StateDirectory.open(directory, partition: partition)
        defer { store.close() }
        var counts: [String: String] = [:]
        for entry in try store.entries() {
            counts[String(decoding: entry.key, as: UTF8.self)] = String(decoding: entry.value, as: UTF8.self)
        }
        return counts
    }

    @Test("records delivered again after a crash are processed but change the state only once")
    func redeliveredRecordsChangeStateOnce() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var expected: [String: Int] = [:]
        let records = (0..<300).map { index in
            let key = "key\(index * 7 % 13)"
            expected[key, default: 0] += 1
            return StreamTask(key: Array(key.utf8), value: Array("x".utf8), topic: "events", partition: 2, offset: Int64(index))
        }
        for _ in 0..<2 {
            let sink = FlakySink()
            let summary = try counterEngine(directory: dir, continuing: false, topic: "events").run(
                source: ReplayingSource(records), sink: sink)
            #expect(summary.processed == 300)
        }
        #expect(try Self.counts(dir, partition: 2) == expected.mapValues(String.init))
    }

    /// A sink that never manages to deliver anything.
    final class UnreachableSink: RecordSink {
        func send(_ record: OutgoingRecord, onDelivery: @escaping @Sendable (Result<Void, StreamError>) -> Void) {
            onDelivery(.failure(.kafka("broker unreachable (simulated)")))
        }
        func flush(timeout: Duration) {}
        func close() {}
    }

    @Test("a record's state change waits for its outputs: undelivered outputs leave the state untouched")
    func stateWaitsForOutputs() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let records = (0..<20).map {
            StreamTask(key: Array("k\($0 % 3)".utf8), value: [0x78], topic: "events", partition: 2, offset: Int64($0))
        }
        var settings = StreamSettings()
        settings.outputTopic = "out"
        settings.drainTimeout = .milliseconds(200)
        settings.state = StateSettings(directory: dir, topic: "events")
        let runtime = WasmRuntime.forTests()
        var logger = Logger(label: "wasmton.test")
        logger.logLevel = .critical
        let engine = try StreamEngine(
            settings: settings,
            factory: ProcessorFactory(runtime: runtime, module: try runtime.load(path: Self.counterPath), sandbox: Sandbox()),
            logger: logger)
        let stopper = Thread {
            Thread.sleep(forTimeInterval: 1.0)
            engine.shutdown()
        }
        stopper.start()
        let summary = try engine.run(source: ReplayingSource(records), sink: UnreachableSink())
        #expect(summary.processed == 20, "every record ran")
        #expect(try Self.counts(dir, partition: 2).isEmpty, "no change applied before its outputs were delivered")
    }

    @Test("file mode: each run continues after the last, so two runs count both files")
    func fileRunsAccumulate() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var expected: [String: Int] = [:]
        for (run, count) in [(0, 120), (1, 80)] {
            let file = dir + "/part\(run).jsonl"
            var lines = ""
            for index in 0..<count {
                let key = "k\((index * 5 + run) % 9)"
                expected[key, default: 0] += 1
                lines += "{\"key\":\"\(key)\",\"value\":\"v\"}\n"
            }
            try lines.write(toFile: file, atomically: true, encoding: .utf8)
            let source = try FileRecordSource(path: file, format: .jsonLines)
            _ = try counterEngine(directory: dir + "/state", continuing: true, topic: source.topic).run(
                source: source, sink: FlakySink())
        }
        #expect(try Self.counts(dir + "/state", partition: 0) == expected.mapValues(String.init))
    }

    @Test("a corrupt store is a one-line error naming the file; a store in use by another connection is refused")
    func corruptAndLocked() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let held = try StateDirectory.open(dir, partition: 1)
        #expect(throws: StateStoreError.locked(path: StateDirectory.storePath(dir, partition: 1))) {
            try StateDirectory.open(dir, partition: 1)
        }
        held.close()
        try Data(repeating: 0x5a, count: 8192).write(to: URL(fileURLWithPath: StateDirectory.storePath(dir, partition: 4)))
        do {
            _ = try StateDirectory.open(dir, partition: 4)
            Issue.record("a garbage file opened as a store")
        } catch {
            guard case .corrupt = error else {
                Issue.record("expected corrupt, got \(error)")
                return
            }
            #expect(!error.description.contains("\n") && error.description.contains("partition-4.sqlite"))
        }
    }
}
