public import WasmtonContracts

/// Where a ``StreamEngine`` sends records: retries, dead letters and the processor's outputs.
///
/// A record's source offset is committed only after every record it caused was delivered, so a
/// sink reports each delivery; a failed delivery is sent again, never dropped.
public protocol RecordSink: AnyObject, Sendable {
    /// Queues `record`; `onDelivery` runs once, on any thread, when it was written or failed.
    func send(_ record: OutgoingRecord, onDelivery: @escaping @Sendable (Result<Void, StreamError>) -> Void)
    /// Waits up to `timeout` for queued records to be delivered.
    func flush(timeout: Duration)
    func close()
}

/// A record for a sink: the processor's output, or a failed task on its way to retry or dead letter.
public struct OutgoingRecord: Sendable, Equatable {
    public var topic: String
    public var key: [UInt8]?
    public var value: [UInt8]
    public var headers: [StreamTask.Header]
    /// The partition to write to; `nil` lets the sink choose (by key).
    public var partition: Int32?

    public init(
        topic: String, key: [UInt8]?, value: [UInt8], headers: [StreamTask.Header] = [], partition: Int32? = nil
    ) {
        self.topic = topic
        self.key = key
        self.value = value
        self.headers = headers
        self.partition = partition
    }
}
