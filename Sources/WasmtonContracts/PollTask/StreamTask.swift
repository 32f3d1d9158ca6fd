/// One record handed to a stream processor: what the PollTask contract lets a guest read.
public struct StreamTask: Sendable, Equatable {
    /// The record key; `nil` for keyless records.
    public var key: [UInt8]?
    /// The record value, what `decaton.poll_task` copies into the guest.
    public var value: [UInt8]
    /// Record headers in order; names may repeat.
    public var headers: [Header]
    public var topic: String
    public var partition: Int32
    public var offset: Int64

    public struct Header: Sendable, Equatable {
        public var name: String
        public var value: [UInt8]

        public init(name: String, value: [UInt8]) {
            self.name = name
            self.value = value
        }
    }

    public init(
        key: [UInt8]? = nil, value: [UInt8], headers: [Header] = [], topic: String = "", partition: Int32 = 0,
        offset: Int64 = 0
    ) {
        self.key = key
        self.value = value
        self.headers = headers
        self.topic = topic
        self.partition = partition
        self.offset = offset
    }
}

/// What a processor asked the host to do with the record it was given.
public enum TaskStatus: Int32, Sendable, Equatable {
    /// Processed: commit it.
    case ok = 0
    /// Not now: send it to the retry path.
    case retry = 1
    /// Drop it without processing (counted as discarded): commit it.
    case discard = 2
}

/// The result of processing one task: the guest's status, the records it emitted and the
/// changes it made to its key's state (applied by the engine once the outputs are delivered).
public struct TaskResult: Sendable, Equatable {
    public var status: TaskStatus
    public var outputs: [OutputRecord]
    /// The key's state changes in the order the guest made them, one per row (the last change of
    /// a row wins); empty unless the task had a ``TaskStateStore``.
    public var stateChanges: [StateChange]

    public init(status: TaskStatus = .ok, outputs: [OutputRecord] = [], stateChanges: [StateChange] = []) {
        self.status = status
        self.outputs = outputs
        self.stateChanges = stateChanges
    }
}

/// A record a processor emitted with `wasmton.emit`, for the configured output topic.
public struct OutputRecord: Sendable, Equatable {
    public var key: [UInt8]?
    public var value: [UInt8]

    public init(key: [UInt8]?, value: [UInt8]) {
        self.key = key
        self.value = value
    }
}
