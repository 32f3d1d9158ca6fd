import Foundation
import Synchronization
import WasmtonContracts
import WasmtonRuntime

/// One worker lane of a partition (Decaton's sub-partition): a thread of its own that processes
/// its tasks one at a time, in the order given, with one reused processor instance.
///
/// The ``KeyRouter`` sends all records of a key to the same lane, so a key is processed
/// serially and in offset order while other keys run on other lanes. Guest code blocks only this
/// thread, never Swift concurrency's pool. The thread and the instance start with the first task.
final class SubPartition: Sendable {
    private struct State: ~Copyable {
        var queue: [StreamTask] = []
        var head = 0
        var stopping = false
        var started = false
        var finished = false
    }

    private let partition: TopicPartition
    private let generation: Int
    private let index: Int
    private let inbox: EngineInbox
    private let factory: ProcessorFactory
    private let state = Mutex(State())
    private let condition = NSCondition()

    init(partition: TopicPartition, generation: Int, index: Int, inbox: EngineInbox, factory: ProcessorFactory) {
        self.partition = partition
        self.generation = generation
        self.index = index
        self.inbox = inbox
        self.factory = factory
    }

    func enqueue(_ task: StreamTask) {
        condition.lock()
        let start = state.withLock { state -> Bool in
            guard !state.stopping else { return false }
            state.queue.append(task)
            defer { state.started = true }
            return !state.started
        }
        if start {
            let thread = Thread { [self] in work() }
            thread.name = "wasmton-\(partition)-\(index)"
            thread.stackSize = 8 << 20
            thread.start()
        }
        condition.signal()
        condition.unlock()
    }

    /// Asks the worker to stop: the task in progress finishes, the queued ones are dropped (they
    /// are not committed, so the partition's next owner gets them again). Returns at once; see
    /// ``waitUntilStopped()``.
    func requestStop() {
        condition.lock()
        state.withLock { $0.stopping = true }
        condition.broadcast()
        condition.unlock()
    }

    /// Waits until the worker's thread is done (at once if it never started).
    func waitUntilStopped() {
        condition.lock()
        while state.withLock({ $0.started && !$0.finished }) { condition.wait() }
        condition.unlock()
    }

    private func next() -> StreamTask? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            let (task, stop) = state.withLock { state -> (StreamTask?, Bool) in
                if state.stopping { return (nil, true) }
                guard state.head < state.queue.count else { return (nil, false) }
                let task = state.queue[state.head]
                state.head += 1
                if state.head > 256, state.head * 2 > state.queue.count {
                    state.queue.removeFirst(state.head)
                    state.head = 0
                }
                return (task, false)
            }
            if let task { return task }
            if stop { return nil }
            condition.wait()
        }
    }

    private func work() {
        var processor: PollTaskProcessor?
        let clock = ContinuousClock()
        while let task = next() {
            let start = clock.now
            let span = RecordTracing.start(task, module: factory.module.name)
            let outcome: TaskCompletion.Outcome
            do {
                let current = try processor ?? factory.make()
                processor = current
                outcome = .processed(try RecordTracing.child("guest call run", of: span) { try current.process(task) })
                if factory.isolateTasks {
                    current.close()
                    processor = nil
                }
            } catch {
                // A failed call may leave the instance inconsistent: start the next task afresh.
                processor?.close()
                processor = nil
                outcome = .failed(reason: "\(error)")
            }
            inbox.post(
                .finished(
                    TaskCompletion(
                        partition: partition, generation: generation, task: task, outcome: outcome,
                        duration: clock.now - start, span: span)))
        }
        processor?.close()
        condition.lock()
        state.withLock { $0.finished = true }
        condition.broadcast()
        condition.unlock()
    }
}
