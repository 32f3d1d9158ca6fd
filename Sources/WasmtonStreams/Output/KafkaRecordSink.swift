public import WasmtonKafka

/// Records to Kafka topics through a librdkafka producer (acks from all in-sync replicas by
/// default); each delivery report reaches the engine, which commits a source offset only after
/// the records it caused were delivered.
public final class KafkaRecordSink: RecordSink {
    private let producer: KafkaProducer

    /// `properties` must hold `bootstrap.servers` and pass to librdkafka unchanged.
    public init(properties: KafkaProperties) throws(StreamError) {
        do {
            producer = try KafkaProducer(properties: properties)
        } catch {
            throw .kafka(error.description)
        }
    }

    public func send(_ record: OutgoingRecord, onDelivery: @escaping @Sendable (Result<Void, StreamError>) -> Void) {
        do {
            try producer.send(
                topic: record.topic, partition: record.partition, key: record.key, value: record.value,
                headers: record.headers.map { KafkaHeader(name: $0.name, value: $0.value) }
            ) { result in
                onDelivery(result.map { _ in () }.mapError { .kafka($0.description) })
            }
        } catch {
            onDelivery(.failure(.kafka(error.description)))
        }
    }

    public func flush(timeout: Duration) {
        try? producer.flush(timeoutMilliseconds: Int(timeout.components.seconds * 1000))
    }

    public func close() {
        producer.close()
    }
}
