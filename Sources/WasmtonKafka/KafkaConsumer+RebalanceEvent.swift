extension KafkaConsumer {
    /// A change of this member's partitions, delivered to `onRebalance` inside librdkafka's rebalance callback.
    ///
    /// With the default (eager) protocol each event lists the whole old or new assignment; with
    /// `partition.assignment.strategy=cooperative-sticky` it lists only the partitions added or taken away.
    public enum RebalanceEvent: Sendable, Equatable {
        /// These partitions are now this member's; the consumer assigns them right after the handler returns.
        case assigned([KafkaPartition])
        /// These partitions are being taken away; the handler runs before they are unassigned, so it may
        /// still commit their offsets synchronously.
        case revoked([KafkaPartition])
    }
}
