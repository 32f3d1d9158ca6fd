/// Counts of what a ``StreamEngine`` run did with its records, for the CLI's last line and tests.
public struct StreamSummary: Sendable, Equatable {
    /// Records whose processing completed with status ok.
    public var processed = 0
    /// Records the guest discarded, or whose key is ignored.
    public var discarded = 0
    /// Failed attempts (traps, limits, host errors, `retry` statuses).
    public var failedAttempts = 0
    /// Failed records sent to the retry topic.
    public var retried = 0
    /// Records that failed every attempt.
    public var deadLettered = 0
    /// Records processors emitted.
    public var emitted = 0

    public init() {}
}
