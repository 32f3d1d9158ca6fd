import WasmtonStreams

/// A Kafka subscription for `process`: the group, topics and librdkafka properties.
struct KafkaInput {
    var servers: String
    var topic: String
    var group: String
    var properties: [String]
    var outputTopic: String?
    var retryTopic: String
    var deadLetterTopic: String

    init(servers: String, topic: String, group: String, options: KafkaOptions) throws(CLIError) {
        self.servers = servers
        self.topic = topic
        self.group = group
        properties = options.properties
        outputTopic = options.outputTopic
        retryTopic = options.retryTopic ?? "\(topic)-retry"
        deadLetterTopic = options.deadLetterTopic ?? "\(topic)-dlq"
    }

    func run(engine: StreamEngine) throws(StreamError) -> StreamSummary {
        throw .kafka("TODO")
    }
}
