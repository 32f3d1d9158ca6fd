import Foundation
import Testing
import WasmtonCapture
import WasmtonContracts
import WasmtonRuntime
import WasmtonStreams
import WasmtonTestSupport
import WasmtonTools

/// The replay library: capture files, percentiles, the report's differences and regressions,
/// and PollTask replays of the pricing processor's versions on the engine under test.
@Suite("replay library")
struct ReplayTests {
    static let guests = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("guests/build")

    private func replayer(_ name: String, runtime: WasmRuntime, isolate: Bool = false) throws -> PollTaskReplayer {
        let module = try runtime.load(path: Self.guests.appendingPathComponent(name).path)
        var sandbox = Sandbox()
        sandbox.limits.timeout = .milliseconds(300)
        return PollTaskReplayer(
            factory: ProcessorFactory(runtime: runtime, module: module, sandbox: sandbox, isolateTasks: isolate))
    }

    @Test("a capture file keeps every byte of key, value and headers, and the topic, partition, offset and timestamp")
    func captureRoundTrip() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("replay-\(UUID().uuidString).capture").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let records = [
            CapturedRecord(
                task: StreamTask(
                    key: [0, 255, 10], value: Array(0...255),
                    headers: [.init(name: "trace", value: [1, 2]), .init(name: "trace", value: [])],
                    topic: "orders", partition: 7, offset: 9_000_000_000),
                timestampMilliseconds: 1_765_101_600_123),
            CapturedRecord(task: StreamTask(key: nil, value: [], topic: "orders/with/slashes", partition: 0, offset: 0)),
        ]
        let writer = try CaptureWriter(path: path, kind: .records)
        for record in records { try writer.write(record) }
        try writer.close()
        let reader = try CaptureReader(path: path)
        #expect(reader.kind == .records)
        var read: [CapturedRecord] = []
        while let record = try reader.nextRecord() { read.append(record) }
        #expect(read == records)
        #expect(try CaptureReader.count(path) == 2)
        #expect(throws: CaptureError.wrongKind(path: path, found: .records, expected: .wapc)) {
            try CaptureReader(path: path).nextRequest()
        }
    }

    @Test("nearest-rank percentiles, and the change in percent")
    func percentiles() throws {
        let samples = (1...200).map { UInt64($0) }.shuffled()
        let value = try #require(ReplayPercentiles(of: samples))
        #expect(value == ReplayPercentiles(p50: 100, p99: 198, max: 200))
        #expect(ReplayPercentiles(of: []) == nil)
        #expect(ReplayPercentiles(of: [7]) == ReplayPercentiles(p50: 7, p99: 7, max: 7))
        let change = ReplayPercentiles(p50: 150, p99: 198, max: 100).change(from: value)
        #expect(change.p50 == 50)
        #expect(change.p99 == 0)
        #expect(change.max == -50)
    }

    @Test("the builder lists differing inputs in order and flags only increases past the threshold")
    func builder() {
        var builder = ReplayReportBuilder(
            candidate: "new", baseline: "old", thresholds: ReplayThresholds(maxFuelIncrease: 20, maxLatencyIncrease: 1000))
        let out = ReplayObservation.Output(key: [1], value: [2])
        for offset in 0..<10 {
            let old = ReplayObservation(outcome: .ok, outputs: [out], fuel: 100, nanoseconds: 1000)
            var new = ReplayObservation(outcome: .ok, outputs: [out], fuel: offset < 5 ? 100 : 130, nanoseconds: 1000)
            if offset == 3 { new.outcome = .trap("unreachable instruction executed") }
            if offset == 7 { new.outputs = [] }
            builder.add(.record(topic: "t", partition: 0, offset: Int64(offset), key: nil), candidate: new, baseline: old)
        }
        let report = builder.report()
        #expect(report.total == 10)
        #expect(
            report.differences.map(\.subject)
                == [Int64(3), 7].map { ReplaySubject.record(topic: "t", partition: 0, offset: $0, key: nil) })
        #expect(report.candidate.count("trap: unreachable instruction executed") == 1)
        #expect(report.candidate.count("ok") == 9)
        // p50 of candidate fuel is 100 (five of each): only p99 (130, +30%) passes the 20% threshold.
        #expect(report.regressions.map(\.statistic) == ["p99"])
        #expect(report.regressions.first?.increase == 30)
        #expect(!report.isEquivalent)
        let text = ReplayReportText.render(report)
        #expect(text.contains("fuel p99 +30.0% (allowed +20.0%): 100 -> 130"), "\(text)")
    }

    @Test("a slower candidate is a latency regression past --max-latency-increase; fuel unchanged is none")
    func latencyRegression() {
        var builder = ReplayReportBuilder(
            candidate: "new", baseline: "old", thresholds: ReplayThresholds(maxFuelIncrease: 0, maxLatencyIncrease: 50))
        for offset in 0..<100 {
            builder.add(
                .record(topic: "t", partition: 0, offset: Int64(offset), key: nil),
                candidate: ReplayObservation(outcome: .ok, fuel: 10, nanoseconds: 3_000_000),
                baseline: ReplayObservation(outcome: .ok, fuel: 10, nanoseconds: 1_000_000))
        }
        let report = builder.report()
        #expect(report.differences.isEmpty)
        #expect(report.regressions.map(\.measure) == [.latency, .latency])
        #expect(report.regressions.map(\.increase) == [200, 200])
        let text = ReplayReportText.render(report)
        #expect(text.contains("wall time p50 +200.0% (allowed +50.0%): 1.00 ms -> 3.00 ms"), "\(text)")
        #expect(text.contains("verdict: different (2 regressions)"), "\(text)")
    }

    @Test("the progress line: done and total, then the rate since the first update and the time left")
    func progressLine() {
        var line = ReplayProgressLine()
        #expect(line.text(done: 1, total: 1000, noun: "records", now: 5_000_000_000) == "replaying: 1/1000 records")
        #expect(
            line.text(done: 401, total: 1000, noun: "records", now: 7_000_000_000)
                == "replaying: 401/1000 records, 200/s, ETA 3s")
        #expect(line.text(done: 501, total: nil, noun: "requests", now: 7_500_000_000) == "replaying: 501 requests, 200/s")
    }

    @Test("PollTaskReplayer: v2 differs from v1 on the changed orders; the heavy version burns about twice the fuel")
    func pollTaskReplay() throws {
        let runtime = WasmRuntime.forTests(configuration: .init(fuelMetering: true))
        let v1 = try replayer("pricing_v1.wasm", runtime: runtime)
        let v2 = try replayer("pricing_v2.wasm", runtime: runtime, isolate: true)
        let heavy = try replayer("pricing_heavy.wasm", runtime: runtime)
        defer {
            v1.close()
            v2.close()
            heavy.close()
        }
        let order = StreamTask(key: Array("bob".utf8), value: Array("pear,10,50".utf8))
        let old = v1.replay(order)
        let new = v2.replay(order)
        #expect(old.outputs == [.init(key: Array("bob".utf8), value: Array("pear total=500".utf8))])
        #expect(new.outputs == [.init(key: Array("bob".utf8), value: Array("pear total=450".utf8))])
        #expect(!new.behavesLike(old))
        let costly = heavy.replay(order)
        #expect(costly.behavesLike(old))
        let ratio = Double(try #require(costly.fuel)) / Double(try #require(old.fuel))
        #expect(ratio > 1.6 && ratio < 2.1, "heavy/v1 fuel: \(ratio)")
        // The same record again on the reused instance costs the same fuel.
        #expect(v1.replay(order).fuel == old.fuel)
    }

    @Test("every outcome: ok, retry, discard, a trap with its kind, the memory limit, out of fuel")
    func outcomes() throws {
        let runtime = WasmRuntime.forTests(configuration: .init(fuelMetering: true))
        let module = try runtime.load(path: Self.guests.appendingPathComponent("task_probe.wasm").path)
        var sandbox = Sandbox()
        sandbox.limits = Limits(maxMemoryBytes: 4 << 20, fuel: 5_000_000, timeout: .seconds(30))
        let probe = PollTaskReplayer(factory: ProcessorFactory(runtime: runtime, module: module, sandbox: sandbox))
        defer { probe.close() }
        let labels = ["hello", "retry", "discard", "trap", "bomb", "loop"].map { value in
            probe.replay(StreamTask(value: Array(value.utf8))).outcome.label
        }
        #expect(
            labels == [
                "ok", "retry", "discard", "trap: unreachable instruction executed", "memory limit", "out of fuel",
            ])
    }

    @Test("a record that loops ends at the deadline; the next record gets a fresh instance and succeeds")
    func deadlineThenRecovery() throws {
        let runtime = WasmRuntime.forTests(configuration: .init(fuelMetering: true))
        let looping = try replayer("pricing_loop.wasm", runtime: runtime)
        defer { looping.close() }
        let stuck = looping.replay(StreamTask(value: Array("apple,-1,10".utf8)))
        #expect(stuck.outcome == .deadline)
        #expect(stuck.nanoseconds < 2_000_000_000, "the 300 ms deadline bounds it: \(stuck.nanoseconds) ns")
        let next = looping.replay(StreamTask(value: Array("apple,1,10".utf8)))
        #expect(next.outcome == .ok)
        #expect(next.outputs.map(\.value) == [Array("apple total=10".utf8)])
    }
}
