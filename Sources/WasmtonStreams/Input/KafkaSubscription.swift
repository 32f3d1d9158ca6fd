public import WasmtonKafka

/// What the engine needs to consume a Kafka topic in a group: brokers, group, topic and the
/// librdkafka properties (given once; each goes to the consumer, the producer, or both).
public struct KafkaSubscription: Sendable {
    public var bootstrapServers: String
    public var group: String
    public var topic: String
    public var properties: KafkaProperties

    public init(bootstrapServers: String, group: String, topic: String, properties: KafkaProperties) {
        self.bootstrapServers = bootstrapServers
        self.group = group
        self.topic = topic
        self.properties = properties
    }

    /// Properties only a consumer understands; not given to the producer (librdkafka would warn
    /// on each), and the other way round.
    private static let consumerOnly: Set<String> = [
        "group.id", "group.instance.id", "session.timeout.ms", "heartbeat.interval.ms", "max.poll.interval.ms",
        "auto.offset.reset", "enable.auto.commit", "auto.commit.interval.ms", "enable.auto.offset.store",
        "partition.assignment.strategy", "isolation.level", "fetch.wait.max.ms", "fetch.min.bytes",
        "fetch.max.bytes", "fetch.message.max.bytes", "fetch.queue.backoff.ms", "queued.min.messages",
        "queued.max.messages.kbytes", "check.crcs", "enable.partition.eof",
    ]
    private static let producerOnly: Set<String> = [
        "acks", "request.required.acks", "linger.ms", "queue.buffering.max.ms", "batch.size", "batch.num.messages",
        "compression.type", "compression.codec", "enable.idempotence", "message.timeout.ms", "delivery.timeout.ms",
        "queue.buffering.max.messages", "queue.buffering.max.kbytes", "retries", "message.send.max.retries",
        "partitioner",
    ]

    var consumerProperties: KafkaProperties {
        [("bootstrap.servers", bootstrapServers), ("group.id", group)]
            + properties.filter { !Self.producerOnly.contains($0.key) }
    }

    var producerProperties: KafkaProperties {
        [("bootstrap.servers", bootstrapServers)] + properties.filter { !Self.consumerOnly.contains($0.key) }
    }
}

extension StreamEngine {
    /// Consumes `subscription` (and the retry topic, when retries are on) until ``shutdown()``;
    /// retries, dead letters and outputs are produced to the same cluster.
    public func run(kafka subscription: KafkaSubscription) throws(StreamError) -> StreamSummary {
        var topics = [subscription.topic]
        if let retryTopic = settings.retry.retryTopic {
            topics.append(retryTopic)
            // Subscribing to a topic that does not exist yet would miss it until the next
            // metadata refresh; where the broker refuses, the first retry creates it instead.
            do {
                try KafkaAdmin.createTopic(retryTopic, partitions: 4, properties: subscription.producerProperties)
            } catch {
                logger.warning("could not create the retry topic \(retryTopic): \(error)")
            }
        }
        if let changelog = settings.state?.changelog {
            do {
                try changelog.create()
            } catch {
                logger.warning(
                    "could not create the state changelog \(changelog.topic) (create it compacted, partitioned as \(subscription.topic)): \(error)"
                )
            }
        }
        let source = try KafkaRecordSource(properties: subscription.consumerProperties, topics: topics, logger: logger)
        let sink = try KafkaRecordSink(properties: subscription.producerProperties)
        return try run(source: source, sink: sink)
    }
}
