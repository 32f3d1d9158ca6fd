import Foundation
import Logging
import Metrics
import Tracing
import WasmtonContracts

/// The engine's coordinator thread: polls the source, registers and dispatches records, turns
/// completions into commits, retries and outputs, pauses partitions under back-pressure, and
/// handles rebalances. Everything here runs on the thread that called ``StreamEngine/run``.
final class StreamCoordinator<Source: RecordSource, Sink: RecordSink>: RebalanceListener {
    private let engine: StreamEngine
    private let source: Source
    private let sink: Sink
    private var settings: StreamSettings
    private var factory: ProcessorFactory
    private var logger: Logger
    private let inbox = EngineInbox()
    /// Events taken from the inbox, reused between turns.
    private var events: [EngineEvent] = []
    private var partitions: [TopicPartition: PartitionProcessor] = [:]
    private var generations = 0
    private var summary = StreamSummary()
    /// Deliveries that failed, to send again after a pause (never dropped).
    private var resends: [(due: Date, record: OutgoingRecord, partition: TopicPartition, generation: Int, offset: Int64)] =
        []
    /// A failure that stops the engine (a state store that cannot be written), thrown at the next turn.
    private var fatal: StreamError?
    private var state = EngineState.initializing {
        didSet { if state != oldValue { logger.info("state: \(state.rawValue)") } }
    }

    init(engine: StreamEngine, source: Source, sink: Sink) {
        self.engine = engine
        self.source = source
        self.sink = sink
        self.settings = engine.settings
        self.factory = engine.factory
        self.logger = engine.logger
    }

    func run() throws(StreamError) -> StreamSummary {
        logger.info("state: \(state.rawValue)")
        do {
            try source.start(listener: self)
            state = .running
            try loop()
        } catch {
            finish()
            throw error
        }
        finish()
        return summary
    }

    private func loop() throws(StreamError) {
        let clock = ContinuousClock()
        var nextCommit = clock.now + settings.commitInterval
        var lastPoll = clock.now
        var wake: Date?
        while !engine.isStopRequested {
            if let fatal { throw fatal }
            if let changes = engine.takeChanges() { apply(changes) }
            let busy = partitions.values.contains { $0.pendingCount > 0 } || !resends.isEmpty
            let hold = applyBackPressure(mayHold: clock.now - lastPoll < Self.pollHold)
            var polled = 0
            var exhausted = false
            if !hold {
                // A partition overshoots its max pending records by at most one poll (as Decaton's
                // does by max.poll.records); polls no smaller than 100 keep a small limit from
                // thrashing pause/resume.
                var batch = try source.poll(
                    maxRecords: min(settings.pollBatchSize, max(settings.maxPendingRecords, 100)),
                    timeout: busy ? .zero : .milliseconds(100))
                lastPoll = clock.now
                polled = batch.records.count
                exhausted = batch.exhausted
                // Handed over as the only reference, so that accepting moves records rather than copies them.
                let records = batch.records
                batch.records = []
                accept(records)
            }
            handleInbox()
            wake = dispatchAll()
            sendDueResends()
            if clock.now >= nextCommit {
                commit(synchronously: false)
                nextCommit = clock.now + settings.commitInterval
            }
            let idle = partitions.values.allSatisfy { $0.pendingCount == 0 } && resends.isEmpty
            if exhausted && idle && polled == 0 { break }
            if polled == 0 && !idle {
                var timeout = Duration.milliseconds(5)
                if let wake {
                    let untilWake = Duration.milliseconds(max(0, Int64(wake.timeIntervalSinceNow * 1000)))
                    timeout = min(timeout, untilWake)
                }
                inbox.wait(timeout: timeout)
            }
        }
    }

