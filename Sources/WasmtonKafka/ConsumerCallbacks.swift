internal import CRdKafka
internal import Synchronization

/// What librdkafka's C callbacks of one consumer reach through their opaque pointer: the Swift handlers.
///
/// The rebalance, error and commit callbacks are served by whichever thread polls the consumer queue (or
/// closes the consumer), so the handlers sit behind a Mutex; they are copied out before being called, so a
/// handler may call back into the consumer. `clear()` drops them after the handle is destroyed, which
/// breaks reference cycles through closures that capture the consumer.
final class ConsumerCallbacks: Sendable {
    typealias RebalanceHandler = @Sendable (KafkaConsumer.RebalanceEvent) -> Void
    typealias ErrorHandler = @Sendable (KafkaError, Bool) -> Void
    typealias CommitHandler = @Sendable ([KafkaPartition: Int64], KafkaError?) -> Void

    private struct Handlers {
        var onRebalance: RebalanceHandler?
        var onError: ErrorHandler?
        var onCommit: CommitHandler?
    }

    private let handlers: Mutex<Handlers>

    init(onRebalance: @escaping RebalanceHandler, onError: @escaping ErrorHandler, onCommit: CommitHandler?) {
        handlers = Mutex(Handlers(onRebalance: onRebalance, onError: onError, onCommit: onCommit))
    }

    /// Drops the handlers (after the handle is gone nothing can call them).
    func clear() {
        handlers.withLock { $0 = Handlers() }
    }

    func reportError(_ error: KafkaError, fatal: Bool) {
        let handler = handlers.withLock { $0.onError }
        handler?(error, fatal)
    }

    /// librdkafka's rebalance callback: tell the handler, then (un)assign as the protocol requires.
    func rebalance(
        _ rk: OpaquePointer, _ err: rd_kafka_resp_err_t, _ list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
    ) {
        let cooperative = rd_kafka_rebalance_protocol(rk).map { String(cString: $0) } == "COOPERATIVE"
        let partitions = PartitionList.partitions(list)
        let handler = handlers.withLock { $0.onRebalance }
        switch err {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
            handler?(.assigned(partitions))
            if cooperative {
                if let error = rd_kafka_incremental_assign(rk, list) {
                    reportError(.transient("incremental assign: \(String(cString: rd_kafka_error_string(error)))"), fatal: false)
                    rd_kafka_error_destroy(error)
                }
            } else {
                let result = rd_kafka_assign(rk, list)
                if result != RD_KAFKA_RESP_ERR_NO_ERROR {
                    reportError(.transient("assign: \(rdErrorDescription(result))"), fatal: false)
                }
            }
        case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
            handler?(.revoked(partitions))
            if cooperative {
                if let error = rd_kafka_incremental_unassign(rk, list) {
                    reportError(
                        .transient("incremental unassign: \(String(cString: rd_kafka_error_string(error)))"), fatal: false)
                    rd_kafka_error_destroy(error)
                }
            } else {
                _ = rd_kafka_assign(rk, nil)
            }
        default:
            reportError(.transient("rebalance failed: \(rdErrorDescription(err))"), fatal: false)
            _ = rd_kafka_assign(rk, nil)
        }
    }

    /// librdkafka's error callback: fatal errors carry the detail from rd_kafka_fatal_error.
    func error(_ rk: OpaquePointer, _ code: Int32, _ reason: String) {
        if code == RD_KAFKA_RESP_ERR__FATAL.rawValue {
            let detail =
                (try? withErrorBuffer { (buffer, size) in
                    let original = rd_kafka_fatal_error(rk, buffer, size)
                    return "\(String(cString: buffer)) (\(String(cString: rd_kafka_err2name(original))))"
                }) ?? reason
            reportError(.fatal(detail), fatal: true)
        } else {
            let name = String(cString: rd_kafka_err2name(rd_kafka_resp_err_t(rawValue: code)))
            reportError(.transient("\(reason) (\(name))"), fatal: false)
        }
    }

    /// The result of one asynchronous commit (rd_kafka_commit_queue on the consumer queue).
    func committed(_ err: rd_kafka_resp_err_t, _ list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?) {
        var offsets: [KafkaPartition: Int64] = [:]
        for element in PartitionList.elements(list) {
            offsets[KafkaPartition(topic: String(cString: element.topic), partition: element.partition)] = element.offset
        }
        var failure: KafkaError?
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            failure = .commit("asynchronous commit: \(rdErrorDescription(err))")
        } else if let partitionErrors = PartitionList.errors(list) {
            failure = .commit("asynchronous commit: \(partitionErrors)")
        }
        let handler = handlers.withLock { $0.onCommit }
        handler?(offsets, failure)
        if let failure {
            reportError(failure, fatal: false)
        }
    }
}

/// The opaque pointer set with rd_kafka_conf_set_opaque, back as the callbacks object.
private func callbacks(_ opaque: UnsafeMutableRawPointer?) -> ConsumerCallbacks? {
    opaque.map { Unmanaged<ConsumerCallbacks>.fromOpaque($0).takeUnretainedValue() }
}

/// C entry point for rd_kafka_conf_set_rebalance_cb.
let consumerRebalanceCallback:
    @convention(c) (
        OpaquePointer?, rd_kafka_resp_err_t, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?,
        UnsafeMutableRawPointer?
    ) -> Void = { rk, err, list, opaque in
        guard let rk, let target = callbacks(opaque) else { return }
        target.rebalance(rk, err, list)
    }

/// C entry point for rd_kafka_conf_set_error_cb.
let consumerErrorCallback: @convention(c) (OpaquePointer?, Int32, UnsafePointer<CChar>?, UnsafeMutableRawPointer?) -> Void = {
    rk, code, reason, opaque in
    guard let rk, let target = callbacks(opaque) else { return }
    target.error(rk, code, reason.map { String(cString: $0) } ?? "unknown error")
}

/// C entry point for rd_kafka_commit_queue's per-commit callback (opaque: the callbacks object).
let consumerCommitCallback:
    @convention(c) (
        OpaquePointer?, rd_kafka_resp_err_t, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?,
        UnsafeMutableRawPointer?
    ) -> Void = { _, err, list, opaque in
        callbacks(opaque)?.committed(err, list)
    }
