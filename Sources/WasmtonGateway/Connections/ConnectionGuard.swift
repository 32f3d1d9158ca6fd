import Logging
import NIOCore
import Synchronization

/// Counts a server's open connections and refuses those past the limit.
final class ConnectionCounter: Sendable {
    let limit: Int
    private let open = Atomic<Int>(0)
    /// Refused connections not yet logged, so a flood is one log line a second, not one a connection.
    private let unreported = Atomic<Int>(0)
    private let lastReport = Mutex<ContinuousClock.Instant?>(nil)
    private let logger: Logger

    init(limit: Int, logger: Logger) {
        self.limit = limit
        self.logger = logger
    }

    /// Takes a place for a new connection; false (nothing taken) when the limit is reached.
    func admit() -> Bool {
        let now = open.add(1, ordering: .relaxed).newValue
        guard now > limit else { return true }
        open.subtract(1, ordering: .relaxed)
        unreported.add(1, ordering: .relaxed)
        let due = lastReport.withLock { last -> Bool in
            let clock = ContinuousClock.now
            guard last.map({ clock - $0 >= .seconds(1) }) ?? true else { return false }
            last = clock
            return true
        }
        if due {
            let refused = unreported.exchange(0, ordering: .relaxed)
            logger.warning(
                "connection limit reached: \(limit) connections open, closed \(refused) new one\(refused == 1 ? "" : "s") (raise --max-connections)"
            )
        }
        return false
    }

    func release() {
        open.subtract(1, ordering: .relaxed)
    }
}

/// Takes a place in the server's ``ConnectionCounter`` when a connection is set up, closes it
/// at once when there is none, and gives the place back when the connection goes.
final class ConnectionGuard: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = NIOAny

    private let counter: ConnectionCounter
    /// Whether this connection holds a place (set once, on the connection's event loop).
    private let admitted = Atomic<Bool>(false)

    init(counter: ConnectionCounter) {
        self.counter = counter
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if counter.admit() {
            admitted.store(true, ordering: .relaxed)
        } else {
            context.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        if admitted.exchange(false, ordering: .relaxed) { counter.release() }
    }
}
