import ArgumentParser

/// `process` options for consuming a Kafka topic; `-X` passes librdkafka properties unchanged.
struct KafkaOptions: ParsableArguments, ConfigurableOptions {
    @Option(help: ArgumentHelp("Kafka brokers to bootstrap from.", valueName: "HOST:PORT[,…]"))
    var bootstrapServers: String?

    @Option(help: ArgumentHelp("The topic to consume.", valueName: "TOPIC"))
    var topic: String?

    @Option(help: ArgumentHelp("The consumer group (partitions are shared among its members).", valueName: "GROUP"))
    var group: String?

    @Option(
        name: .customShort("X"),
        help: ArgumentHelp("A librdkafka property, passed unchanged (repeatable), like kcat's -X.", valueName: "KEY=VALUE"))
    var properties: [String] = []

    @Option(help: ArgumentHelp("Topic for emitted records (default: they are dropped and counted).", valueName: "TOPIC"))
    var outputTopic: String?

    @Option(help: ArgumentHelp("Topic for retried records (default: TOPIC-retry).", valueName: "TOPIC"))
    var retryTopic: String?

    @Option(help: ArgumentHelp("Topic for records that failed every attempt (default: TOPIC-dlq).", valueName: "TOPIC"))
    var deadLetterTopic: String?

    static var configFields: [String: ConfigField<Self>] {
        [
            "bootstrap-servers": .optional(\.bootstrapServers), "topic": .optional(\.topic), "group": .optional(\.group),
            "X": .list(\.properties), "output-topic": .optional(\.outputTopic), "retry-topic": .optional(\.retryTopic),
            "dead-letter-topic": .optional(\.deadLetterTopic),
        ]
    }

    var isUsed: Bool {
        bootstrapServers != nil || topic != nil || group != nil || !properties.isEmpty || outputTopic != nil
            || retryTopic != nil || deadLetterTopic != nil
    }
}
