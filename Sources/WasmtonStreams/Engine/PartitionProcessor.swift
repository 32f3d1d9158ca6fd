import DequeModule
import Foundation
import WasmtonContracts

/// Everything the engine keeps for one partition it owns (Decaton's `PartitionProcessor`): the
/// offset watermark, the sub-partitions and their router, records held back by a retry backoff
/// or the rate limit, deliveries still outstanding, and the pause state. Used by the coordinator
/// thread only.
final class PartitionProcessor {
    let id: TopicPartition
    /// Distinguishes this ownership of the partition from an earlier one, so late events of a
    /// revoked partition are ignored if it is assigned again.
    let generation: Int
    let metrics: PartitionMetrics
    var paused = false
    var lastCommitted: Int64?
    /// The partition's state and the order its changes take effect in, when the processor has state.
    let state: PartitionStateLedger?

    private var watermark = OffsetWatermark()
    private var router: KeyRouter
    private var lanes: [SubPartition]
    private let inbox: EngineInbox
    private var factory: ProcessorFactory
    /// Tasks handed to sub-partitions and not finished yet.
    private var inLanes = 0
    /// Mean seconds per task, a moving average over lane reports.
    private var taskSeconds: Double?
    /// New lanes to build once ``inLanes`` reaches zero (a concurrency change or new code).
    private var rebuild: (concurrency: Int, factory: ProcessorFactory)?
    /// Records registered and not yet handed to a lane, in offset order (a deque: taking the
    /// first moves it out, with no copy and nothing left behind to release).
    private var held = Deque<StreamTask>()
    /// Tasks bound for each lane in the current ``dispatch(now:)``, handed over together.
    private var outgoing: [[StreamTask]]
    /// The offset last shown in the consumed-offset gauge (set once per dispatch, not per record).
    private var consumedShown: Int64?
    private var limiter: RateLimiter?
    /// Deliveries each offset still waits for before it completes.
    private var awaiting: [Int64: Int] = [:]

    init(
        id: TopicPartition, generation: Int, settings: StreamSettings, inbox: EngineInbox, factory: ProcessorFactory,
        state: PartitionStateLedger? = nil
    ) {
        self.state = state
        self.id = id
        self.generation = generation
        self.inbox = inbox
        self.factory = factory
        metrics = PartitionMetrics(id)
        router = KeyRouter(lanes: settings.partitionConcurrency)
        lanes = Self.lanes(settings.partitionConcurrency, id, generation, inbox, factory, state?.store)
        outgoing = Array(repeating: [], count: lanes.count)
        limiter = settings.rateLimitPerPartition.map { RateLimiter(perSecond: $0, now: .now) }
        metrics.subPartitions.record(lanes.count)
    }

    private static func lanes(
        _ count: Int, _ id: TopicPartition, _ generation: Int, _ inbox: EngineInbox, _ factory: ProcessorFactory,
        _ store: PartitionStateStore?
    ) -> [SubPartition] {
        (0..<count).map {
            SubPartition(partition: id, generation: generation, index: $0, inbox: inbox, factory: factory, store: store)
        }
    }

    /// Takes a new rate limit at once, and a new concurrency or processor once the tasks in the
    /// sub-partitions are done: until then nothing new is dispatched, so a key never runs in two
    /// lanes at once.
    /// `factory`: new processor code, or `nil` to keep the current one.
    func reconfigure(concurrency: Int, rateLimit: Int?, factory: ProcessorFactory?) {
        if rateLimit != limiter.map({ Int($0.perSecond) }) {
            limiter = rateLimit.map { RateLimiter(perSecond: $0, now: .now) }
        }
        if let factory { self.factory = factory }
        if factory != nil || rebuild != nil || concurrency != lanes.count {
            rebuild = (concurrency, self.factory)
        }
    }

    /// Sub-partition `lane` finished `count` more of the tasks it was handed, in
    /// `busyNanoseconds` in all.
    func laneFinished(_ count: Int, on lane: Int, busyNanoseconds: Int64) {
        inLanes = max(0, inLanes - count)
        if lane < router.lanes { router.finished(count, on: lane) }
        guard count > 0 else { return }
        let mean = Double(busyNanoseconds) / 1e9 / Double(count)
        taskSeconds = taskSeconds.map { 0.8 * $0 + 0.2 * mean } ?? mean
    }

