/// One consumed record, copied out of librdkafka's buffers so it outlives the poll that returned it.
public struct KafkaRecord: Sendable {
    /// The topic the record was read from.
    public var topic: String
    /// The partition the record was read from.
    public var partition: Int32
    /// The record's offset in its partition; commit `offset + 1` once it is processed.
    public var offset: Int64
    /// The key, or nil for a record produced without one.
    public var key: [UInt8]?
    /// The value (empty for a null value).
    public var value: [UInt8]
    /// The headers in wire order.
    public var headers: [KafkaHeader]
    /// Create or log-append time in milliseconds since 1970, when the broker supplied one.
    public var timestampMilliseconds: Int64?

    /// A record with every field given, e.g. for tests of code that consumes records.
    public init(
        topic: String, partition: Int32, offset: Int64, key: [UInt8]?, value: [UInt8], headers: [KafkaHeader] = [],
        timestampMilliseconds: Int64? = nil
    ) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value
        self.headers = headers
        self.timestampMilliseconds = timestampMilliseconds
    }

    /// Where this record lives, as a partition.
    public var kafkaPartition: KafkaPartition { KafkaPartition(topic: topic, partition: partition) }
}
