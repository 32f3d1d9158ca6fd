import WasmtonKafka
import WasmtonStreams

/// The Kafka options of `process`, checked: the subscription and the topic names derived from it.
struct KafkaInput {
    var subscription: KafkaSubscription
    var outputTopic: String?
    var retryTopic: String
    var deadLetterTopic: String

    init(servers: String, topic: String, group: String, options: KafkaOptions) throws(CLIError) {
        let properties: KafkaProperties
        do {
            properties = try KafkaProperty.parse(all: options.properties)
        } catch {
            throw .usage("-X: \(error)")
        }
        subscription = KafkaSubscription(bootstrapServers: servers, group: group, topic: topic, properties: properties)
        outputTopic = options.outputTopic
        retryTopic = options.retryTopic ?? "\(topic)-retry"
        deadLetterTopic = options.deadLetterTopic ?? "\(topic)-dlq"
    }
}
