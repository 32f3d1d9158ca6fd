internal import CRdKafka

/// Builds an rd_kafka_conf_t from defaults, caller properties and forced settings, in that order.
///
/// Defaults are properties the caller may override; forced properties are what this module's design
/// depends on (e.g. manual commits) and are applied last. A default whose name librdkafka does not know
/// (e.g. `fetch.queue.backoff.ms` on librdkafka < 2.1) is skipped, since it only tunes speed.
enum RdConfiguration {
    /// A new configuration object the caller owns (pass it to rd_kafka_new, or destroy it on failure).
    static func make(
        defaults: KafkaProperties, properties: KafkaProperties, forced: KafkaProperties = []
    ) throws(KafkaError) -> OpaquePointer {
        guard let conf = rd_kafka_conf_new() else { throw .client("rd_kafka_conf_new failed") }
        do {
            for (key, value) in defaults {
                try set(conf, key, value, ignoreUnknown: true)
            }
            for (key, value) in properties {
                try set(conf, key, value, ignoreUnknown: false)
            }
            for (key, value) in forced {
                try set(conf, key, value, ignoreUnknown: false)
            }
        } catch {
            rd_kafka_conf_destroy(conf)
            throw error
        }
        return conf
    }

    /// Sets one property; throws `.configuration` with librdkafka's message if it is rejected.
    static func set(_ conf: OpaquePointer, _ key: String, _ value: String, ignoreUnknown: Bool) throws(KafkaError) {
        try withErrorBuffer { (buffer, size) throws(KafkaError) in
            let result = rd_kafka_conf_set(conf, key, value, buffer, size)
            if result == RD_KAFKA_CONF_OK || (ignoreUnknown && result == RD_KAFKA_CONF_UNKNOWN) {
                return
            }
            throw .configuration(key: key, message: String(cString: buffer))
        }
    }

    /// rd_kafka_new with `conf` (which it consumes on success; destroyed here on failure).
    static func newClient(_ type: rd_kafka_type_t, _ conf: OpaquePointer) throws(KafkaError) -> OpaquePointer {
        try withErrorBuffer { (buffer, size) throws(KafkaError) in
            guard let rk = rd_kafka_new(type, conf, buffer, size) else {
                rd_kafka_conf_destroy(conf)
                throw .client(String(cString: buffer))
            }
            return rk
        }
    }
}
