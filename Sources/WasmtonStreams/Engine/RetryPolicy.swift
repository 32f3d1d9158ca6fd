import Foundation
import WasmtonContracts

/// What happens to a record whose processing failed (a trap, exhausted fuel or deadline, a host
/// error, or the guest's own `retry` status): it goes to the retry topic with a backoff and a
/// retry count, and after `maxRetries` to the dead-letter topic with the reason. The partition
/// never stops for it.
public struct RetryPolicy: Sendable, Equatable {
    /// Attempts after the first one. 0 sends failures straight to the dead-letter topic.
    public var maxRetries: Int
    /// How long a retried record waits before it is processed again.
    public var backoff: Duration
    /// The topic retried records go to; the engine consumes it too. `nil`: no retries.
    public var retryTopic: String?
    /// The topic for records that failed every attempt. `nil`: they are logged and dropped.
    public var deadLetterTopic: String?

    public init(maxRetries: Int = 3, backoff: Duration = .seconds(1), retryTopic: String?, deadLetterTopic: String?) {
        self.maxRetries = maxRetries
        self.backoff = backoff
        self.retryTopic = retryTopic
        self.deadLetterTopic = deadLetterTopic
    }

    /// The headers Wasmton puts on retried and dead-lettered records.
    public enum Header {
        /// How many times the record has failed so far (decimal).
        public static let retryCount = "wasmton-retry-count"
        /// Not to be processed before this time (milliseconds since 1970, decimal).
        public static let notBefore = "wasmton-retry-not-before"
        /// The last failure, one line.
        public static let failure = "wasmton-failure"
        /// Where the record was first read.
        public static let originalTopic = "wasmton-original-topic"
        public static let originalPartition = "wasmton-original-partition"
        public static let originalOffset = "wasmton-original-offset"
    }

    /// Where a failed `task` goes next, and the record to send there (`nil` topic: drop it).
    func route(_ task: StreamTask, failure: String, now: Date) -> (deadLetter: Bool, record: OutgoingRecord?) {
        let failures = (Self.headerInt(task, Header.retryCount) ?? 0) + 1
        var headers = task.headers.filter { ![Header.retryCount, Header.notBefore, Header.failure].contains($0.name) }
        if Self.headerInt(task, Header.originalOffset) == nil {
            headers.append(.init(name: Header.originalTopic, value: Array(task.topic.utf8)))
            headers.append(.init(name: Header.originalPartition, value: Array(String(task.partition).utf8)))
            headers.append(.init(name: Header.originalOffset, value: Array(String(task.offset).utf8)))
        }
        headers.append(.init(name: Header.retryCount, value: Array(String(failures).utf8)))
        headers.append(.init(name: Header.failure, value: Array(failure.utf8)))
        if failures <= maxRetries, let retryTopic {
            let due = now.addingTimeInterval(backoff / .seconds(1))
            headers.append(.init(name: Header.notBefore, value: Array(String(Int64(due.timeIntervalSince1970 * 1000)).utf8)))
            return (false, OutgoingRecord(topic: retryTopic, key: task.key, value: task.value, headers: headers))
        }
        return (true, deadLetterTopic.map { OutgoingRecord(topic: $0, key: task.key, value: task.value, headers: headers) })
    }

    /// When a retried record may be processed again, if it carries a retry time.
    static func notBefore(_ task: StreamTask) -> Date? {
        headerInt(task, Header.notBefore).map { Date(timeIntervalSince1970: Double($0) / 1000) }
    }

    static func headerInt(_ task: StreamTask, _ name: String) -> Int64? {
        task.headers.last { $0.name == name }.flatMap { Int64(String(decoding: $0.value, as: UTF8.self)) }
    }
}
