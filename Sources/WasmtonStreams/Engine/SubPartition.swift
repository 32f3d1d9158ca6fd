import Dispatch
import Tracing
import WasmtonContracts
import WasmtonRuntime

/// One worker lane of a partition (Decaton's sub-partition): a ``WorkerLane`` that processes its
/// tasks one at a time, in the order given, with one reused processor instance.
///
/// The ``KeyRouter`` keeps all records of a key that are in flight on one lane, so a key is
/// processed serially and in offset order while other keys run on other lanes. Completions go
/// back to the coordinator in batches: when the lane has run what it was handed, or at the
/// latest every millisecond while it works through a long batch, so slow tasks still report
/// promptly. The thread and the instance start with the first task.
final class SubPartition: Sendable {
    private let lane: WorkerLane<StreamTask>

    init(
        partition: TopicPartition, generation: Int, index: Int, inbox: EngineInbox, factory: ProcessorFactory,
        store: PartitionStateStore? = nil
    ) {
        lane = WorkerLane(name: "wasmton-\(partition)-\(index)") {
            LaneWork(
                partition: partition, generation: generation, index: index, inbox: inbox, factory: factory, store: store
            ).worker()
        }
    }

    /// Hands `tasks` to the lane, behind what it holds already, and leaves `tasks` empty.
    func enqueue(taking tasks: inout [StreamTask]) {
        // A stopping lane takes nothing: its tasks are dropped, as the queued ones are.
        if !lane.enqueue(taking: &tasks) { tasks.removeAll(keepingCapacity: true) }
    }

    /// Asks the worker to stop: the task in progress finishes, the queued ones are dropped (they
    /// are not committed, so the partition's next owner gets them again). Returns at once; see
    /// ``waitUntilStopped()``.
    func requestStop() {
        lane.stop()
    }

    /// Waits until the worker's thread is done (at once if it never started).
    func waitUntilStopped() {
        lane.waitUntilStopped()
    }
}

/// The state of one sub-partition's thread: its processor and the completions not yet reported.
private final class LaneWork {
    private let partition: TopicPartition
    private let generation: Int
    private let index: Int
    private let inbox: EngineInbox
    private let factory: ProcessorFactory
    /// The partition's state store, when the processor has state.
    private let store: PartitionStateStore?
    private let traced = RecordTracing.isEnabled
    private var processor: PollTaskProcessor?
    private var completions: [TaskCompletion] = []
    private var busy: Int64 = 0
    private var lastReport: UInt64
    /// When the last task ended, while the lane works through a batch: the next task starts
    /// then, so one clock reading per task suffices.
    private var lastEnd: UInt64?
    /// The module's calls since the last report, flushed to ``GuestAccounting`` with it.
    private var usage = GuestUsage()
    private let accounting: GuestAccounting
    /// The series of the PollTask call, `run`.
    private let runOperation: GuestAccounting.Operation
    /// The processor's ``WasmInstance/fuelConsumed`` when last read: a task's fuel is the rise.
    private var fuelSeen: UInt64 = 0
    /// The thread's CPU time when the batch (or the part of it since the last report) began;
    /// read once per batch, not per task (it is a system call). The lane runs only this
    /// module, so the thread's CPU time is the module's (with the lane's own small share).
    private var cpuStart: UInt64?

    init(
        partition: TopicPartition, generation: Int, index: Int, inbox: EngineInbox, factory: ProcessorFactory,
        store: PartitionStateStore?
    ) {
        self.store = store
        self.partition = partition
        self.generation = generation
        self.index = index
        self.inbox = inbox
        self.factory = factory
        lastReport = Self.now()
        accounting = factory.accounting
        runOperation = accounting.operation("run")
        completions.reserveCapacity(256)
    }

    /// Monotonic nanoseconds (integer arithmetic: `Duration`'s 128-bit math shows per record).
    private static func now() -> UInt64 {
        DispatchTime.now().uptimeNanoseconds
    }

    func worker() -> WorkerLane<StreamTask>.Worker {
        WorkerLane.Worker(
            process: { [self] task in process(task) },
            batchFinished: { [self] in
                lastEnd = nil
                report(endingBatch: true)
            },
            stopped: { [self] in
                report(endingBatch: true)
                processor?.close()
                processor = nil
            })
    }

