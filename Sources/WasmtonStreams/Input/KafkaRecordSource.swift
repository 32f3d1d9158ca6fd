import Foundation
public import Logging
import Synchronization
import WasmtonContracts
public import WasmtonKafka

/// Records from Kafka topics through a librdkafka consumer group: partitions are assigned and
/// revoked by the group, offsets are committed by the engine only (never automatically).
public final class KafkaRecordSource: RecordSource {
    private let consumer: KafkaConsumer
    private let topics: [String]
    private let relay: RebalanceRelay

    /// Creates the consumer; `properties` must hold `bootstrap.servers` and `group.id`, and pass
    /// to librdkafka unchanged. Joins the group on ``start(listener:)``.
    public init(properties: KafkaProperties, topics: [String], logger: Logger) throws(StreamError) {
        self.topics = topics
        let relay = RebalanceRelay()
        self.relay = relay
        let repeats = RepeatFilter(interval: .seconds(10))
        do {
            consumer = try KafkaConsumer(
                properties: properties,
                onRebalance: { event in relay.deliver(event) },
                onError: { error, fatal in
                    if fatal {
                        logger.error("kafka: \(error)")
                    } else if repeats.shouldReport(error.description) {
                        // librdkafka retries on its own; one line per distinct error every 10 s is enough.
                        logger.warning("kafka: \(error)")
                    }
                },
                onCommit: { offsets, error in
                    if let error {
                        logger.warning("kafka: commit of \(offsets.count) partitions failed: \(error)")
                        return
                    }
                    let now = UInt64(Date().timeIntervalSince1970 * 1e9)
                    for (partition, offset) in offsets {
                        logger.debug(
                            "committed",
                            metadata: [
                                "partition": "\(partition)", "offset": "\(offset)", "sync": "false", "at_ns": "\(now)",
                            ])
                    }
                })
        } catch {
            throw .kafka(error.description)
        }
    }

    public func start(listener: any RebalanceListener) throws(StreamError) {
        relay.listener = listener
        do {
            try consumer.subscribe(topics)
        } catch {
            throw .kafka(error.description)
        }
    }

    public func poll(maxRecords: Int, timeout: Duration) throws(StreamError) -> SourceBatch {
        let milliseconds = Int(timeout / .milliseconds(1))
        do {
            var records = try consumer.poll(maxRecords: maxRecords, timeoutMilliseconds: milliseconds)
            var tasks: [StreamTask] = []
            tasks.reserveCapacity(records.count)
            // Taken from the back of the reversed array, each record's bytes move into its task
            // rather than being copied and released.
            records.reverse()
            while let record = records.popLast() {
                tasks.append(
                    StreamTask(
                        key: record.key, value: record.value,
                        headers: record.headers.isEmpty ? [] : record.headers.map { .init(name: $0.name, value: $0.value) },
                        topic: record.topic, partition: record.partition, offset: record.offset))
            }
            return SourceBatch(records: tasks)
        } catch {
            throw .kafka(error.description)
        }
    }

    public func pause(_ partitions: [TopicPartition]) { consumer.pause(partitions.map(Self.kafka)) }
    public func resume(_ partitions: [TopicPartition]) { consumer.resume(partitions.map(Self.kafka)) }

    public func commit(_ offsets: [TopicPartition: Int64], synchronously: Bool) throws(StreamError) {
        var converted: [KafkaPartition: Int64] = [:]
        for (partition, offset) in offsets { converted[Self.kafka(partition)] = offset }
        do {
            try consumer.commit(converted, synchronously: synchronously)
        } catch {
            throw .kafka(error.description)
        }
    }

    /// Leaves the group: librdkafka revokes the assignment (the engine commits) and closes.
    public func close() {
        consumer.close()
    }

    private static func kafka(_ partition: TopicPartition) -> KafkaPartition {
        KafkaPartition(topic: partition.topic, partition: partition.partition)
    }
}

/// Hands librdkafka's rebalance events to the engine's listener.
///
/// `@unchecked Sendable`, and why that is safe: `listener` is set once in `start(listener:)` on
/// the engine's coordinator thread before `subscribe`, and librdkafka calls the rebalance
/// callback only from inside `poll` and `close`, which the coordinator thread alone calls. So
/// every access to `listener` happens on that one thread.
private final class RebalanceRelay: @unchecked Sendable {
    var listener: (any RebalanceListener)?

    func deliver(_ event: KafkaConsumer.RebalanceEvent) {
        switch event {
        case .assigned(let partitions):
            listener?.partitionsAssigned(partitions.map { TopicPartition(topic: $0.topic, partition: $0.partition) })
        case .revoked(let partitions):
            listener?.partitionsRevoked(partitions.map { TopicPartition(topic: $0.topic, partition: $0.partition) })
        }
    }
}

/// Says whether a message should be logged: the first time, and then once per `interval`.
private final class RepeatFilter: Sendable {
    private let interval: Duration
    private let lastReported = Mutex<[String: ContinuousClock.Instant]>([:])

    init(interval: Duration) {
        self.interval = interval
    }

    func shouldReport(_ message: String) -> Bool {
        let now = ContinuousClock.now
        return lastReported.withLock { last in
            if let previous = last[message], now - previous < interval { return false }
            last[message] = now
            return true
        }
    }
}
