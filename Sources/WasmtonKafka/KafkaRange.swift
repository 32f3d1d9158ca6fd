/// A stretch of one partition to read: offsets `start..<end`.
public struct KafkaRange: Sendable, Equatable, CustomStringConvertible {
    /// The partition read.
    public var partition: KafkaPartition
    /// The first offset to read.
    public var start: Int64
    /// One past the last offset to read (a high watermark, or `start + count`).
    public var end: Int64

    /// The offsets `start..<end` of `partition`.
    public init(partition: KafkaPartition, start: Int64, end: Int64) {
        self.partition = partition
        self.start = start
        self.end = end
    }

    /// Offsets in the range (records, unless some were compacted away or are transaction markers).
    public var count: Int64 { Swift.max(0, end - start) }

    /// `topic/partition [start, end)`.
    public var description: String { "\(partition) [\(start), \(end))" }
}
