/// One partition of one topic: the unit Kafka assigns, pauses and commits.
public struct KafkaPartition: Hashable, Sendable, CustomStringConvertible {
    /// The topic name.
    public var topic: String
    /// The partition number within the topic (0-based).
    public var partition: Int32

    /// Names partition `partition` of `topic`.
    public init(topic: String, partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    /// `topic/partition`, as in log lines and error messages.
    public var description: String { "\(topic)/\(partition)" }
}
