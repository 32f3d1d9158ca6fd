import HummingbirdCore
import Logging
import NIOCore

/// How long a client connection may sit without a request and how many may be open at once, as
/// nginx's `keepalive_timeout`/`client_header_timeout` and `worker_connections` bound them.
///
/// Without these a client that opens connections and never finishes a request (or goes quiet
/// between requests) holds them forever; a slow-loris attack needs nothing more.
public struct ConnectionLimits: Sendable, Equatable {
    /// A connection that has no request in progress, or has sent only part of a request's head,
    /// for this long is closed. A request being answered is never cut by it.
    public var idleTimeout: Duration
    /// Connections open at once; one more is closed as soon as it is accepted, with a log line.
    public var maxConnections: Int

    public init(idleTimeout: Duration = .seconds(60), maxConnections: Int = 10_000) {
        self.idleTimeout = idleTimeout
        self.maxConnections = max(1, maxConnections)
    }

    /// The HTTP/1.1 server with these limits, for Hummingbird's `Application`: every request
    /// goes to Hummingbird.
    func server(logger: Logger) -> HTTPServerBuilder {
        let counter = ConnectionCounter(limit: maxConnections, logger: logger)
        return .http1(
            configuration: .init(
                additionalChannelHandlers: [ConnectionGuard(counter: counter)], idleTimeout: TimeAmount(idleTimeout)))
    }

    /// The HTTP/1.1 server with these limits whose connections each read their requests with a
    /// ``ConnectionFront`` and a ``RequestTaker`` from `taker` (see ``EventLoopHTTP1Channel``):
    /// the requests the taker does not answer go to Hummingbird. The front keeps the idle timeout.
    func server(logger: Logger, taker: @escaping @Sendable () -> any RequestTaker) -> HTTPServerBuilder {
        let counter = ConnectionCounter(limit: maxConnections, logger: logger)
        return HTTPServerBuilder { hummingbird in
            EventLoopHTTP1Channel(responder: hummingbird, counter: counter) {
                ConnectionFront(taker: taker(), idleTimeout: idleTimeout)
            }
        }
    }
}
