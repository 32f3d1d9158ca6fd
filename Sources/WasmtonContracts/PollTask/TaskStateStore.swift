/// Where a processor's key-scoped state lives, as the PollTask state functions (`wasmton.state_get`,
/// `state_put`, `state_delete`) see it: the stream engine gives each task the store of the record's
/// partition, and the contract lets the guest reach only the rows of the record's own key.
///
/// Reads see every change staged by earlier records of the key, committed or not, so a key's
/// records build on each other even while their outputs are still being delivered.
public protocol TaskStateStore: Sendable {
    /// The value of the row `name` (`""` for the key's main value) of `key`; `nil` when it has none.
    func value(key: [UInt8], name: String) throws(TaskStateError) -> [UInt8]?
    /// The limits a processor's changes must stay within.
    var limits: StateLimits { get }
    /// The bytes of keys, names and values the store holds now, for the store-size limit.
    var storedBytes: Int { get }
}

/// How much state a processor may keep: per value and per partition store.
public struct StateLimits: Sendable, Equatable {
    /// The largest value `state_put` accepts, in bytes.
    public var maxValueBytes: Int
    /// The most bytes (keys, names and values) one partition's store may hold.
    public var maxStoreBytes: Int

    public init(maxValueBytes: Int = 1 << 20, maxStoreBytes: Int = 1 << 30) {
        self.maxValueBytes = maxValueBytes
        self.maxStoreBytes = maxStoreBytes
    }
}

/// A store that cannot be read: the task fails (and is retried), the state is never guessed.
public struct TaskStateError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

/// One change a task made to its key's state, applied only after the task's outputs are delivered.
public struct StateChange: Sendable, Equatable {
    /// The row of the key: `""` for its main value, else a named sub-key.
    public var name: String
    /// The new value; `nil` deletes the row.
    public var value: [UInt8]?

    public init(name: String, value: [UInt8]?) {
        self.name = name
        self.value = value
    }
}

/// What the state functions return to a guest (negative results), as documented in
/// `guests/include/wasmton_task.h`.
public enum StateStatus: Int32, Sendable {
    /// Done.
    case ok = 0
    /// `state_get`: the key has no such state.
    case none = -1
    /// `state_put`: the value is larger than the store's value limit.
    case valueTooLarge = -2
    /// `state_put`: the partition's store would grow past its size limit.
    case storeFull = -3
    /// The record has no state: it is keyless, or the processor runs without `--state-dir`,
    /// or it came from a topic other than the input (the retry topic).
    case unavailable = -4
}