    /// A processor for the next task: the lane's own, or a new one (counted as an instance made).
    private func currentProcessor() throws(GuestError) -> PollTaskProcessor {
        if let processor { return processor }
        let made = try factory.make()
        usage.instancesCreated += 1
        fuelSeen = made.instance.fuelConsumed ?? 0
        processor = made
        return made
    }

    /// Adds the fuel `processor`'s instance burned since it was last read to the usage.
    private func chargeFuel(_ processor: PollTaskProcessor) {
        guard let consumed = processor.instance.fuelConsumed else { return }
        usage.recordFuel(consumed &- fuelSeen)
        fuelSeen = consumed
    }

    /// Closes the lane's processor, keeping its memory's high-water mark.
    private func retireProcessor() {
        guard let processor else { return }
        usage.recordMemory(processor.instance.memoryBytes)
        processor.close()
        self.processor = nil
    }

    /// One guest call of `processor` on `task`, counted, with the fuel it burned charged whether
    /// it returns or throws.
    private func call(_ processor: PollTaskProcessor, with task: StreamTask, span: (any Span)?) throws -> TaskResult {
        usage.calls += 1
        defer { chargeFuel(processor) }
        if let span {
            return try RecordTracing.child("guest call run", of: span) { try processor.process(task, state: store) }
        }
        return try processor.process(task, state: store)
    }

    private func process(_ task: StreamTask) {
        let start = lastEnd ?? Self.now()
        if cpuStart == nil { cpuStart = GuestAccounting.threadCPUNanoseconds() }
        let span = traced ? RecordTracing.start(task, module: factory.module.name) : nil
        let outcome: TaskCompletion.Outcome
        var keep = false
        var staged: [PartitionStateStore.Change] = []
        do {
            let result = try call(try currentProcessor(), with: task, span: span)
            if let store, result.status == .ok, !result.stateChanges.isEmpty, let key = task.key {
                // Staged here, before the next task of the key can run, so that it reads them.
                staged = try store.stage(key: key, offset: task.offset, changes: result.stateChanges)
            }
            outcome = .processed(result)
            keep = result.status == .retry
            if factory.isolateTasks { retireProcessor() }
        } catch {
            if let error = error as? GuestError { usage.recordFailure(error) }
            // A failed call may leave the instance inconsistent: start the next task afresh.
            retireProcessor()
            outcome = .failed(reason: "\(error)")
            keep = true
        }
        let end = Self.now()
        lastEnd = end
        let nanoseconds = Int64(end &- start)
        completions.append(
            TaskCompletion(
                offset: task.offset, outcome: outcome, task: keep ? task : nil, nanoseconds: nanoseconds, span: span,
                stateChanges: staged))
        busy &+= nanoseconds
        usage.wallNanoseconds &+= UInt64(nanoseconds)
        if end &- lastReport >= 1_000_000 { report(at: end) }
    }

    /// Reports the completions so far to the coordinator and the calls' cost to the accounting;
    /// `endingBatch`: the lane is about to wait, so CPU time is read again at the next task.
    private func report(at now: UInt64? = nil, endingBatch: Bool = false) {
        lastReport = now ?? Self.now()
        account(endingBatch: endingBatch)
        guard !completions.isEmpty else { return }
        inbox.post(
            .finished(
                LaneReport(
                    partition: partition, generation: generation, lane: index, completions: completions,
                    busyNanoseconds: busy)))
        completions.removeAll(keepingCapacity: true)
        busy = 0
    }

    /// Flushes ``usage`` with the thread's CPU time since ``cpuStart`` and the memory of the
    /// lane's instance (its size now is its high-water mark).
    private func account(endingBatch: Bool) {
        guard let cpuStart else { return }
        let cpu = GuestAccounting.threadCPUNanoseconds()
        usage.cpuNanoseconds &+= cpu &- cpuStart
        self.cpuStart = endingBatch ? nil : cpu
        if let processor { usage.recordMemory(processor.instance.memoryBytes) }
        accounting.flush(&usage, to: runOperation)
    }
}
