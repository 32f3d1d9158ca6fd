import Foundation
import Synchronization
import Tracing
import WasmtonContracts
import WasmtonRuntime

/// What happened to one task on a sub-partition, for the coordinator.
struct TaskCompletion: Sendable {
    enum Outcome: Sendable {
        /// The guest ran to the end of `run`; the status says what it wants done.
        case processed(TaskResult)
        /// The guest failed (trap, fuel, deadline, host error) or could not be instantiated.
        case failed(reason: String)
    }

    var partition: TopicPartition
    var generation: Int
    var task: StreamTask
    var outcome: Outcome
    var duration: Duration
    /// The task's trace span, ended by the coordinator once the outcome is handled.
    var span: any Span
}

/// A message to the coordinator from a worker thread or a sink's delivery callback.
enum EngineEvent: Sendable {
    case finished(TaskCompletion)
    case delivered(
        partition: TopicPartition, generation: Int, offset: Int64, record: OutgoingRecord, result: Result<Void, StreamError>)
}

/// The coordinator's inbox: workers and sinks post, the coordinator drains in batches and may
/// wait for the next post when it has nothing else to do.
final class EngineInbox: Sendable {
    private let events = Mutex<[EngineEvent]>([])
    private let condition = NSCondition()

    func post(_ event: EngineEvent) {
        condition.lock()
        events.withLock { $0.append(event) }
        condition.signal()
        condition.unlock()
    }

    func drain() -> [EngineEvent] {
        events.withLock { events in
            defer { events.removeAll(keepingCapacity: true) }
            return events
        }
    }

    /// Waits until an event is posted or `timeout` passes.
    func wait(timeout: Duration) {
        condition.lock()
        defer { condition.unlock() }
        if events.withLock({ $0.isEmpty }) {
            _ = condition.wait(until: Date(timeIntervalSinceNow: timeout.seconds))
        }
    }
}
