import HummingbirdCore
import Logging
import NIOCore
import NIOHTTPTypes

/// Hummingbird's HTTP/1.1 child channel with a ``ConnectionFront`` in front, which reads the
/// connection's requests from its bytes and lets its ``RequestTaker`` answer the hot ones on the
/// connection's event loop.
///
/// The pipeline is the front, the ``ConnectionGuard`` and Hummingbird's async request loop.
/// When the front first passes a request on, it puts NIO's HTTP/1 encoder and decoder, its
/// ``PassedRequestWatcher`` and Hummingbird's conversion to Swift HTTP Types in between. The
/// front sees every request of the connection, so it also keeps the connection's idle timeout
/// and graceful close (Hummingbird's connection-state handler, which would see only the
/// requests passed on, is left out).
struct EventLoopHTTP1Channel: ServerChildChannel, HTTPChannelHandler {
    typealias Value = NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>

    let responder: HTTPChannelHandler.Responder
    let counter: ConnectionCounter
    /// Makes the connection's front.
    let front: @Sendable () -> ConnectionFront

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let pipeline = channel.pipeline.syncOperations
            try pipeline.addHandlers([front(), ConnectionGuard(counter: counter)])
            return try NIOAsyncChannel(
                wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
        }
    }

    func handle(value: Value, logger: Logger) async {
        await handleHTTP(asyncChannel: value, logger: logger)
    }
}
