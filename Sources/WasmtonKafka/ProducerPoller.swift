internal import CRdKafka
internal import Dispatch
internal import Foundation
internal import Synchronization

/// The producer's one background thread: serves delivery reports (rd_kafka_poll) until close, then
/// flushes, purges what is left (so every delivery callback runs once) and destroys the handle.
///
/// Only this thread ever serves delivery reports (the producer never calls rd_kafka_poll or rd_kafka_flush
/// elsewhere), so `onDelivery` always runs here, and `close()` from inside it can be recognised and must
/// not wait for this thread.
final class ProducerPoller: Sendable {
    private let rk: RdPointer
    let lease = HandleLease()
    private let thread = Mutex<pthread_t?>(nil)
    private let exited = DispatchSemaphore(value: 0)
    private let closeFlushMilliseconds: Int

    init(rk: RdPointer, closeFlushMilliseconds: Int) {
        self.rk = rk
        self.closeFlushMilliseconds = closeFlushMilliseconds
    }

    /// Starts the thread.
    func start() {
        Thread.detachNewThread { [self] in
            run()
        }
    }

    /// True on the poll thread (i.e. inside a delivery callback).
    var isCurrentThread: Bool {
        thread.withLock { stored in stored.map { pthread_equal($0, pthread_self()) != 0 } ?? false }
    }

    /// Stops the thread (it finishes the close) and, unless called on that thread, waits for it.
    func close() {
        _ = lease.requestClose()
        if isCurrentThread { return }
        exited.wait()
        exited.signal()  // a latch: let any other closer through too
    }

    private func run() {
        thread.withLock { $0 = pthread_self() }
        while lease.phase == .open {
            _ = rd_kafka_poll(rk.raw, 100)
        }
        lease.finish()  // no send or flush still in flight
        let deadline = ContinuousClock.now + .milliseconds(closeFlushMilliseconds)
        while rd_kafka_outq_len(rk.raw) > 0 && ContinuousClock.now < deadline {
            _ = rd_kafka_poll(rk.raw, 50)
        }
        if rd_kafka_outq_len(rk.raw) > 0 {
            // Undelivered: fail them now, so each delivery callback runs (and its box is released) once.
            _ = rd_kafka_purge(rk.raw, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT)
            let purgeDeadline = ContinuousClock.now + .seconds(2)
            while rd_kafka_outq_len(rk.raw) > 0 && ContinuousClock.now < purgeDeadline {
                _ = rd_kafka_poll(rk.raw, 50)
            }
        }
        _ = rd_kafka_poll(rk.raw, 0)
        rd_kafka_destroy(rk.raw)
        exited.signal()
    }
}
