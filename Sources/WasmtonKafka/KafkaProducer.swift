internal import CRdKafka

#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Darwin)
    internal import Darwin
#endif

/// A Kafka producer: `send` enqueues, a background thread serves the delivery reports.
///
/// Each accepted record's `onDelivery` runs exactly once, on the producer's poll thread: with the partition
/// and offset, or with the failure (including, for records still undelivered when `close()` gives up, a
/// purge error). Keep `onDelivery` short; it must not block on other deliveries.
///
/// Sendable: all mutable state is in `ProducerPoller` (Mutex, lease); the librdkafka handle is thread-safe
/// for produce and queue-length calls, and is destroyed only by the poll thread once no call is in flight.
public final class KafkaProducer: Sendable {
    private let rk: RdPointer
    private let poller: ProducerPoller

    /// How long `send` keeps retrying while librdkafka's local queue is full.
    private static let queueFullLimit: Duration = .seconds(30)

    /// Creates the producer and its poll thread.
    ///
    /// - Parameter properties: librdkafka properties; must include `bootstrap.servers`. Default the caller
    ///   may override: `acks=all`.
    public init(properties: KafkaProperties) throws(KafkaError) {
        let conf = try RdConfiguration.make(defaults: [("acks", "all")], properties: properties)
        rd_kafka_conf_set_dr_msg_cb(conf, producerDeliveryCallback)
        let rk = RdPointer(raw: try RdConfiguration.newClient(RD_KAFKA_PRODUCER, conf))
        self.rk = rk
        self.poller = ProducerPoller(rk: rk, closeFlushMilliseconds: 5000)
        poller.start()
    }

    deinit {
        poller.close()
    }

    /// Enqueues one record; `onDelivery` later gets its partition and offset, or why it failed.
    ///
    /// - Parameters:
    ///   - topic: the topic to write to.
    ///   - partition: nil lets librdkafka's partitioner choose (by key hash when there is a key).
    ///   - key: nil for a record without key.
    ///   - value: the record's bytes.
    ///   - headers: the record's headers, in order.
    ///   - onDelivery: called once from librdkafka's delivery report, on the producer's poll thread.
    /// - Throws: `.produce` if librdkafka refuses the record (e.g. too large, or its queue stayed full for
    ///   30 s), `.closed` after `close()`. `onDelivery` is not called then.
    public func send(
        topic: String, partition: Int32? = nil, key: [UInt8]?, value: [UInt8], headers: [KafkaHeader] = [],
        onDelivery: @escaping @Sendable (Result<(partition: Int32, offset: Int64), KafkaError>) -> Void
    ) throws(KafkaError) {
        guard poller.lease.begin(whileClosing: false) else { throw .closed }
        defer { _ = poller.lease.end() }
        let deadline = ContinuousClock.now + Self.queueFullLimit
        while true {
            let err = produceOnce(topic: topic, partition: partition, key: key, value: value, headers: headers, onDelivery)
            if err == RD_KAFKA_RESP_ERR_NO_ERROR { return }
            guard err == RD_KAFKA_RESP_ERR__QUEUE_FULL else {
                throw .produce("\(topic): \(rdErrorDescription(err))")
            }
            guard ContinuousClock.now < deadline else {
                throw .produce("\(topic): local queue still full after 30 s (is the broker reachable?)")
            }
            guard poller.lease.phase == .open else { throw .closed }
            if poller.isCurrentThread {
                _ = rd_kafka_poll(rk.raw, 10)  // inside onDelivery: nobody else serves delivery reports
            } else {
                usleep(10_000)  // the poll thread serves delivery reports meanwhile
            }
        }
    }

    /// Waits until every record sent so far has its delivery report served (`onDelivery` called).
    /// Throws `.timedOut` if some remain after `timeoutMilliseconds`.
    public func flush(timeoutMilliseconds: Int) throws(KafkaError) {
        guard poller.lease.begin(whileClosing: false) else { throw .closed }
        defer { _ = poller.lease.end() }
        let deadline = ContinuousClock.now + .milliseconds(max(0, timeoutMilliseconds))
        while true {
            let remaining = rd_kafka_outq_len(rk.raw)
            if remaining == 0 { return }
            guard ContinuousClock.now < deadline else {
                throw .timedOut("\(remaining) record(s) still undelivered after \(timeoutMilliseconds) ms")
            }
            if poller.isCurrentThread {
                _ = rd_kafka_poll(rk.raw, 10)
            } else {
                usleep(2_000)
            }
        }
    }

    /// Flushes for up to 5 s, fails what is still undelivered (their `onDelivery` gets an error), stops the
    /// poll thread and destroys the client. Idempotent; `deinit` closes too. Called from inside `onDelivery`
    /// it returns at once and the poll thread completes the close.
    public func close() {
        poller.close()
    }

    /// True once `close()` has begun.
    public var isClosed: Bool { poller.lease.phase != .open }

    /// One produce attempt; on failure takes back the box and frees the headers.
    private func produceOnce(
        topic: String, partition: Int32?, key: [UInt8]?, value: [UInt8], headers: [KafkaHeader],
        _ onDelivery: @escaping PendingDelivery.Handler
    ) -> rd_kafka_resp_err_t {
        var headerList: OpaquePointer?
        if !headers.isEmpty {
            headerList = rd_kafka_headers_new(headers.count)
            for header in headers {
                _ = header.value.withUnsafeBytes { bytes in
                    rd_kafka_header_add(headerList, header.name, -1, bytes.baseAddress, bytes.count)
                }
            }
        }
        let box = Unmanaged.passRetained(PendingDelivery(onDelivery))
        let err = value.withUnsafeBytes { valueBytes in
            withOptionalBytes(key) { keyBytes in
                wasmton_rdk_produce(
                    rk.raw, topic, partition ?? wasmton_rdk_partition_ua, keyBytes?.baseAddress, keyBytes?.count ?? 0,
                    valueBytes.baseAddress, valueBytes.count, headerList, box.toOpaque())
            }
        }
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            box.release()
            if let headerList {
                rd_kafka_headers_destroy(headerList)
            }
        }
        return err
    }
}

/// Calls `body` with the bytes of `array`, or with nil when there is no array.
private func withOptionalBytes<R>(_ array: [UInt8]?, _ body: (UnsafeRawBufferPointer?) -> R) -> R {
    guard let array else { return body(nil) }
    return array.withUnsafeBytes { body($0) }
}
