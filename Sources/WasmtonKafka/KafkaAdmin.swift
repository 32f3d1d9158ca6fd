internal import CRdKafka

/// One-shot cluster requests, each on a short-lived client built from `properties` (needs `bootstrap.servers`).
public enum KafkaAdmin {
    /// Creates `name` with `partitions` partitions and topic `config` (such as `cleanup.policy=compact`);
    /// a topic that already exists counts as success (the existing partition count is not checked).
    ///
    /// Create topics explicitly: brokers such as tansu auto-create unknown topics on first use, but with
    /// their own default partition count.
    public static func createTopic(
        _ name: String, partitions: Int32, replicationFactor: Int16 = 1, config: [(String, String)] = [],
        properties: KafkaProperties, timeoutMilliseconds: Int = 10000
    ) throws(KafkaError) {
        let conf = try RdConfiguration.make(defaults: [], properties: properties)
        let rk = try RdConfiguration.newClient(RD_KAFKA_PRODUCER, conf)
        defer { rd_kafka_destroy(rk) }
        let timeout = Int32(clamping: max(1, timeoutMilliseconds))
        let newTopic: OpaquePointer = try withErrorBuffer { (buffer, size) throws(KafkaError) in
            guard let topic = rd_kafka_NewTopic_new(name, partitions, Int32(replicationFactor), buffer, size) else {
                throw .admin("topic \(name): \(String(cString: buffer))")
            }
            return topic
        }
        defer { rd_kafka_NewTopic_destroy(newTopic) }
        for (key, value) in config {
            let err = rd_kafka_NewTopic_set_config(newTopic, key, value)
            if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                throw .admin("topic \(name): config \(key)=\(value): \(rdErrorDescription(err))")
            }
        }
        let queue = rd_kafka_queue_new(rk)
        defer { rd_kafka_queue_destroy(queue) }
        let options = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS)
        defer { rd_kafka_AdminOptions_destroy(options) }
        try withErrorBuffer { (buffer, size) throws(KafkaError) in
            if rd_kafka_AdminOptions_set_operation_timeout(options, timeout, buffer, size) != RD_KAFKA_RESP_ERR_NO_ERROR
                || rd_kafka_AdminOptions_set_request_timeout(options, timeout, buffer, size) != RD_KAFKA_RESP_ERR_NO_ERROR
            {
                throw .admin("create topic \(name): \(String(cString: buffer))")
            }
        }
        var topics: [OpaquePointer?] = [newTopic]
        rd_kafka_CreateTopics(rk, &topics, 1, options, queue)
        // The admin request times out on its own after `timeout`; wait a little longer for its result event.
        guard let event = rd_kafka_queue_poll(queue, timeout &+ 5000) else {
            throw .timedOut("create topic \(name): no answer within \(timeoutMilliseconds) ms")
        }
        defer { rd_kafka_event_destroy(event) }
        let eventError = rd_kafka_event_error(event)
        if eventError != RD_KAFKA_RESP_ERR_NO_ERROR {
            let message = "create topic \(name): \(String(cString: rd_kafka_event_error_string(event)))"
            throw eventError == RD_KAFKA_RESP_ERR__TIMED_OUT ? .timedOut(message) : .admin(message)
        }
        var count = 0
        guard let result = rd_kafka_event_CreateTopics_result(event),
            let results = rd_kafka_CreateTopics_result_topics(result, &count), count == 1, let topicResult = results[0]
        else {
            throw .admin("create topic \(name): the broker's answer has no result for the topic")
        }
        let err = rd_kafka_topic_result_error(topicResult)
        guard err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS else { return }
        let detail = rd_kafka_topic_result_error_string(topicResult).map { String(cString: $0) } ?? ""
        throw .admin(
            "create topic \(name): \(detail.isEmpty ? rdErrorDescription(err) : "\(detail) (\(String(cString: rd_kafka_err2name(err))))")"
        )
    }

    /// How many partitions `topic` has, from the cluster's metadata.
    public static func partitionCount(
        of topic: String, properties: KafkaProperties, timeoutMilliseconds: Int = 10000
    )
        throws(KafkaError) -> Int32
    {
        let conf = try RdConfiguration.make(defaults: [], properties: properties)
        let rk = try RdConfiguration.newClient(RD_KAFKA_PRODUCER, conf)
        defer { rd_kafka_destroy(rk) }
        guard let handle = rd_kafka_topic_new(rk, topic, nil) else { throw .admin("topic \(topic): cannot make a handle") }
        defer { rd_kafka_topic_destroy(handle) }
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let err = rd_kafka_metadata(rk, 0, handle, &metadata, Int32(clamping: max(1, timeoutMilliseconds)))
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else {
            throw .admin("metadata of \(topic): \(rdErrorDescription(err))")
        }
        defer { rd_kafka_metadata_destroy(metadata) }
        guard metadata.pointee.topic_cnt >= 1, let topics = metadata.pointee.topics else {
            throw .admin("metadata of \(topic): the broker's answer has no topic")
        }
        let found = topics[0]
        guard found.err == RD_KAFKA_RESP_ERR_NO_ERROR, found.partition_cnt > 0 else {
            throw .admin("metadata of \(topic): \(rdErrorDescription(found.err))")
        }
        return found.partition_cnt
    }

    /// The low (first available) and high (next to be written) offsets of `partition`.
    ///
    /// Read from the watermarks a Fetch response carries (rd_kafka_get_watermark_offsets on a throwaway
    /// consumer that assigns the partition from the beginning, without joining any group), not from a
    /// ListOffsets request (rd_kafka_query_watermark_offsets): tansu answers ListOffsets LATEST with a
    /// wrong high watermark (observed: 1 for a partition of 271 records), while Fetch responses carry the
    /// right one. Costs one fetch of at most a few KB. `low` reads 0 if the broker's Fetch answer carries
    /// no log start offset.
    public static func watermarks(
        of partition: KafkaPartition, properties: KafkaProperties, timeoutMilliseconds: Int
    ) throws(KafkaError) -> (low: Int64, high: Int64) {
        let throwawayGroup = "wasmton-watermarks-\(UInt64.random(in: 0...UInt64.max))"
        let conf = try RdConfiguration.make(
            defaults: [("fetch.wait.max.ms", "50"), ("max.partition.fetch.bytes", "1024")],
            properties: properties.filter { $0.key != "group.instance.id" },
            forced: [
                ("group.id", throwawayGroup), ("enable.auto.commit", "false"), ("enable.partition.eof", "false"),
                ("auto.offset.reset", "earliest"),
            ])
        let rk = try RdConfiguration.newClient(RD_KAFKA_CONSUMER, conf)
        defer {
            _ = rd_kafka_consumer_close(rk)
            rd_kafka_destroy(rk)
        }
        let list = rd_kafka_topic_partition_list_new(1)!
        rd_kafka_topic_partition_list_add(list, partition.topic, partition.partition).pointee.offset =
            wasmton_rdk_offset_beginning
        let assigned = rd_kafka_assign(rk, list)
        rd_kafka_topic_partition_list_destroy(list)
        guard assigned == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw .admin("watermarks of \(partition): \(rdErrorDescription(assigned))")
        }
        let deadline = ContinuousClock.now + .milliseconds(max(0, timeoutMilliseconds))
        var lastError = RD_KAFKA_RESP_ERR_NO_ERROR
        repeat {
            if let message = rd_kafka_consumer_poll(rk, 20) {
                if message.pointee.err != RD_KAFKA_RESP_ERR_NO_ERROR && message.pointee.err != RD_KAFKA_RESP_ERR__PARTITION_EOF {
                    lastError = message.pointee.err
                }
                rd_kafka_message_destroy(message)
            }
            var low: Int64 = wasmton_rdk_offset_invalid
            var high: Int64 = wasmton_rdk_offset_invalid
            let err = rd_kafka_get_watermark_offsets(rk, partition.topic, partition.partition, &low, &high)
            if err == RD_KAFKA_RESP_ERR_NO_ERROR && high >= 0 {
                return (low: max(low, 0), high: high)
            }
        } while ContinuousClock.now < deadline
        let why = lastError == RD_KAFKA_RESP_ERR_NO_ERROR ? "" : " (last error: \(rdErrorDescription(lastError)))"
        throw .timedOut("watermarks of \(partition): no fetch answer within \(timeoutMilliseconds) ms\(why)")
    }
}

