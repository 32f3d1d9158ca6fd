/// How a ``StreamEngine`` processes its partitions. Defaults follow Decaton's.
public struct StreamSettings: Sendable {
    /// Sub-partitions (worker lanes, each with its own instance) per partition.
    public var partitionConcurrency: Int = 1
    /// Pause a partition when this many of its records are fetched but not completed.
    public var maxPendingRecords: Int = 10_000
    /// How often completed offsets are committed (also on revoke and shutdown, synchronously).
    public var commitInterval: Duration = .seconds(1)
    /// Records with these keys are skipped and committed without processing.
    public var ignoredKeys: Set<[UInt8]> = []
    /// At most this many tasks a second per partition; `nil` for no limit.
    public var rateLimitPerPartition: Int?
    /// Failed records: retry topic, backoff, dead-letter topic.
    public var retry: RetryPolicy = RetryPolicy(retryTopic: nil, deadLetterTopic: nil)
    /// Where records that processors emit go; `nil` drops them (counted).
    public var outputTopic: String?
    /// Records fetched per poll.
    public var pollBatchSize: Int = 1_000
    /// How long shutdown and revoke wait for pending deliveries before committing what is done.
    public var drainTimeout: Duration = .seconds(30)
    /// Key-scoped state for the processor (`--state-dir`); `nil`: processors have none.
    public var state: StateSettings?

    public init() {}

    func validated() throws(StreamError) -> StreamSettings {
        guard partitionConcurrency >= 1, partitionConcurrency <= 1024 else {
            throw .invalidSettings("partition concurrency must be between 1 and 1024, not \(partitionConcurrency)")
        }
        guard maxPendingRecords >= 1 else {
            throw .invalidSettings("max pending records must be at least 1, not \(maxPendingRecords)")
        }
        guard retry.maxRetries >= 0 else { throw .invalidSettings("max retries cannot be negative") }
        if let rate = rateLimitPerPartition, rate < 1 {
            throw .invalidSettings("rate limit must be at least 1 task per second, not \(rate)")
        }
        return self
    }
}