    /// Takes new dynamic properties or processor code (``StreamEngine/update(_:)``,
    /// ``StreamEngine/reload(_:)``): settings for the next records, and each partition's lanes
    /// rebuilt once they are idle.
    private func apply(_ changes: StreamEngine.Changes) {
        if let properties = changes.properties {
            settings = properties.applied(to: settings)
            logger.notice(
                "dynamic properties applied",
                metadata: [
                    "partition_concurrency": "\(properties.partitionConcurrency)",
                    "max_pending_records": "\(properties.maxPendingRecords)",
                    "rate_limit": "\(properties.rateLimitPerPartition.map(String.init) ?? "none")",
                    "ignored_keys": "\(properties.ignoredKeys.count)",
                ])
        }
        if let factory = changes.factory {
            self.factory = factory
            logger.notice("processor reloaded", metadata: ["module": "\(factory.module.name)"])
        }
        for partition in partitions.values {
            partition.reconfigure(
                concurrency: settings.partitionConcurrency, rateLimit: settings.rateLimitPerPartition, factory: changes.factory)
        }
    }

    /// Stops every partition, drains deliveries, commits synchronously and leaves.
    private func finish() {
        guard state != .terminated else { return }
        state = .shuttingDown
        stop(Array(partitions.values))
        drainDeliveries()
        commit(synchronously: true)
        source.close()
        stop(Array(partitions.values))
        for partition in partitions.values { partition.state?.store.close() }
        partitions.removeAll()
        sink.close()
        state = .terminated
    }

    // MARK: Rebalance

    func partitionsAssigned(_ assigned: [TopicPartition]) {
        guard !assigned.isEmpty else { return }
        let previous = state
        if previous != .initializing { state = .rebalancing }
        for id in assigned where partitions[id] == nil {
            var ledger: PartitionStateLedger?
            if let state = settings.state, id.topic == state.topic {
                do {
                    ledger = try openState(of: id, state)
                } catch {
                    // The partition is not taken on (its records are ignored), and the engine stops.
                    fatal = fatal ?? error
                    continue
                }
            }
            generations += 1
            partitions[id] = PartitionProcessor(
                id: id, generation: generations, settings: settings, inbox: inbox, factory: factory, state: ledger)
        }
        logger.info("assigned: \(assigned.sorted().map(\.description).joined(separator: ", "))")
        if previous != .initializing { state = .running }
    }

    func partitionsRevoked(_ revoked: [TopicPartition]) {
        let owned = revoked.filter { partitions[$0] != nil }
        guard !owned.isEmpty else { return }
        let previous = state
        if previous != .shuttingDown { state = .rebalancing }
        stop(owned.compactMap { partitions[$0] })
        drainDeliveries()
        commit(synchronously: true, only: Set(owned))
        for id in owned {
            partitions[id]?.state?.store.close()
            partitions[id] = nil
        }
        logger.info("revoked: \(owned.sorted().map(\.description).joined(separator: ", "))")
        if previous != .shuttingDown { state = .running }
    }

    /// Stops the workers of `stopping` all at once, then waits for them: the wait is the longest
    /// task in progress, and no queued task starts meanwhile.
    private func stop(_ stopping: [PartitionProcessor]) {
        for partition in stopping { partition.requestStop() }
        for partition in stopping { partition.waitUntilStopped() }
    }

    // MARK: Records

    /// Registers a poll's records with their partitions (records of one partition come in runs,
    /// so the partition is looked up once a run).
    private func accept(_ records: consuming [StreamTask]) {
        var current: PartitionProcessor?
        // Taken from the back of the reversed array, each record moves on to its partition
        // without a copy of its fields.
        records.reverse()
        while let task = records.popLast() {
            if current?.id.partition != task.partition || current?.id.topic != task.topic {
                current = partitions[TopicPartition(topic: task.topic, partition: task.partition)]
            }
            guard let partition = current else {
                logger.debug("record for unowned partition \(task.topic)/\(task.partition) at offset \(task.offset) ignored")
                continue
            }
            accept(task, into: partition)
        }
    }

    private func accept(_ task: consuming StreamTask, into partition: PartitionProcessor) {
        if !settings.ignoredKeys.isEmpty, let key = task.key, settings.ignoredKeys.contains(key) {
            do {
                try partition.skip(task)
                summary.discarded += 1
                partition.metrics.discarded.increment()
            } catch {
                logger.debug("duplicate record \(partition.id)@\(task.offset) ignored")
            }
            return
        }
        let offset = task.offset
        if !partition.accept(task) {
            logger.debug("duplicate record \(partition.id)@\(offset) ignored")
        }
    }

