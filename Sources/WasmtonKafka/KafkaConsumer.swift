internal import CRdKafka

/// A Kafka consumer-group member with manual offset commits, over librdkafka's high-level consumer.
///
/// Everything librdkafka reports (records, rebalances, errors, asynchronous commit results) is served by
/// `poll`, on the calling thread: one queue serves everything (rd_kafka_poll_set_consumer). Auto-commit is
/// always off; commit what you have processed with `commit(_:synchronously:)`.
///
/// Sendable: the only mutable state is behind Mutexes (`HandleLease`, `ConsumerCallbacks`), and the
/// librdkafka handle is thread-safe for the calls made; `HandleLease` keeps `close()` from destroying it
/// while another call uses it. A typical user still polls from one thread at a time.
public final class KafkaConsumer: Sendable {
    private let rk: RdPointer
    private let queue: RdPointer
    private let callbacks: ConsumerCallbacks
    private let lease = HandleLease()

    /// Creates the consumer (it joins the group on `subscribe`).
    ///
    /// - Parameters:
    ///   - properties: librdkafka properties; must include `bootstrap.servers` and `group.id`. Defaults the
    ///     caller may override: `auto.offset.reset=earliest`, `enable.auto.offset.store=false`,
    ///     `fetch.queue.backoff.ms=10` (skipped on librdkafka versions that lack it). Always forced:
    ///     `enable.auto.commit=false`.
    ///   - onRebalance: called on the polling (or closing) thread inside librdkafka's rebalance callback; see
    ///     `RebalanceEvent` for when the partitions are (un)assigned.
    ///   - onError: non-fatal errors (`.transient`, failed asynchronous commits) with `false`, fatal ones
    ///     (`.fatal`, after which `poll` throws) with `true`; called on the polling thread.
    ///   - onCommit: the result of each asynchronous commit, called during a later `poll`.
    public init(
        properties: KafkaProperties,
        onRebalance: @escaping @Sendable (RebalanceEvent) -> Void,
        onError: @escaping @Sendable (KafkaError, _ fatal: Bool) -> Void = { _, _ in },
        onCommit: (@Sendable ([KafkaPartition: Int64], KafkaError?) -> Void)? = nil
    ) throws(KafkaError) {
        let callbacks = ConsumerCallbacks(onRebalance: onRebalance, onError: onError, onCommit: onCommit)
        let conf = try RdConfiguration.make(
            defaults: [
                ("auto.offset.reset", "earliest"),
                ("enable.auto.offset.store", "false"),
                ("fetch.queue.backoff.ms", "10"),
            ],
            properties: properties,
            forced: [("enable.auto.commit", "false")])
        rd_kafka_conf_set_rebalance_cb(conf, consumerRebalanceCallback)
        rd_kafka_conf_set_error_cb(conf, consumerErrorCallback)
        // Balanced by the release in finalize(), after rd_kafka_destroy (or below if creation fails).
        let opaque = Unmanaged.passRetained(callbacks)
        rd_kafka_conf_set_opaque(conf, opaque.toOpaque())
        let rk: OpaquePointer
        do {
            rk = try RdConfiguration.newClient(RD_KAFKA_CONSUMER, conf)
        } catch {
            opaque.release()
            throw error
        }
        _ = rd_kafka_poll_set_consumer(rk)
        self.rk = RdPointer(raw: rk)
        self.queue = RdPointer(raw: rd_kafka_queue_get_consumer(rk))
        self.callbacks = callbacks
    }

    deinit {
        if lease.requestClose() {
            finalize()
        }
    }

