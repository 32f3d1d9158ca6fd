public import WasmtonContracts

/// Where a ``StreamEngine`` gets records: a Kafka consumer group, or a local file.
///
/// The engine calls every method from its one coordinator thread. Partitions come and go through
/// the ``RebalanceListener`` given to ``start(listener:)``, which a source calls synchronously
/// (inside ``poll(maxRecords:timeout:)`` for Kafka), so the engine can finish and commit a
/// revoked partition before it is handed to another consumer.
public protocol RecordSource: AnyObject {
    /// Subscribes, and says which partitions this engine owns (now or during later polls).
    func start(listener: any RebalanceListener) throws(StreamError)
    /// Up to `maxRecords` records, in offset order within each partition, waiting at most
    /// `timeout` for the first.
    func poll(maxRecords: Int, timeout: Duration) throws(StreamError) -> SourceBatch
    /// Stops fetching from `partitions` (back-pressure) until ``resume(_:)``.
    func pause(_ partitions: [TopicPartition])
    func resume(_ partitions: [TopicPartition])
    /// Commits the next offset to read of each partition (Kafka's convention).
    func commit(_ offsets: [TopicPartition: Int64], synchronously: Bool) throws(StreamError)
    /// Leaves the group (a final revoke) and releases the source.
    func close()
}

/// What one poll returned.
public struct SourceBatch: Sendable {
    public var records: [StreamTask]
    /// True once a finite source has nothing more to give (a file read to its end, not followed).
    public var exhausted: Bool

    public init(records: [StreamTask], exhausted: Bool = false) {
        self.records = records
        self.exhausted = exhausted
    }
}

/// Told which partitions the engine owns; called on the engine's coordinator thread.
public protocol RebalanceListener: AnyObject {
    func partitionsAssigned(_ partitions: [TopicPartition])
    /// The engine must finish or hand back the partitions' work and commit before returning.
    func partitionsRevoked(_ partitions: [TopicPartition])
}
