import Foundation
import Testing
import WasmtonKafka

/// Tests that need no broker: property parsing, configuration errors, client lifecycle, delivery failure.
@Suite("Kafka client without a broker")
struct KafkaPropertyTests {
    @Test("key=value strings parse; the value may hold '=' or be empty; a missing '=' or empty key is an error")
    func parsing() throws {
        let parsed = try KafkaProperty.parse("bootstrap.servers=127.0.0.1:9092")
        #expect(parsed.key == "bootstrap.servers" && parsed.value == "127.0.0.1:9092")
        let withEquals = try KafkaProperty.parse("sasl.jaas.config=a=b=c")
        #expect(withEquals.key == "sasl.jaas.config" && withEquals.value == "a=b=c")
        let empty = try KafkaProperty.parse("client.id=")
        #expect(empty.key == "client.id" && empty.value == "")
        #expect(throws: KafkaError.self) { try KafkaProperty.parse("no-equals-sign") }
        #expect(throws: KafkaError.self) { try KafkaProperty.parse("=value") }
        let all = try KafkaProperty.parse(all: ["a=1", "b=2", "a=3"])
        #expect(all.map(\.key) == ["a", "b", "a"])
        #expect(KafkaProperty.value(of: "a", in: all) == "3")
        #expect(KafkaPartition(topic: "orders", partition: 3).description == "orders/3")
    }

    @Test("an unknown or invalid librdkafka property is a .configuration error naming the key")
    func badProperty() {
        do {
            _ = try KafkaProducer(properties: [("bootstrap.servers", "127.0.0.1:1"), ("no.such.property", "1")])
            Issue.record("expected a configuration error")
        } catch {
            guard case .configuration(let key, let message) = error else {
                Issue.record("expected .configuration, got \(error)")
                return
            }
            #expect(key == "no.such.property")
            #expect(!message.isEmpty)
            #expect(error.description.hasPrefix("librdkafka property 'no.such.property': "))
        }
        #expect(throws: KafkaError.self) {
            _ = try KafkaConsumer(
                properties: [("bootstrap.servers", "127.0.0.1:1"), ("group.id", "g"), ("session.timeout.ms", "abc")],
                onRebalance: { _ in })
        }
    }

    @Test("a consumer closes idempotently and then refuses calls with .closed")
    func consumerLifecycle() throws {
        let consumer = try KafkaConsumer(
            properties: [("bootstrap.servers", "127.0.0.1:1"), ("group.id", uniqueName("lifecycle")), ("log_level", "0")],
            onRebalance: { _ in })
        #expect(consumer.assignment.isEmpty)
        consumer.close()
        consumer.close()
        #expect(consumer.isClosed)
        #expect(throws: KafkaError.closed) { try consumer.poll(maxRecords: 10, timeoutMilliseconds: 10) }
        #expect(throws: KafkaError.closed) { try consumer.subscribe(["t"]) }
        #expect(consumer.assignment.isEmpty)
    }

    @Test("producing with no broker reachable ends in a delivery failure, not a hang")
    func deliveryFailureWithoutBroker() throws {
        let producer = try KafkaProducer(properties: [
            ("bootstrap.servers", "127.0.0.1:1"), ("message.timeout.ms", "2000"), ("log_level", "0"),
        ])
        let result = Locked<Result<(partition: Int32, offset: Int64), KafkaError>?>(nil)
        try producer.send(topic: "nowhere", key: nil, value: "lost".bytes) { delivery in
            result.update { $0 = delivery }
        }
        let deadline = Date().addingTimeInterval(15)
        while result.value == nil && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.05)
        }
        switch result.value {
        case .failure(let error)?:
            guard case .produce = error else {
                Issue.record("expected .produce, got \(error)")
                break
            }
        case .success?:
            Issue.record("delivered without a broker?")
        case nil:
            Issue.record("no delivery report within 15 s")
        }
        producer.close()
        producer.close()
        #expect(throws: KafkaError.closed) {
            try producer.send(topic: "nowhere", key: nil, value: []) { _ in }
        }
    }

    @Test("close() fails undelivered records through their callbacks, each exactly once")
    func closeFailsPending() throws {
        let producer = try KafkaProducer(properties: [
            ("bootstrap.servers", "127.0.0.1:1"), ("message.timeout.ms", "60000"), ("log_level", "0"),
        ])
        let calls = Locked(0)
        for _ in 0..<20 {
            try producer.send(topic: "nowhere", key: nil, value: "x".bytes) { result in
                if case .failure = result {
                    calls.update { $0 += 1 }
                }
            }
        }
        #expect(throws: KafkaError.self) { try producer.flush(timeoutMilliseconds: 200) }
        producer.close()  // 5 s flush, then purge
        #expect(calls.value == 20)
    }
}
