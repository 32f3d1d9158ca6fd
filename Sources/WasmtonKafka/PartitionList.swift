internal import CRdKafka

/// Conversions between Swift partitions and librdkafka's rd_kafka_topic_partition_list_t.
enum PartitionList {
    /// A new list (the caller destroys it) of `partitions`, offsets left unset.
    static func make(_ partitions: [KafkaPartition]) -> UnsafeMutablePointer<rd_kafka_topic_partition_list_t> {
        let list = rd_kafka_topic_partition_list_new(Int32(clamping: partitions.count))!
        for partition in partitions {
            _ = rd_kafka_topic_partition_list_add(list, partition.topic, partition.partition)
        }
        return list
    }

    /// A new list (the caller destroys it) of partitions with their offsets, sorted for stable logs.
    static func make(offsets: [KafkaPartition: Int64]) -> UnsafeMutablePointer<rd_kafka_topic_partition_list_t> {
        let list = rd_kafka_topic_partition_list_new(Int32(clamping: offsets.count))!
        let sorted = offsets.sorted { ($0.key.topic, $0.key.partition) < ($1.key.topic, $1.key.partition) }
        for (partition, offset) in sorted {
            rd_kafka_topic_partition_list_add(list, partition.topic, partition.partition).pointee.offset = offset
        }
        return list
    }

    /// The elements of `list` (nil reads as empty).
    static func elements(
        _ list: UnsafePointer<rd_kafka_topic_partition_list_t>?
    ) -> UnsafeBufferPointer<rd_kafka_topic_partition_t> {
        guard let list, list.pointee.cnt > 0, let elems = list.pointee.elems else {
            return UnsafeBufferPointer(start: nil, count: 0)
        }
        return UnsafeBufferPointer(start: elems, count: Int(list.pointee.cnt))
    }

    /// The partitions named in `list`.
    static func partitions(_ list: UnsafePointer<rd_kafka_topic_partition_list_t>?) -> [KafkaPartition] {
        elements(list).map { KafkaPartition(topic: String(cString: $0.topic), partition: $0.partition) }
    }

    /// The partitions in `list` whose offset is a real offset (>= 0) and whose error is unset.
    static func offsets(_ list: UnsafePointer<rd_kafka_topic_partition_list_t>?) -> [KafkaPartition: Int64] {
        var result: [KafkaPartition: Int64] = [:]
        for element in elements(list) where element.offset >= 0 && element.err == RD_KAFKA_RESP_ERR_NO_ERROR {
            result[KafkaPartition(topic: String(cString: element.topic), partition: element.partition)] = element.offset
        }
        return result
    }

    /// "topic/p: error" for every element whose error is set, joined by "; "; nil if none.
    static func errors(_ list: UnsafePointer<rd_kafka_topic_partition_list_t>?) -> String? {
        let failures = elements(list).filter { $0.err != RD_KAFKA_RESP_ERR_NO_ERROR }.map {
            "\(String(cString: $0.topic))/\($0.partition): \(rdErrorDescription($0.err))"
        }
        return failures.isEmpty ? nil : failures.joined(separator: "; ")
    }
}
