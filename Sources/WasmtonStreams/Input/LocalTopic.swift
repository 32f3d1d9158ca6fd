import Synchronization
public import WasmtonContracts

/// A topic with one partition that lives in memory: the retry topic of a file source, so retries
/// and their backoff work the same with no broker.
public final class LocalTopic: Sendable {
    public let name: String
    private struct State {
        var records: [StreamTask] = []
        var nextOffset: Int64 = 0
        var head = 0
    }

    private let state = Mutex(State())

    public init(name: String) {
        self.name = name
    }

    /// Appends a record and returns its offset.
    @discardableResult
    public func append(key: [UInt8]?, value: [UInt8], headers: [StreamTask.Header]) -> Int64 {
        state.withLock { state in
            let offset = state.nextOffset
            state.records.append(
                StreamTask(key: key, value: value, headers: headers, topic: name, partition: 0, offset: offset))
            state.nextOffset += 1
            return offset
        }
    }

    /// Takes up to `max` records not taken yet.
    func take(max: Int) -> [StreamTask] {
        state.withLock { state in
            let end = min(state.records.count, state.head + max)
            defer {
                state.head = end
                if state.head > 256, state.head * 2 > state.records.count {
                    state.records.removeFirst(state.head)
                    state.head = 0
                }
            }
            return Array(state.records[state.head..<end])
        }
    }

    var isDrained: Bool { state.withLock { $0.head == $0.records.count } }
}
