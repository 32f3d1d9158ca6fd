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

    /// The task's offset in its partition.
    var offset: Int64
    var outcome: Outcome
    /// The task itself, kept only when the coordinator needs more than its offset (a failure or
    /// a retry, which route the record on): the common case moves no record bytes back.
    var task: StreamTask?
    /// How long the task ran, in nanoseconds.
    var nanoseconds: Int64
    /// The task's trace span when tracing is on, ended by the coordinator once the outcome is handled.
    var span: (any Span)?
    /// The state changes the task staged, to apply once its outputs are delivered.
    var stateChanges: [PartitionStateStore.Change] = []
}

/// The tasks one sub-partition finished since its last report, in the order it ran them.
struct LaneReport: Sendable {
    var partition: TopicPartition
    var generation: Int
    var lane: Int
    var completions: [TaskCompletion]
    /// The completions' durations added up, in nanoseconds.
    var busyNanoseconds: Int64
}

/// A message to the coordinator from a worker thread or a sink's delivery callback.
enum EngineEvent: Sendable {
    case finished(LaneReport)
    case delivered(
        partition: TopicPartition, generation: Int, offset: Int64, record: OutgoingRecord, result: Result<Void, StreamError>)
}

/// The coordinator's inbox: workers and sinks post, the coordinator takes everything at once and
/// may wait for the next post when it has nothing else to do.
typealias EngineInbox = HandoffQueue<EngineEvent>
