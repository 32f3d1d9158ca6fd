// CRdKafka: librdkafka's C API for Swift (SwiftPM system library target).
//
// Built and linked against Debian's librdkafka-dev (2.0.2 headers, NEEDED
// librdkafka.so.1). At run time against tansu, put librdkafka >= 2.2 first on
// LD_LIBRARY_PATH (scripts/kafka-env.sh does: the confluent-kafka wheel's 2.16).
// So: use only API present in the 2.0.2 headers; newer behaviour comes free.
//
// Swift cannot call C variadic functions (rd_kafka_producev) nor import
// function-like or cast macros (RD_KAFKA_V_*, RD_KAFKA_PARTITION_UA), hence the
// few static inline helpers below.
#ifndef WASMTON_CRDKAFKA_SHIM_H
#define WASMTON_CRDKAFKA_SHIM_H

#include <stddef.h>
#include <stdint.h>
#include <librdkafka/rdkafka.h>

/// RD_KAFKA_PARTITION_UA: let the partitioner choose.
static const int32_t wasmton_rdk_partition_ua = RD_KAFKA_PARTITION_UA;
/// Logical offsets (RD_KAFKA_OFFSET_*).
static const int64_t wasmton_rdk_offset_beginning = RD_KAFKA_OFFSET_BEGINNING;
static const int64_t wasmton_rdk_offset_end = RD_KAFKA_OFFSET_END;
static const int64_t wasmton_rdk_offset_stored = RD_KAFKA_OFFSET_STORED;
static const int64_t wasmton_rdk_offset_invalid = RD_KAFKA_OFFSET_INVALID;

/// rd_kafka_producev(topic, partition, key, value, headers, opaque) with
/// RD_KAFKA_MSG_F_COPY (key and value are copied before return).
/// `headers` may be NULL; on success librdkafka owns them, on failure the
/// caller still does (rd_kafka_headers_destroy). `partition` may be
/// wasmton_rdk_partition_ua. Returns RD_KAFKA_RESP_ERR__QUEUE_FULL when the
/// local queue is full: poll (serve delivery reports) and retry.
static inline rd_kafka_resp_err_t wasmton_rdk_produce(rd_kafka_t *rk, const char *topic, int32_t partition,
                                                      const void *key, size_t key_len, const void *value,
                                                      size_t value_len, rd_kafka_headers_t *headers,
                                                      void *msg_opaque) {
    if (headers)
        return rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
                                 RD_KAFKA_V_KEY(key, key_len), RD_KAFKA_V_VALUE((void *)value, value_len),
                                 RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(headers),
                                 RD_KAFKA_V_OPAQUE(msg_opaque), RD_KAFKA_V_END);
    return rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
                             RD_KAFKA_V_KEY(key, key_len), RD_KAFKA_V_VALUE((void *)value, value_len),
                             RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(msg_opaque),
                             RD_KAFKA_V_END);
}

#endif