extension KafkaAdmin {
    /// The offset of the first record at or after `milliseconds` (since 1970) in each of
    /// `partitions`; a partition with no such record is absent. Asks the broker (ListOffsets by
    /// time) from a throwaway consumer that joins no group.
    public static func offsets(
        atTime milliseconds: Int64, of partitions: [KafkaPartition], properties: KafkaProperties, timeoutMilliseconds: Int
    ) throws(KafkaError) -> [KafkaPartition: Int64] {
        guard !partitions.isEmpty else { return [:] }
        let conf = try RdConfiguration.make(
            defaults: [],
            properties: properties.filter { $0.key != "group.instance.id" },
            forced: [
                ("group.id", "wasmton-offsets-\(UInt64.random(in: 0...UInt64.max))"), ("enable.auto.commit", "false"),
            ])
        let rk = try RdConfiguration.newClient(RD_KAFKA_CONSUMER, conf)
        defer { rd_kafka_destroy(rk) }
        let list = PartitionList.make(offsets: Dictionary(uniqueKeysWithValues: partitions.map { ($0, milliseconds) }))
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let err = rd_kafka_offsets_for_times(rk, list, Int32(clamping: max(1, timeoutMilliseconds)))
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw .admin(
                "offsets at time \(milliseconds) of \(partitions.map(\.description).joined(separator: ", ")): \(rdErrorDescription(err))"
            )
        }
        return PartitionList.offsets(list)
    }
}
