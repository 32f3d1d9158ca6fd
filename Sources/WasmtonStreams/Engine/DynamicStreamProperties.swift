/// The settings a running ``StreamEngine`` takes without a restart, as Decaton's dynamic
/// properties: concurrency, the rate limit, ignored keys and max pending records.
///
/// A new rate limit, ignored keys and max pending records apply to the next record. A new
/// concurrency applies to each partition once the tasks already in its sub-partitions are done
/// (records of one key must not run in two lanes at once); the partition dispatches nothing new
/// meanwhile, and nothing is refetched or lost.
public struct DynamicStreamProperties: Sendable, Equatable {
    public var partitionConcurrency: Int
    public var maxPendingRecords: Int
    public var rateLimitPerPartition: Int?
    public var ignoredKeys: Set<[UInt8]>

    public init(partitionConcurrency: Int, maxPendingRecords: Int, rateLimitPerPartition: Int?, ignoredKeys: Set<[UInt8]>) {
        self.partitionConcurrency = partitionConcurrency
        self.maxPendingRecords = maxPendingRecords
        self.rateLimitPerPartition = rateLimitPerPartition
        self.ignoredKeys = ignoredKeys
    }

    /// The dynamic part of `settings`.
    public init(_ settings: StreamSettings) {
        self.init(
            partitionConcurrency: settings.partitionConcurrency, maxPendingRecords: settings.maxPendingRecords,
            rateLimitPerPartition: settings.rateLimitPerPartition, ignoredKeys: settings.ignoredKeys)
    }

    /// `settings` with these properties.
    func applied(to settings: StreamSettings) -> StreamSettings {
        var settings = settings
        settings.partitionConcurrency = partitionConcurrency
        settings.maxPendingRecords = maxPendingRecords
        settings.rateLimitPerPartition = rateLimitPerPartition
        settings.ignoredKeys = ignoredKeys
        return settings
    }
}
