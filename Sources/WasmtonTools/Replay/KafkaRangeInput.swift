import WasmtonCapture
import WasmtonContracts
public import WasmtonKafka

/// The records of ranges of Kafka partitions, read without a consumer group (`KafkaRangeReader`):
/// nothing is committed, so the group that processes the topic does not notice.
public final class KafkaRangeInput: ReplayInput {
    public let expectedCount: Int?
    private let reader: KafkaRangeReader

    /// Starts reading `ranges` (see `KafkaRangeReader`); `properties` needs `bootstrap.servers`.
    public init(ranges: [KafkaRange], properties: KafkaProperties) throws(ReplayError) {
        do throws(KafkaError) {
            reader = try KafkaRangeReader(ranges: ranges, properties: properties)
        } catch {
            throw .kafka(error)
        }
        expectedCount = Int(clamping: ranges.reduce(0) { $0 + $1.count })
    }

    deinit {
        reader.close()
    }

    public func next() throws(ReplayError) -> ReplayItem? {
        let record: KafkaRecord?
        do throws(KafkaError) {
            record = try reader.nextRecord()
        } catch {
            throw .kafka(error)
        }
        guard let record else { return nil }
        let task = StreamTask(
            key: record.key, value: record.value,
            headers: record.headers.map { StreamTask.Header(name: $0.name, value: $0.value) }, topic: record.topic,
            partition: record.partition, offset: record.offset)
        return .record(CapturedRecord(task: task, timestampMilliseconds: record.timestampMilliseconds))
    }
}
