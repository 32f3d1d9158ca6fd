internal import CRdKafka

/// A librdkafka object pointer (rd_kafka_t, rd_kafka_queue_t) that may cross threads.
///
/// Why `@unchecked Sendable` is sound: librdkafka documents its client handle and queue handles as
/// thread-safe for every call this module makes through them (poll, consume, commit, produce, pause,
/// assignment, flush, purge), and this wrapper is immutable. What is *not* thread-safe is the end of
/// the object's life: every owner destroys its pointers exactly once, and only after `HandleLease`
/// (or the producer's poll thread) has proved that no other call is still using them.
struct RdPointer: @unchecked Sendable {
    /// The C pointer.
    let raw: OpaquePointer
}

/// librdkafka's text for an error code, e.g. "Local: Broker transport failure".
func rdErrorString(_ err: rd_kafka_resp_err_t) -> String {
    String(cString: rd_kafka_err2str(err))
}

/// librdkafka's text and name for an error code, e.g. "Local: Timed out (_TIMED_OUT)".
func rdErrorDescription(_ err: rd_kafka_resp_err_t) -> String {
    "\(String(cString: rd_kafka_err2str(err))) (\(String(cString: rd_kafka_err2name(err))))"
}

/// A fresh buffer for librdkafka's `errstr` out-parameters.
func withErrorBuffer<R>(_ body: (UnsafeMutablePointer<CChar>, Int) throws(KafkaError) -> R) throws(KafkaError) -> R {
    let size = 512
    let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: size)
    buffer.initialize(repeating: 0, count: size)
    defer { buffer.deallocate() }
    return try body(buffer, size)
}
