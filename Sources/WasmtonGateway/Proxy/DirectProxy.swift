import HTTPTypes
import NIOCore
import Tracing

/// What the proxy's event-loop path shares across connections: the settings, the filter chain,
/// the per-loop upstream pools, and which requests the path takes.
///
/// The path takes a request only when it can do exactly what the Hummingbird path
/// (``FilteringProxy``'s responder with ``FilterPassage``) would: the others are passed on to
/// that path, decided from the head alone, before any filter has run.
final class DirectProxy: Sendable {
    let chain: FilterChain?
    let upstream: FilteringProxy.Upstream
    let upstreamTimeout: Duration
    let maxBodyBytes: Int
    let loops: ProxyLoops
    let counters: ProxyCounters
    /// A tracer is bootstrapped: requests need the Hummingbird path's spans.
    let traced: Bool

    init(configuration: FilteringProxy.Configuration, chain: FilterChain?, counters: ProxyCounters) {
        self.chain = chain
        upstream = configuration.upstream
        upstreamTimeout = configuration.upstreamTimeout
        maxBodyBytes = configuration.maxBodyBytes
        self.counters = counters
        traced = !(InstrumentationSystem.tracer is NoOpTracer)
        loops = ProxyLoops(
            settings: UpstreamPool.Settings(
                host: configuration.upstream.host, port: configuration.upstream.port,
                maxConnections: configuration.upstreamConnectionsPerLoop,
                connectTimeout: min(configuration.upstreamTimeout, .seconds(10))),
            counters: counters)
    }

    /// Whether this path answers a request with `head`. Not: tracing on; HEAD, CONNECT,
    /// `expect` (100-continue) and `upgrade` requests; with filters, a request with a body (a
    /// body callback may pause, rewrite or answer mid-body) or a chain whose callbacks have not
    /// lately been quick enough to run on the event loop.
    func admits(_ head: HTTPRequest) -> Bool {
        admits(head, ProxyRequestFraming(head.headerFields))
    }

    /// ``admits(_:)`` with the request's headers already read.
    func admits(_ head: HTTPRequest, _ framing: ProxyRequestFraming) -> Bool {
        guard !traced, head.method != .head, head.method != .connect else { return false }
        guard !framing.expects, !framing.upgrades else { return false }
        guard let chain else { return true }
        guard chain.inline.isOpen else { return false }
        return !framing.hasBody
    }

    /// The taker of a new client connection's requests (``ConnectionLimits/server(logger:taker:)``).
    func connection() -> ProxyConnection {
        ProxyConnection(proxy: self)
    }

    func shutdown() {
        loops.shutdown()
    }
}