    private func dispatchAll() -> Date? {
        let now = Date()
        var wake: Date?
        for partition in partitions.values {
            if let due = partition.dispatch(now: now) { wake = min(wake ?? due, due) }
            partition.metrics.pending.record(partition.pendingCount)
        }
        return wake
    }

    /// How long the poll is held for a full partition before it is paused.
    static var pollHold: Duration { .milliseconds(20) }

    /// Back-pressure on partitions with max pending records fetched and not finished. Decaton
    /// pauses such a partition at once; but librdkafka drops what it prefetched for a paused
    /// partition and fetches it again on resume, which cost a fast processor two thirds of its
    /// throughput. So the coordinator first holds its poll for up to ``pollHold`` (`mayHold`):
    /// a fast processor brings the partition back under its limit within that, and nothing is
    /// refetched. A partition still full after the hold is paused, so that the records of other
    /// partitions queued behind its own in librdkafka's queue are reached (a slow processor
    /// would otherwise starve them). Paused partitions resume at half. Returns whether to hold.

    private func applyBackPressure(mayHold: Bool) -> Bool {
        let limit = settings.maxPendingRecords
        var full: [PartitionProcessor] = []
        var resume: [TopicPartition] = []
        for partition in partitions.values {
            if partition.paused {
                if partition.pendingCount <= limit / 2 {
                    partition.paused = false
                    resume.append(partition.id)
                    partition.metrics.paused.record(0)
                }
            } else if partition.pendingCount >= limit {
                full.append(partition)
            }
        }
        if !resume.isEmpty {
            source.resume(resume)
            logger.debug("resumed: \(resume.sorted().map(\.description))")
        }
        if full.isEmpty { return false }
        if mayHold && resume.isEmpty { return true }
        for partition in full {
            partition.paused = true
            partition.metrics.paused.record(1)
        }
        let pause = full.map(\.id)
        source.pause(pause)
        logger.debug("paused (max pending records reached): \(pause.sorted().map(\.description))")
        return false
    }

    // MARK: Completions

    /// Handles everything posted to the inbox since the last turn.
    private func handleInbox() {
        guard inbox.take(into: &events, timeout: .zero) else { return }
        for event in events {
            switch event {
            case .finished(let report):
                finished(report)
            case .delivered(let id, let generation, let offset, let record, let result):
                guard let partition = partitions[id], partition.generation == generation else { continue }
                switch result {
                case .success:
                    if partition.delivered(offset) { complete(offset, of: partition) }
                case .failure(let error):
                    logger.warning("delivery to \(record.topic) failed, sending again in 1 s: \(error)")
                    resends.append((Date().addingTimeInterval(1), record, id, generation, offset))
                }
            }
        }
        events.removeAll(keepingCapacity: true)
        flushState()
    }

    /// Takes one sub-partition's report: the common case (processed, nothing emitted) only
    /// completes the offset; counters move once per report.
    private func finished(_ report: LaneReport) {
        guard let partition = partitions[report.partition], partition.generation == report.generation else { return }
        partition.laneFinished(report.completions.count, on: report.lane, busyNanoseconds: report.busyNanoseconds)
        var processed = 0
        var discarded = 0
        let duration = partition.metrics.processDuration
        for completion in report.completions {
            duration.recordNanoseconds(completion.nanoseconds)
            let offset = completion.offset
            defer { completion.span?.end() }
            switch completion.outcome {
            case .processed(let result) where result.status == .ok:
                processed += 1
                if !completion.stateChanges.isEmpty { partition.state?.hold(completion.stateChanges, for: offset) }
                guard !result.outputs.isEmpty else {
                    complete(offset, of: partition)
                    continue
                }
                summary.emitted += result.outputs.count
                guard let topic = settings.outputTopic else {
                    complete(offset, of: partition)
                    continue
                }
                let outputs = result.outputs.map { OutgoingRecord(topic: topic, key: $0.key, value: $0.value) }
                if let span = completion.span {
                    RecordTracing.child("produce \(topic)", of: span) { send(outputs, for: offset, of: partition) }
                } else {
                    send(outputs, for: offset, of: partition)
                }
            case .processed(let result) where result.status == .discard:
                discarded += 1
                complete(offset, of: partition)
            case .processed:
                guard let task = completion.task else { continue }
                failed(task, reason: "the processor asked to retry", partition: partition)
            case .failed(let reason):
                completion.span?.setStatus(SpanStatus(code: .error, message: reason))
                guard let task = completion.task else { continue }
                failed(task, reason: reason, partition: partition)
            }
        }
        if processed > 0 {
            summary.processed += processed
            partition.metrics.processed.increment(by: Int64(processed))
        }
        if discarded > 0 {
            summary.discarded += discarded
            partition.metrics.discarded.increment(by: Int64(discarded))
        }
    }

