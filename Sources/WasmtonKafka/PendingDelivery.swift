internal import CRdKafka

/// One message's delivery callback, passed through librdkafka as the message opaque.
///
/// Ownership: `send` retains the box once (`passRetained`) and hands the pointer to librdkafka; exactly one
/// of two places takes that reference back: the delivery-report callback (which then calls the closure), or
/// `send` itself when librdkafka did not accept the message (the closure is then not called; `send` throws).
final class PendingDelivery: Sendable {
    typealias Handler = @Sendable (Result<(partition: Int32, offset: Int64), KafkaError>) -> Void

    let handler: Handler

    init(_ handler: @escaping Handler) {
        self.handler = handler
    }
}

/// C entry point for rd_kafka_conf_set_dr_msg_cb: report the result, release the box.
let producerDeliveryCallback:
    @convention(c) (OpaquePointer?, UnsafePointer<rd_kafka_message_t>?, UnsafeMutableRawPointer?) -> Void = {
        _, message, _ in
        guard let message, let opaque = message.pointee._private else { return }
        let box = Unmanaged<PendingDelivery>.fromOpaque(opaque).takeRetainedValue()
        let m = message.pointee
        if m.err == RD_KAFKA_RESP_ERR_NO_ERROR {
            box.handler(.success((partition: m.partition, offset: m.offset)))
        } else {
            let topic = m.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? "?"
            box.handler(.failure(.produce("delivery to \(topic)/\(m.partition) failed: \(rdErrorDescription(m.err))")))
        }
    }