    /// How many tasks a lane may hold: about 20 ms of work at the mean task time seen so far
    /// (16 before the first completes), between 2 and 4,096. Records beyond that wait here,
    /// unbound, so a key goes to whichever lane is free when its turn comes; handing a slow
    /// processor's whole backlog to the lanes at once would bind every key to a lane early and
    /// leave the spread no better than a hash.
    private var laneCapacity: Int {
        guard let taskSeconds else { return 16 }
        return Int(min(4_096, max(2, 0.020 / max(taskSeconds, 1e-7))))
    }

    /// Builds the new lanes when a rebuild waits and the old lanes are idle; true while one waits.
    private func rebuildIfIdle() -> Bool {
        guard let (concurrency, factory) = rebuild else { return false }
        guard inLanes == 0 else { return true }
        for lane in lanes { lane.requestStop() }
        for lane in lanes { lane.waitUntilStopped() }
        lanes = Self.lanes(concurrency, id, generation, inbox, factory, state?.store)
        router = KeyRouter(lanes: concurrency)
        outgoing = Array(repeating: [], count: lanes.count)
        metrics.subPartitions.record(lanes.count)
        rebuild = nil
        return false
    }

    /// Records fetched and not yet completed, including held ones: what back-pressure counts.
    var pendingCount: Int { watermark.pendingCount }
    var commitOffset: Int64? { watermark.commitOffset }
    var needsCommit: Bool { commitOffset != nil && commitOffset != lastCommitted }

    /// Registers a fetched record and holds it for dispatch. Returns false for a record at or
    /// below one already registered (a redelivery), which is dropped.
    func accept(_ task: consuming StreamTask) -> Bool {
        do {
            try watermark.register(task.offset)
        } catch {
            return false
        }
        held.append(task)
        return true
    }

    /// Registers a record that is complete at once (an ignored key).
    func skip(_ task: StreamTask) throws(WatermarkError) {
        try watermark.register(task.offset)
        try watermark.complete(task.offset)
    }

    /// Hands held records to their sub-partitions, in order, as far as retry backoffs and the
    /// rate limit allow: each lane gets its share in one hand-over. Returns when the first
    /// still-held record may go, if any.
    func dispatch(now: Date) -> Date? {
        if let consumed = watermark.lastRegistered, consumed != consumedShown {
            metrics.consumedOffset.record(consumed)
            consumedShown = consumed
        }
        if rebuildIfIdle() { return nil }
        let capacity = laneCapacity
        var wake: Date?
        // Worked on in locals and put back: a class's stored property costs a dynamic
        // exclusivity check on every mutation, which shows per record.
        var held = Deque<StreamTask>()
        var router = KeyRouter(lanes: 1)
        var outgoing: [[StreamTask]] = []
        swap(&held, &self.held)
        swap(&router, &self.router)
        swap(&outgoing, &self.outgoing)
        defer {
            swap(&held, &self.held)
            swap(&router, &self.router)
            swap(&outgoing, &self.outgoing)
        }
        while !held.isEmpty {
            if !held[0].headers.isEmpty, let due = RetryPolicy.notBefore(held[0]), due > now {
                wake = due
                break
            }
            if let perSecond = limiter?.perSecond, limiter?.take(now: .now) == false {
                wake = now.addingTimeInterval(1 / perSecond)
                break
            }
            guard let lane = router.lane(for: held[0].key, maxLoad: capacity) else { break }
            outgoing[lane].append(held.removeFirst())
        }
        for lane in outgoing.indices where !outgoing[lane].isEmpty {
            inLanes += outgoing[lane].count
            lanes[lane].enqueue(taking: &outgoing[lane])
        }
        return wake
    }

    func complete(_ offset: Int64) throws(WatermarkError) {
        try watermark.complete(offset)
    }

    /// Notes that `offset` completes only after `count` more deliveries.
    func expectDeliveries(_ count: Int, for offset: Int64) {
        awaiting[offset, default: 0] += count
    }

    /// Whether some completed task still waits for a delivery.
    var awaitsDeliveries: Bool { !awaiting.isEmpty }

    /// Counts one delivery for `offset`; true when it was the last one awaited.
    func delivered(_ offset: Int64) -> Bool {
        guard let left = awaiting[offset] else { return false }
        if left <= 1 {
            awaiting[offset] = nil
            return true
        }
        awaiting[offset] = left - 1
        return false
    }

    /// Asks every sub-partition to stop at once: each finishes its current task and drops the
    /// rest (uncommitted, so they are fetched again by whoever owns the partition next).
    func requestStop() {
        held.removeAll()
        for lane in lanes { lane.requestStop() }
    }

    /// Waits for the sub-partitions' threads; after ``requestStop()``.
    func waitUntilStopped() {
        for lane in lanes { lane.waitUntilStopped() }
    }
}
