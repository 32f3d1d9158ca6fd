internal import CRdKafka

/// Reads fixed ranges of partitions without joining a consumer group: the partitions are
/// assigned directly, auto-commit is off and nothing is ever committed, so no group's offsets
/// move. For `wasmton capture` and `wasmton replay`. Not safe to share between threads.
public final class KafkaRangeReader {
    /// The ranges read, empty ones left out.
    public let ranges: [KafkaRange]
    private let consumer: KafkaConsumer
    private var remaining: [KafkaPartition: Int64]
    private var buffered: [KafkaRecord] = []
    private var next = 0
    private let idleMilliseconds: Int

    /// Works out the ranges to read of `topic`: `partitions` (all of the topic's when `nil`), each
    /// from `start` to its high watermark now, at most `count` records per partition.
    public static func plan(
        topic: String, partitions: [Int32]?, start: KafkaRangeStart, count: Int64?, properties: KafkaProperties,
        timeoutMilliseconds: Int = 10_000
    ) throws(KafkaError) -> [KafkaRange] {
        let numbers: [Int32]
        if let partitions {
            numbers = partitions
        } else {
            let total = try KafkaAdmin.partitionCount(
                of: topic, properties: properties, timeoutMilliseconds: timeoutMilliseconds)
            numbers = Array(0..<total)
        }
        var times: [KafkaPartition: Int64] = [:]
        if case .time(let milliseconds) = start {
            times = try KafkaAdmin.offsets(
                atTime: milliseconds, of: numbers.map { KafkaPartition(topic: topic, partition: $0) }, properties: properties,
                timeoutMilliseconds: timeoutMilliseconds)
        }
        var ranges: [KafkaRange] = []
        for number in numbers {
            let partition = KafkaPartition(topic: topic, partition: number)
            let (low, high) = try KafkaAdmin.watermarks(
                of: partition, properties: properties, timeoutMilliseconds: timeoutMilliseconds)
            var first: Int64
            switch start {
            case .beginning: first = low
            case .offset(let offset): first = max(offset, low)
            case .time: first = times[partition].map { max($0, low) } ?? high
            }
            first = min(first, high)
            let last = count.map { min(high, first + max(0, $0)) } ?? high
            ranges.append(KafkaRange(partition: partition, start: first, end: last))
        }
        return ranges
    }

    /// Assigns the non-empty `ranges` at their start offsets. `properties` needs
    /// `bootstrap.servers`; group settings in it are overridden. Reading ends when every range
    /// is read, or when nothing arrives for `idleMilliseconds` (the rest of a range cannot be read).
    public init(ranges: [KafkaRange], properties: KafkaProperties, idleMilliseconds: Int = 15_000) throws(KafkaError) {
        self.ranges = ranges.filter { $0.count > 0 }
        self.idleMilliseconds = idleMilliseconds
        var settings = properties.filter { !["group.id", "group.instance.id", "enable.auto.commit"].contains($0.key) }
        // Never used to commit or join: librdkafka wants a group id for a consumer all the same.
        settings.append((key: "group.id", value: "wasmton-read-only-\(UInt64.random(in: 0...UInt64.max))"))
        settings.append((key: "enable.auto.commit", value: "false"))
        settings.append((key: "enable.auto.offset.store", value: "false"))
        consumer = try KafkaConsumer(properties: settings, onRebalance: { _ in })
        remaining = Dictionary(uniqueKeysWithValues: self.ranges.map { ($0.partition, $0.end) })
        if !self.ranges.isEmpty {
            try consumer.assign(Dictionary(uniqueKeysWithValues: self.ranges.map { ($0.partition, $0.start) }))
        }
    }

    deinit {
        consumer.close()
    }

    /// The next record of the ranges (in offset order per partition), or `nil` when all are read.
    public func nextRecord() throws(KafkaError) -> KafkaRecord? {
        while next >= buffered.count {
            guard !remaining.isEmpty else { return nil }
            buffered = []
            next = 0
            var waited = 0
            while buffered.isEmpty {
                let polled = try consumer.poll(maxRecords: 1024, timeoutMilliseconds: 100)
                for record in polled {
                    let partition = record.kafkaPartition
                    guard let end = remaining[partition], record.offset < end else { continue }
                    buffered.append(record)
                    if record.offset >= end - 1 { remaining[partition] = nil }
                }
                if polled.isEmpty {
                    waited += 100
                    if waited >= idleMilliseconds {
                        remaining = [:]
                        return nil
                    }
                } else if buffered.isEmpty && remaining.isEmpty {
                    return nil
                }
            }
        }
        defer { next += 1 }
        return buffered[next]
    }

    /// Leaves the partitions (nothing is committed) and destroys the client.
    public func close() {
        consumer.close()
    }
}