    /// Subscribes to `topics` (replacing any earlier subscription); partitions arrive via `onRebalance`.
    public func subscribe(_ topics: [String]) throws(KafkaError) {
        try withHandle(whileClosing: false) { rk throws(KafkaError) in
            let list = PartitionList.make(topics.map { KafkaPartition(topic: $0, partition: wasmton_rdk_partition_ua) })
            defer { rd_kafka_topic_partition_list_destroy(list) }
            let err = rd_kafka_subscribe(rk, list)
            if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                throw .subscribe("\(topics.joined(separator: ",")): \(rdErrorDescription(err))")
            }
        }
    }

    /// Reads `offsets`' partitions from the given offsets, outside any group's assignment (no
    /// subscription, no rebalance): for reading one partition through, such as a changelog.
    public func assign(_ offsets: [KafkaPartition: Int64]) throws(KafkaError) {
        try withHandle(whileClosing: false) { rk throws(KafkaError) in
            let list = PartitionList.make(offsets: offsets)
            defer { rd_kafka_topic_partition_list_destroy(list) }
            let err = rd_kafka_assign(rk, list)
            if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                throw .subscribe("assign: \(rdErrorDescription(err))")
            }
        }
    }

    /// Waits up to `timeoutMilliseconds` for the first record, then takes whatever else is already
    /// fetched, up to `maxRecords` in all; runs rebalance, error and commit callbacks meanwhile.
    ///
    /// Records come in offset order per partition. Per-record errors other than end-of-partition go to
    /// `onError` and are skipped. Throws `.fatal` once librdkafka has raised a fatal error, `.closed`
    /// after `close()`.
    public func poll(maxRecords: Int, timeoutMilliseconds: Int) throws(KafkaError) -> [KafkaRecord] {
        guard maxRecords > 0 else { return [] }
        return try withHandle(whileClosing: false) { rk throws(KafkaError) in
            var records: [KafkaRecord] = []
            var topics = TopicNames()
            guard let first = rd_kafka_consumer_poll(rk, Int32(clamping: max(0, timeoutMilliseconds))) else {
                try throwIfFatal(rk)
                return records
            }
            records.reserveCapacity(min(maxRecords, 4096))
            take(first, into: &records, topics: &topics)
            let capacity = min(maxRecords - 1, 4096)
            if capacity > 0 {
                let batch = UnsafeMutablePointer<UnsafeMutablePointer<rd_kafka_message_t>?>.allocate(capacity: capacity)
                defer { batch.deallocate() }
                while records.count < maxRecords {
                    let wanted = min(capacity, maxRecords - records.count)
                    let count = rd_kafka_consume_batch_queue(queue.raw, 0, batch, wanted)
                    guard count > 0 else { break }
                    for index in 0..<count {
                        if let message = batch[index] {
                            take(message, into: &records, topics: &topics)
                        }
                    }
                    if count < wanted { break }
                }
            }
            try throwIfFatal(rk)
            return records
        }
    }

    /// Stops fetching and delivering these partitions (already fetched records are held back) until `resume`.
    /// Failures (e.g. a partition not assigned) go to `onError`.
    public func pause(_ partitions: [KafkaPartition]) {
        setPaused(partitions, paused: true)
    }

    /// Resumes delivery of paused partitions, at the record after the last one `poll` returned.
    public func resume(_ partitions: [KafkaPartition]) {
        setPaused(partitions, paused: false)
    }

    /// Commits `offsets`, each the next offset to read (last processed + 1, the Kafka convention).
    ///
    /// Synchronously: waits for the broker and throws `.commit` on failure. Asynchronously: returns at once;
    /// the result reaches `onCommit` (and a failure `onError`) during a later `poll`. May be called from
    /// inside `onRebalance`, including during `close()`.
    public func commit(_ offsets: [KafkaPartition: Int64], synchronously: Bool) throws(KafkaError) {
        guard !offsets.isEmpty else { return }
        try withHandle(whileClosing: true) { rk throws(KafkaError) in
            let list = PartitionList.make(offsets: offsets)
            defer { rd_kafka_topic_partition_list_destroy(list) }
            if synchronously {
                let err = rd_kafka_commit(rk, list, 0)
                if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                    throw .commit(rdErrorDescription(err))
                }
                if let partitionErrors = PartitionList.errors(list) {
                    throw .commit(partitionErrors)
                }
            } else {
                let err = rd_kafka_commit_queue(
                    rk, list, queue.raw, consumerCommitCallback, Unmanaged.passUnretained(callbacks).toOpaque())
                if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                    throw .commit(rdErrorDescription(err))
                }
            }
        }
    }

    /// The group's committed offsets (next offset to read) for `partitions`, asking the broker;
    /// partitions with nothing committed are absent.
    public func committed(
        _ partitions: [KafkaPartition], timeoutMilliseconds: Int
    ) throws(KafkaError)
        -> [KafkaPartition: Int64]
    {
        guard !partitions.isEmpty else { return [:] }
        return try withHandle(whileClosing: true) { rk throws(KafkaError) in
            let list = PartitionList.make(partitions)
            defer { rd_kafka_topic_partition_list_destroy(list) }
            let err = rd_kafka_committed(rk, list, Int32(clamping: max(0, timeoutMilliseconds)))
            if err == RD_KAFKA_RESP_ERR__TIMED_OUT {
                throw .timedOut("reading committed offsets took longer than \(timeoutMilliseconds) ms")
            }
            if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                throw .commit("reading committed offsets: \(rdErrorDescription(err))")
            }
            return PartitionList.offsets(list)
        }
    }

    /// The partitions currently assigned to this member (empty once closed).
    public var assignment: [KafkaPartition] {
        (try? withHandle(whileClosing: true) { rk in
            var list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
            guard rd_kafka_assignment(rk, &list) == RD_KAFKA_RESP_ERR_NO_ERROR else { return [] }
            defer { rd_kafka_topic_partition_list_destroy(list) }
            return PartitionList.partitions(list)
        }) ?? []
    }

    /// True once `close()` has begun.
    public var isClosed: Bool { lease.phase != .open }

    /// Leaves the group (the final revoke reaches `onRebalance`, which may still commit), then destroys
    /// the client. Idempotent; `deinit` closes too. If another call is in flight (another thread's `poll`,
    /// or `close()` from inside a handler) the close completes when that call returns.
    public func close() {
        if lease.requestClose() {
            finalize()
        }
    }

    // MARK: - Private

    private func finalize() {
        _ = rd_kafka_consumer_close(rk.raw)
        lease.finish()
        rd_kafka_queue_destroy(queue.raw)
        rd_kafka_destroy(rk.raw)
        Unmanaged.passUnretained(callbacks).release()  // the reference passed as librdkafka's opaque in init
        callbacks.clear()
    }

    private func withHandle<R>(
        whileClosing: Bool, _ body: (OpaquePointer) throws(KafkaError) -> R
    ) throws(KafkaError) -> R {
        guard lease.begin(whileClosing: whileClosing) else { throw .closed }
        defer {
            if lease.end() {
                finalize()
            }
        }
        return try body(rk.raw)
    }

    private func throwIfFatal(_ rk: OpaquePointer) throws(KafkaError) {
        let fatal: String? = try withErrorBuffer { (buffer, size) in
            let err = rd_kafka_fatal_error(rk, buffer, size)
            guard err != RD_KAFKA_RESP_ERR_NO_ERROR else { return nil }
            return "\(String(cString: buffer)) (\(String(cString: rd_kafka_err2name(err))))"
        }
        if let fatal {
            throw .fatal(fatal)
        }
    }

    /// The topic names met in one poll, so each is made into a `String` once, not once a record.
    private struct TopicNames {
        private var handle: OpaquePointer?
        private var name = ""

        mutating func name(of rkt: OpaquePointer?) -> String {
            guard let rkt else { return "" }
            if rkt != handle {
                handle = rkt
                name = String(cString: rd_kafka_topic_name(rkt))
            }
            return name
        }
    }

    /// Copies one message into `records` (or reports its error), then destroys it.
    private func take(
        _ message: UnsafeMutablePointer<rd_kafka_message_t>, into records: inout [KafkaRecord], topics: inout TopicNames
    ) {
        defer { rd_kafka_message_destroy(message) }
        let m = message.pointee
        let topic = topics.name(of: m.rkt)
        guard m.err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            if m.err != RD_KAFKA_RESP_ERR__PARTITION_EOF {
                let detail = String(cString: rd_kafka_message_errstr(message))
                let place = topic.isEmpty ? "" : "\(topic)/\(m.partition): "
                callbacks.reportError(
                    .transient("\(place)\(detail) (\(String(cString: rd_kafka_err2name(m.err))))"), fatal: false)
            }
            return
        }
        let key: [UInt8]? = m.key.map { [UInt8](UnsafeRawBufferPointer(start: $0, count: m.key_len)) }
        let value: [UInt8] = m.payload.map { [UInt8](UnsafeRawBufferPointer(start: $0, count: m.len)) } ?? []
        var timestampType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let timestamp = rd_kafka_message_timestamp(message, &timestampType)
        records.append(
            KafkaRecord(
                topic: topic, partition: m.partition, offset: m.offset, key: key, value: value,
                headers: Self.headers(of: message),
                timestampMilliseconds: timestampType == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE || timestamp < 0 ? nil : timestamp))
    }

    private static func headers(of message: UnsafeMutablePointer<rd_kafka_message_t>) -> [KafkaHeader] {
        var handle: OpaquePointer?
        guard rd_kafka_message_headers(message, &handle) == RD_KAFKA_RESP_ERR_NO_ERROR, let handle else { return [] }
        var headers: [KafkaHeader] = []
        var index = 0
        while true {
            var name: UnsafePointer<CChar>?
            var value: UnsafeRawPointer?
            var size = 0
            guard rd_kafka_header_get_all(handle, index, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR else { break }
            let bytes = value.map { [UInt8](UnsafeRawBufferPointer(start: $0, count: size)) } ?? []
            headers.append(KafkaHeader(name: name.map { String(cString: $0) } ?? "", value: bytes))
            index += 1
        }
        return headers
    }

    private func setPaused(_ partitions: [KafkaPartition], paused: Bool) {
        guard !partitions.isEmpty else { return }
        try? withHandle(whileClosing: true) { rk in
            let list = PartitionList.make(partitions)
            defer { rd_kafka_topic_partition_list_destroy(list) }
            let err = paused ? rd_kafka_pause_partitions(rk, list) : rd_kafka_resume_partitions(rk, list)
            let verb = paused ? "pause" : "resume"
            if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                callbacks.reportError(.transient("\(verb): \(rdErrorDescription(err))"), fatal: false)
            } else if let partitionErrors = PartitionList.errors(list) {
                callbacks.reportError(.transient("\(verb): \(partitionErrors)"), fatal: false)
            }
        }
    }
}
