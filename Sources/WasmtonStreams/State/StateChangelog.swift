import Foundation
import WasmtonContracts
public import WasmtonKafka

/// The Kafka topic that backs up a stream's state (`TOPIC-state` by default): compacted,
/// partitioned as the input, and written to the same partition number as the record that made
/// each change. A partition's store is brought up to date from it when the partition is assigned.
///
/// A changelog record's key is the row (`name`'s length as 4 bytes big-endian, `name`, then the
/// record key), so compaction keeps the last change of each row; its value is the row's value,
/// and headers carry the change's offset (`wasmton-state-offset`) and, for a delete,
/// `wasmton-state-deleted: 1` (a value rather than a Kafka tombstone, so the offset survives).
public struct StateChangelog: Sendable {
    public var topic: String
    /// The cluster and client properties of the stream, which the changelog lives beside.
    public var subscription: KafkaSubscription

    static let offsetHeader = "wasmton-state-offset"
    static let deletedHeader = "wasmton-state-deleted"
    /// The store's meta entry: the changelog offset up to which the store has read it.
    static let positionMeta = "changelog_position"

    public init(topic: String, subscription: KafkaSubscription) {
        self.topic = topic
        self.subscription = subscription
    }

    /// Creates the topic if it does not exist: compacted, with as many partitions as the input.
    public func create() throws(KafkaError) {
        let properties = subscription.producerProperties
        let partitions = try KafkaAdmin.partitionCount(of: subscription.topic, properties: properties)
        try KafkaAdmin.createTopic(
            topic, partitions: partitions, config: [("cleanup.policy", "compact")], properties: properties)
    }

    /// The changelog record for `change`, made by a record of input partition `partition`.
    func record(for change: PartitionStateStore.Change, partition: Int32) -> OutgoingRecord {
        let name = Array(change.name.utf8)
        let count = UInt32(name.count)
        var key: [UInt8] = [UInt8(count >> 24), UInt8((count >> 16) & 0xff), UInt8((count >> 8) & 0xff), UInt8(count & 0xff)]
        key += name
        key += change.key
        var headers = [StreamTask.Header(name: Self.offsetHeader, value: Array(String(change.offset).utf8))]
        if change.value == nil { headers.append(.init(name: Self.deletedHeader, value: Array("1".utf8))) }
        return OutgoingRecord(topic: topic, key: key, value: change.value ?? [], headers: headers, partition: partition)
    }

    /// The change a changelog record carries; `nil` for a record that is not one.
    static func change(from record: KafkaRecord) -> PartitionStateStore.Change? {
        guard let key = record.key, key.count >= 4 else { return nil }
        let count = Int(key[0]) << 24 | Int(key[1]) << 16 | Int(key[2]) << 8 | Int(key[3])
        guard key.count >= 4 + count,
            let offsetText = record.headers.last(where: { $0.name == offsetHeader }),
            let offset = Int64(String(decoding: offsetText.value, as: UTF8.self))
        else { return nil }
        let name = String(decoding: key[4..<(4 + count)], as: UTF8.self)
        let deleted = record.headers.contains { $0.name == deletedHeader }
        return PartitionStateStore.Change(
            key: Array(key[(4 + count)...]), name: name, value: deleted ? nil : record.value, offset: offset)
    }

    /// What a restore did.
    public struct Restore: Sendable {
        public var records: Int
        public var seconds: Double
        public var recordsPerSecond: Double { seconds > 0 ? Double(records) / seconds : 0 }
    }

    /// Reads `partition` of the changelog from where `store` last read it to its end and applies
    /// what it holds (a change at or below a row's stored offset is skipped, so this is safe to
    /// repeat). An empty store reads the whole partition.
    public func restore(
        into store: PartitionStateStore, partition: Int32, timeout: Duration = .seconds(120)
    )
        throws(StreamError) -> Restore
    {
        let start = ContinuousClock.now
        let kafkaPartition = KafkaPartition(topic: topic, partition: partition)
        do {
            let position = try store.meta(Self.positionMeta) ?? 0
            let properties = subscription.consumerProperties
            // The broker may be briefly out of reach (a restart, a cut connection): ask again until the timeout.
            var watermarks: (low: Int64, high: Int64)?
            while watermarks == nil {
                do {
                    watermarks = try KafkaAdmin.watermarks(
                        of: kafkaPartition, properties: properties, timeoutMilliseconds: 10_000)
                } catch {
                    if ContinuousClock.now - start > timeout { throw error }
                }
            }
            guard let (low, high) = watermarks else { throw StreamError.state("no watermarks for \(kafkaPartition)") }
            let from = max(position, low)
            guard from < high else {
                try store.setMeta(Self.positionMeta, high)
                return Restore(records: 0, seconds: (ContinuousClock.now - start) / .seconds(1))
            }
            let consumer = try KafkaConsumer(
                properties: properties.filter { $0.key != "group.instance.id" && $0.key != "group.id" }
                    + [("group.id", "wasmton-restore-\(UInt64.random(in: 0...UInt64.max))"), ("enable.partition.eof", "false")],
                onRebalance: { _ in })
            defer { consumer.close() }
            try consumer.assign([kafkaPartition: from])
            var next = from
            var records = 0
            var lastProgress = ContinuousClock.now
            while next < high {
                let batch = try consumer.poll(maxRecords: 5_000, timeoutMilliseconds: 200)
                var changes: [PartitionStateStore.Change] = []
                for record in batch where record.partition == partition && record.topic == topic {
                    next = max(next, record.offset + 1)
                    if let change = Self.change(from: record) { changes.append(change) }
                }
                records += changes.count
                try store.apply(changes)
                if !batch.isEmpty { lastProgress = ContinuousClock.now }
                if ContinuousClock.now - lastProgress > timeout {
                    throw StreamError.state(
                        "restoring \(kafkaPartition) stopped at offset \(next) of \(high): no records for \(timeout)")
                }
            }
            try store.setMeta(Self.positionMeta, next)
            return Restore(records: records, seconds: (ContinuousClock.now - start) / .seconds(1))
        } catch let error as StreamError {
            throw error
        } catch let error as StateStoreError {
            throw .state(error.description)
        } catch {
            throw .kafka("restoring state from \(kafkaPartition): \(error)")
        }
    }
}
