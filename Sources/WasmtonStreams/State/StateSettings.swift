public import WasmtonContracts

/// Key-scoped state for a stream's processor: where each partition's store lives and, with
/// Kafka, the changelog topic that backs it up.
public struct StateSettings: Sendable {
    /// The directory holding one store per partition (`partition-N.sqlite`).
    public var directory: String
    /// The input topic whose partitions have state; records of other topics (the retry topic)
    /// have none.
    public var topic: String
    public var limits: StateLimits
    /// Each run numbers its records from 0 again (a file), so changes are stored after the
    /// highest offset already stored rather than at the record's own offset.
    public var continuingOffsets: Bool
    /// Where every change is also written (Kafka): a compacted topic partitioned as the input.
    public var changelog: StateChangelog?

    public init(
        directory: String, topic: String, limits: StateLimits = StateLimits(), continuingOffsets: Bool = false,
        changelog: StateChangelog? = nil
    ) {
        self.directory = directory
        self.topic = topic
        self.limits = limits
        self.continuingOffsets = continuingOffsets
        self.changelog = changelog
    }
}