    private func failed(_ task: StreamTask, reason: String, partition: PartitionProcessor) {
        summary.failedAttempts += 1
        partition.metrics.error.increment()
        let (deadLetter, record) = settings.retry.route(task, failure: reason, now: Date())
        if deadLetter {
            summary.deadLettered += 1
            partition.metrics.deadLettered.increment()
            let attempts = (RetryPolicy.headerInt(task, RetryPolicy.Header.retryCount) ?? 0) + 1
            let destination = record.map { "to \($0.topic)" } ?? "(no dead-letter topic: dropped)"
            logger.error(
                "dead-lettered \(Self.origin(of: task)) after \(attempts) attempt\(attempts == 1 ? "" : "s") \(destination): \(reason)",
                metadata: metadata(of: task))
        } else {
            summary.retried += 1
            partition.metrics.retried.increment()
            logger.warning(
                "retrying \(Self.origin(of: task)) through \(record?.topic ?? "?"): \(reason)", metadata: metadata(of: task))
        }
        guard let record else {
            complete(task.offset, of: partition)
            return
        }
        send([record], for: task.offset, of: partition)
    }

    /// Where a record was first read: `topic/partition@offset`, through any retries.
    /// A record's place as log fields (`module`, `topic`, `partition`, `offset`), for JSON logs.
    private func metadata(of task: StreamTask) -> Logger.Metadata {
        [
            "module": "\(factory.module.name)", "topic": "\(task.topic)", "partition": "\(task.partition)",
            "offset": "\(task.offset)",
        ]
    }

    private static func origin(of task: StreamTask) -> String {
        typealias Header = RetryPolicy.Header
        guard let offset = RetryPolicy.headerInt(task, Header.originalOffset),
            let partition = RetryPolicy.headerInt(task, Header.originalPartition),
            let topic = task.headers.last(where: { $0.name == Header.originalTopic })
        else { return "\(task.topic)/\(task.partition)@\(task.offset)" }
        return "\(String(decoding: topic.value, as: UTF8.self))/\(partition)@\(offset)"
    }

    private func send(_ records: [OutgoingRecord], for offset: Int64, of partition: PartitionProcessor) {
        partition.expectDeliveries(records.count, for: offset)
        for record in records { send(record, for: offset, of: partition.id, generation: partition.generation) }
    }

    private func send(_ record: OutgoingRecord, for offset: Int64, of id: TopicPartition, generation: Int) {
        let inbox = self.inbox
        sink.send(record) { result in
            inbox.post(.delivered(partition: id, generation: generation, offset: offset, record: record, result: result))
        }
    }

    private func sendDueResends() {
        guard !resends.isEmpty else { return }
        let now = Date()
        let due = resends.filter { $0.due <= now }
        resends.removeAll { $0.due <= now }
        for resend in due where partitions[resend.partition]?.generation == resend.generation {
            send(resend.record, for: resend.offset, of: resend.partition, generation: resend.generation)
        }
    }

    private func complete(_ offset: Int64, of partition: PartitionProcessor) {
        // A record with a state change completes only after the change is logged and applied.
        if let state = partition.state, state.stepFinished(offset) { return }
        completeAfterState(offset, of: partition)
    }

