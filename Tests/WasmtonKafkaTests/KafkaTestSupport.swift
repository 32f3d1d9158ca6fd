import Foundation
import Synchronization
import WasmtonKafka

/// The broker the integration suites use: `WASMTON_KAFKA_BOOTSTRAP` (e.g. 127.0.0.1:19093), or nil to skip them.
let testBootstrap = ProcessInfo.processInfo.environment["WASMTON_KAFKA_BOOTSTRAP"]

/// True when a broker is configured; the trait condition of the broker suites.
let brokerConfigured = testBootstrap != nil

/// A name no other test (or earlier run against the same broker) uses.
func uniqueName(_ prefix: String) -> String {
    "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
}

/// Producer properties for the test broker.
func producerProperties() -> KafkaProperties {
    [("bootstrap.servers", testBootstrap ?? "127.0.0.1:1"), ("linger.ms", "5")]
}

/// Consumer properties for the test broker: what tansu needs for quick group changes.
func consumerProperties(group: String, extra: KafkaProperties = []) -> KafkaProperties {
    [
        ("bootstrap.servers", testBootstrap ?? "127.0.0.1:1"), ("group.id", group), ("session.timeout.ms", "2000"),
        ("heartbeat.interval.ms", "500"),
    ] + extra
}

/// A value behind a Mutex that closures of different threads can share.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) {
        mutex = Mutex(value)
    }

    var value: Value { mutex.withLock { $0 } }

    func update<R>(_ body: (inout Value) -> R) -> R {
        mutex.withLock { body(&$0) }
    }
}

/// Polls `consumer` until `done` holds or `seconds` pass; returns every record received.
func pollUntil(
    _ consumer: KafkaConsumer, seconds: Double, maxRecords: Int = 100, _ done: ([KafkaRecord]) -> Bool
) throws -> [KafkaRecord] {
    let deadline = Date().addingTimeInterval(seconds)
    var received: [KafkaRecord] = []
    while Date() < deadline && !done(received) {
        received += try consumer.poll(maxRecords: maxRecords, timeoutMilliseconds: 100)
    }
    return received
}

/// One record to produce.
struct Outgoing: Sendable {
    var partition: Int32?
    var key: [UInt8]?
    var value: [UInt8]
    var headers: [KafkaHeader]
}

/// Produces `records` to `topic` and waits (bounded) for every delivery report; returns them in send order.
func produceAll(
    _ records: [Outgoing], topic: String, seconds: Double = 30
) throws -> [Result<(partition: Int32, offset: Int64), KafkaError>?] {
    let producer = try KafkaProducer(properties: producerProperties())
    defer { producer.close() }
    let results = Locked([Result<(partition: Int32, offset: Int64), KafkaError>?](repeating: nil, count: records.count))
    for (index, record) in records.enumerated() {
        try producer.send(
            topic: topic, partition: record.partition, key: record.key, value: record.value, headers: record.headers
        ) { result in
            results.update { $0[index] = result }
        }
    }
    try producer.flush(timeoutMilliseconds: Int(seconds * 1000))
    return results.value
}

extension String {
    var bytes: [UInt8] { Array(utf8) }
}
