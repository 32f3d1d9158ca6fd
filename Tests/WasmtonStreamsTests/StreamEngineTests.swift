import Foundation
import Logging
import Synchronization
import Testing
import WasmtonContracts
import WasmtonRuntime
import WasmtonTestSupport

@testable import WasmtonStreams

/// A sink that keeps what it was given and fails the first delivery of every record, so the
/// engine has to send each one again.
final class FlakySink: RecordSink {
    private let state = Mutex<(delivered: [OutgoingRecord], failedOnce: Set<[UInt8]>)>(([], []))

    var delivered: [OutgoingRecord] { state.withLock { $0.delivered } }

    func send(_ record: OutgoingRecord, onDelivery: @escaping @Sendable (Result<Void, StreamError>) -> Void) {
        let fail = state.withLock { state -> Bool in
            if state.failedOnce.insert(record.value).inserted { return true }
            state.delivered.append(record)
            return false
        }
        onDelivery(fail ? .failure(.kafka("broker unreachable (simulated)")) : .success(()))
    }

    func flush(timeout: Duration) {}
    func close() {}
}

/// A source of one partition whose records come in batches; after `revokeAfterPolls` polls, and
/// once `readyToRevoke` says so, it revokes the partition (as a rebalance would) and records what
/// the engine committed. Until then it answers empty batches, so the revoke lands mid-stream.
final class ScriptedSource: RecordSource {
    let partition = TopicPartition(topic: "scripted", partition: 5)
    private var pending: [StreamTask]
    private var polls = 0
    private let revokeAfterPolls: Int
    private let readyToRevoke: () -> Bool
    private weak var listener: (any RebalanceListener)?
    private(set) var commits: [(offset: Int64, synchronously: Bool)] = []
    private(set) var revoked = false

    init(values: [String], revokeAfterPolls: Int, readyToRevoke: @escaping () -> Bool = { true }) {
        pending = values.enumerated().map { index, value in
            StreamTask(
                key: Array("key\(index % 5)".utf8), value: Array(value.utf8), topic: "scripted", partition: 5,
                offset: Int64(index * 2))  // gaps, as in a compacted topic
        }
        self.revokeAfterPolls = revokeAfterPolls
        self.readyToRevoke = readyToRevoke
    }

    func start(listener: any RebalanceListener) throws(StreamError) {
        self.listener = listener
        listener.partitionsAssigned([partition])
    }

    func poll(maxRecords: Int, timeout: Duration) throws(StreamError) -> SourceBatch {
        polls += 1
        if revoked { return SourceBatch(records: [], exhausted: true) }
        if polls >= revokeAfterPolls {
            // Bounded: about 5 s of waiting for the condition, then revoke regardless.
            guard readyToRevoke() || polls > revokeAfterPolls + 5_000 else {
                Thread.sleep(forTimeInterval: 0.001)
                return SourceBatch(records: [], exhausted: false)
            }
            revoked = true
            listener?.partitionsRevoked([partition])
            return SourceBatch(records: [], exhausted: true)
        }
        let batch = Array(pending.prefix(min(maxRecords, 7)))
        pending.removeFirst(batch.count)
        return SourceBatch(records: batch, exhausted: pending.isEmpty)
    }

    func pause(_ partitions: [TopicPartition]) {}
    func resume(_ partitions: [TopicPartition]) {}

    func commit(_ offsets: [TopicPartition: Int64], synchronously: Bool) throws(StreamError) {
        if let offset = offsets[partition] { commits.append((offset, synchronously)) }
    }

    func close() {}
}

@Suite("StreamEngine")
struct StreamEngineTests {
    static let probePath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("guests/build/task_probe.wasm").path

    private func engine(_ configure: (inout StreamSettings) -> Void = { _ in }) throws -> StreamEngine {
        let runtime = WasmRuntime.forTests(configuration: .init(fuelMetering: true))
        let module = try runtime.load(path: Self.probePath)
        var settings = StreamSettings()
        settings.partitionConcurrency = 3
        settings.outputTopic = "out"
        settings.commitInterval = .milliseconds(10)
        configure(&settings)
        var sandbox = Sandbox()
        sandbox.limits.timeout = .seconds(5)
        var logger = Logger(label: "wasmton.test")
        logger.logLevel = .critical  // the engine's warnings about the simulated failures are expected
        return try StreamEngine(
            settings: settings, factory: ProcessorFactory(runtime: runtime, module: module, sandbox: sandbox),
            logger: logger)
    }

    @Test("a failed delivery is sent again, and the offset is committed only once it is delivered")
    func failedDeliveriesAreResent() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("wasmton-engine-\(UUID()).txt").path
        try Data((0..<20).map { "v\($0)\n" }.joined().utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let sink = FlakySink()
        let summary = try engine().run(source: FileRecordSource(path: path), sink: sink)
        #expect(summary.processed == 20 && summary.emitted == 20)
        let offsets = sink.delivered.map { String(decoding: $0.value, as: UTF8.self).split(separator: "/")[2] }
            .compactMap { Int($0.split(separator: ":")[0]) }
        #expect(offsets.sorted() == Array(0..<20), "every output delivered exactly once after its retry")
        #expect(sink.delivered.allSatisfy { $0.topic == "out" })
    }

    @Test("on revoke the engine finishes in-flight work and commits synchronously only what is done")
    func revokeCommitsCompletedPrefix() throws {
        let sink = FlakySink()
        // Revoke once the first record is done, so there is a completed prefix to commit (before
        // that, committing nothing would be right, and the test would have nothing to check).
        let source = ScriptedSource(values: (0..<60).map { "v\($0)" }, revokeAfterPolls: 4) {
            Self.deliveredOffsets(sink).contains(0)
        }
        _ = try engine { $0.commitInterval = .seconds(60) }.run(source: source, sink: sink)
        #expect(source.revoked)
        let last = try #require(source.commits.last)
        #expect(last.synchronously, "the revoke commit is synchronous")
        // Every offset below the committed one was processed and its output delivered.
        let processed = Self.deliveredOffsets(sink)
        let committedBelow = stride(from: Int64(0), to: last.offset, by: 2)
        #expect(
            committedBelow.allSatisfy { processed.contains($0) }, "committed \(last.offset) but processed \(processed.sorted())")
        // Nothing after the revoke: the rest belongs to the partition's next owner.
        #expect(source.commits.allSatisfy { $0.offset <= last.offset })
    }

    /// The source offsets whose output the sink has delivered (the probe writes `…/…/OFFSET:…`).
    static func deliveredOffsets(_ sink: FlakySink) -> Set<Int64> {
        Set(
            sink.delivered.compactMap {
                Int64(String(decoding: $0.value, as: UTF8.self).split(separator: "/")[2].split(separator: ":")[0])
            })
    }

    @Test("settings out of range are refused before anything runs")
    func invalidSettings() {
        #expect(throws: StreamError.self) { _ = try engine { $0.partitionConcurrency = 0 } }
        #expect(throws: StreamError.self) { _ = try engine { $0.maxPendingRecords = 0 } }
        #expect(throws: StreamError.self) { _ = try engine { $0.rateLimitPerPartition = 0 } }
    }
}