    private func completeAfterState(_ offset: Int64, of partition: PartitionProcessor) {
        do {
            try partition.complete(offset)
        } catch {
            logger.error("offset bookkeeping of \(partition.id): \(error)")
        }
    }

    // MARK: State

    /// Opens the store of partition `id` and brings it up to date from the changelog, if any.
    private func openState(of id: TopicPartition, _ state: StateSettings) throws(StreamError) -> PartitionStateLedger {
        let store: PartitionStateStore
        do {
            store = try StateDirectory.open(
                state.directory, partition: id.partition, limits: state.limits, continuingOffsets: state.continuingOffsets)
        } catch {
            throw .state(error.description)
        }
        let metrics = StateMetrics(id)
        if let changelog = state.changelog {
            do {
                let restore = try changelog.restore(into: store, partition: id.partition)
                metrics.restoreSeconds.record(restore.seconds)
                metrics.restoreRate.record(restore.recordsPerSecond)
                metrics.restoredRecords.increment(by: Int64(restore.records))
                logger.info(
                    "state of \(id) restored from \(changelog.topic): \(restore.records) changes in \(String(format: "%.3f", restore.seconds)) s (\(Int(restore.recordsPerSecond)) records/s)",
                    metadata: ["partition": "\(id)", "restored": "\(restore.records)"])
            } catch {
                store.close()
                throw error
            }
        }
        return PartitionStateLedger(store: store, changelog: state.changelog, metrics: metrics)
    }

    /// Moves state changes on: those whose outputs were delivered go to the changelog, and those
    /// ready locally are applied (one transaction per partition) and their records complete.
    private func flushState() {
        for partition in partitions.values {
            guard let ledger = partition.state else { continue }
            if let changelog = ledger.changelog, !ledger.toLog.isEmpty {
                for (offset, changes) in ledger.takeToLog() {
                    send(changes.map { changelog.record(for: $0, partition: partition.id.partition) }, for: offset, of: partition)
                }
            }
            do {
                for offset in try ledger.applyReady() { completeAfterState(offset, of: partition) }
            } catch {
                logger.error("\(error)")
                fatal = fatal ?? .state(error.description)
            }
        }
    }

    /// Handles what the stopped workers reported and waits, up to the drain timeout, for their
    /// deliveries, sending failed ones again at once; what is still undelivered then stays
    /// uncommitted (it is processed again by the partition's next owner).
    private func drainDeliveries() {
        let deadline = ContinuousClock.now + settings.drainTimeout
        repeat {
            handleInbox()
            let retry = resends.filter { partitions[$0.partition]?.generation == $0.generation }
            resends.removeAll()
            for resend in retry {
                send(resend.record, for: resend.offset, of: resend.partition, generation: resend.generation)
            }
            sink.flush(timeout: max(.zero, deadline - ContinuousClock.now))
            handleInbox()
            if !resends.isEmpty { inbox.wait(timeout: .milliseconds(50)) }
        } while (!resends.isEmpty || partitions.values.contains { $0.awaitsDeliveries }) && ContinuousClock.now < deadline
    }

    // MARK: Commit

    private func commit(synchronously: Bool, only: Set<TopicPartition>? = nil) {
        var offsets: [TopicPartition: Int64] = [:]
        for partition in partitions.values where partition.needsCommit && (only?.contains(partition.id) ?? true) {
            offsets[partition.id] = partition.commitOffset
        }
        guard !offsets.isEmpty else { return }
        do {
            try source.commit(offsets, synchronously: synchronously)
            for (id, offset) in offsets {
                partitions[id]?.lastCommitted = offset
                partitions[id]?.metrics.committedOffset.record(offset)
                // An asynchronous commit is logged as `committed` by the source when it succeeds.
                logger.debug(
                    synchronously ? "committed" : "commit requested",
                    metadata: [
                        "partition": "\(id)", "offset": "\(offset)", "sync": "\(synchronously)",
                        "at_ns": "\(UInt64(Date().timeIntervalSince1970 * 1e9))",
                    ])
            }
        } catch {
            logger.warning("commit failed (will retry): \(error)")
        }
    }
}
