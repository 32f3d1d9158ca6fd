import Logging
import WasmtonKafka
import WasmtonStreams

/// A Kafka subscription for `process`: brokers, group, topics, and librdkafka properties.
struct KafkaInput {
    var servers: String
    var topic: String
    var group: String
    var properties: KafkaProperties
    var outputTopic: String?
    var retryTopic: String
    var deadLetterTopic: String

    /// Properties that only a consumer understands; not given to the producer (librdkafka would
    /// warn on each), and the other way round.
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

    init(servers: String, topic: String, group: String, options: KafkaOptions) throws(CLIError) {
        self.servers = servers
        self.topic = topic
        self.group = group
        do {
            properties = try KafkaProperty.parse(all: options.properties)
        } catch {
            throw .usage("-X: \(error)")
        }
        outputTopic = options.outputTopic
        retryTopic = options.retryTopic ?? "\(topic)-retry"
        deadLetterTopic = options.deadLetterTopic ?? "\(topic)-dlq"
    }

    func run(engine: StreamEngine) throws(StreamError) -> StreamSummary {
        let base: KafkaProperties = [("bootstrap.servers", servers)]
        let consumerProperties = base + [("group.id", group)] + properties.filter { !Self.producerOnly.contains($0.key) }
        let producerProperties = base + properties.filter { !Self.consumerOnly.contains($0.key) }
        var topics = [topic]
        if let retryTopic = engine.settings.retry.retryTopic {
            topics.append(retryTopic)
            // Subscribing to a topic that does not exist yet would miss it until the next
            // metadata refresh; where the broker refuses, the first retry creates it instead.
            do {
                try KafkaAdmin.createTopic(retryTopic, partitions: 4, properties: producerProperties)
            } catch {
                engine.logger.warning("could not create the retry topic \(retryTopic): \(error)")
            }
        }
        let source = try KafkaRecordSource(properties: consumerProperties, topics: topics, logger: engine.logger)
        let sink = try KafkaRecordSink(properties: producerProperties)
        return try engine.run(source: source, sink: sink)
    }
}
