import Synchronization

/// The task in flight on one processor, shared between `process` and the host functions the
/// guest calls during `run` (which run on the same thread, inside that call).
final class PollTaskState: Sendable {
    private struct Current {
        var task: StreamTask?
        var valueTaken = false
        var status: TaskStatus = .ok
        var outputs: [OutputRecord] = []
    }

    private let current = Mutex(Current())

    func begin(_ task: StreamTask) {
        current.withLock { $0 = Current(task: task) }
    }

    /// Ends the task and returns what the guest asked for.
    func end() -> TaskResult {
        current.withLock { state in
            let result = TaskResult(status: state.status, outputs: state.outputs)
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
}
