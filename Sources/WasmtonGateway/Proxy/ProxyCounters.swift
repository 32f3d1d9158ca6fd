import Synchronization

/// How the proxy's requests went, for tests and benchmarks: which path answered them and how
/// many upstream connections were opened.
final class ProxyCounters: Sendable {
    /// Requests answered on the event loop (``ProxyConnection``).
    let direct = Atomic<Int>(0)
    /// Requests passed on to the Hummingbird path.
    let passedOn = Atomic<Int>(0)
    /// Upstream connections the event-loop path opened.
    let upstreamConnects = Atomic<Int>(0)
}

extension FilteringProxy {
    /// A snapshot of `ProxyCounters`.
    public struct Statistics: Sendable, Equatable {
        /// Requests answered on the event loop, without Hummingbird's request task.
        public var direct: Int
        /// Requests that took the Hummingbird path (filters on guest threads, AsyncHTTPClient).
        public var passedOn: Int
        /// Upstream connections opened by the event-loop path.
        public var upstreamConnects: Int
    }

    /// How requests have gone so far.
    public var statistics: Statistics {
        Statistics(
            direct: counters.direct.load(ordering: .relaxed), passedOn: counters.passedOn.load(ordering: .relaxed),
            upstreamConnects: counters.upstreamConnects.load(ordering: .relaxed))
    }
}
