import Synchronization

/// The task in flight on one processor, shared between `process` and the host functions the
/// guest calls during `run` (which run on the same thread, inside that call).
final class PollTaskState: Sendable {
    private struct Current {
        var task: StreamTask?
        var valueTaken = false
        var status: TaskStatus = .ok
        var outputs: [OutputRecord] = []
        var store: (any TaskStateStore)?
        /// Changes staged by this task, one per row, in the order first made.
        var staged: [StateChange] = []
        /// The bytes the staged changes add to (or take from) the store.
        var stagedBytes = 0
    }

    private let current = Mutex(Current())

    func begin(_ task: StreamTask, store: (any TaskStateStore)? = nil) {
        current.withLock { $0 = Current(task: task, store: store) }
    }

    /// Ends the task and returns what the guest asked for.
    func end() -> TaskResult {
        current.withLock { state in
            let result = TaskResult(status: state.status, outputs: state.outputs, stateChanges: state.staged)
            state = Current()
            return result
        }
    }

    var task: StreamTask? {
        current.withLock { $0.task }
    }

    /// The value for `poll_task`, once per task (the article's `getAndSet(null)`); `nil` when
    /// there is no task or it was already taken.
    func takeValue(fitting capacity: Int) -> [UInt8]? {
        current.withLock { state in
            guard let task = state.task, !state.valueTaken else { return nil }
            // Too small a buffer leaves the task in place, so the guest can retry with a bigger one.
            guard task.value.count <= capacity else { return nil }
            state.valueTaken = true
            return task.value
        }
    }

    func setStatus(_ status: TaskStatus) {
        current.withLock { $0.status = status }
    }

    func emit(_ record: OutputRecord) -> Int {
        current.withLock { state in
            state.outputs.append(record)
            return state.outputs.count
        }
    }

    // MARK: State

    /// The current value of row `name` of the task's key: what this task staged, else the store's.
    func stateValue(name: String) throws(TaskStateError) -> (value: [UInt8]?, available: Bool) {
        let (key, store, staged) = current.withLock { ($0.task?.key, $0.store, $0.staged.last { $0.name == name }) }
        guard let key, let store else { return (nil, false) }
        if let staged { return (staged.value, true) }
        return (try store.value(key: key, name: name), true)
    }

    /// Stages a put (`value`) or delete (`nil`) of row `name`, within the store's limits.
    func stage(name: String, value: [UInt8]?) throws(TaskStateError) -> StateStatus {
        let (current, available) = try stateValue(name: name)
        guard available, let key = task?.key else { return .unavailable }
        return self.current.withLock { state in
            guard let store = state.store else { return .unavailable }
            let limits = store.limits
            if let value, value.count > limits.maxValueBytes { return .valueTooLarge }
            let rowBytes = key.count + name.utf8.count
            let before = current.map { rowBytes + $0.count } ?? 0
            let after = value.map { rowBytes + $0.count } ?? 0
            let grown = state.stagedBytes + after - before
            if after > before, store.storedBytes + grown > limits.maxStoreBytes { return .storeFull }
            state.stagedBytes = grown
            state.staged.removeAll { $0.name == name }
            state.staged.append(StateChange(name: name, value: value))
            return .ok
        }
    }
}
