/// Where a read of a partition begins.
public enum KafkaRangeStart: Sendable, Equatable {
    /// The partition's first available offset.
    case beginning
    /// This offset (raised to the first available one if it was deleted).
    case offset(Int64)
    /// The first record whose timestamp is at or after this time, in milliseconds since 1970.
    case time(milliseconds: Int64)
}
