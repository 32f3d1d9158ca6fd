import NIOCore
import Synchronization

/// The proxy's state per event loop: its upstream pool and the filter worker whose VMs its
/// requests use. Made the first time a connection on that loop asks.
final class ProxyLoops: Sendable {
    /// One event loop's share.
    final class Loop: Sendable {
        let eventLoop: any EventLoop
        /// The filter worker (VM slot) of this loop's requests.
        let slot: Int
        let pool: NIOLoopBound<UpstreamPool>
        let dates: NIOLoopBound<HTTPDateCache>

        init(eventLoop: any EventLoop, slot: Int, pool: UpstreamPool) {
            self.eventLoop = eventLoop
            self.slot = slot
            self.pool = NIOLoopBound(pool, eventLoop: eventLoop)
            self.dates = NIOLoopBound(HTTPDateCache(), eventLoop: eventLoop)
        }
    }

    private let settings: UpstreamPool.Settings
    private let counters: ProxyCounters
    private let loops = Mutex<[ObjectIdentifier: Loop]>([:])

    init(settings: UpstreamPool.Settings, counters: ProxyCounters) {
        self.settings = settings
        self.counters = counters
    }

    /// The share of `eventLoop`; call on that loop.
    func loop(for eventLoop: any EventLoop) -> Loop {
        loops.withLock { loops in
            let id = ObjectIdentifier(eventLoop)
            if let loop = loops[id] { return loop }
            let loop = Loop(
                eventLoop: eventLoop, slot: loops.count,
                pool: UpstreamPool(eventLoop: eventLoop, settings: settings, counters: counters))
            loops[id] = loop
            return loop
        }
    }

    /// Closes every loop's idle upstream connections and refuses new exchanges.
    func shutdown() {
        for loop in loops.withLock({ Array($0.values) }) {
            loop.eventLoop.execute { loop.pool.value.shutdown() }
        }
    }
}
