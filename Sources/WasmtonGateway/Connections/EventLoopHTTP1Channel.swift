import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1

/// Hummingbird's HTTP/1.1 child channel with an ``EventLoopResponder`` in front of NIO's HTTP/1
/// decoder, which answers the hot requests itself, from the connection's bytes, on its event loop.
///
/// The pipeline is the responder, the ``ConnectionGuard`` and Hummingbird's async request loop.
/// When the responder first passes a request on, it puts NIO's HTTP/1 encoder and decoder, its
/// ``PassedRequestWatcher`` and Hummingbird's conversion to Swift HTTP Types in between. The responder sees
/// every request of the connection, so it also keeps the connection's idle timeout and graceful
/// close (Hummingbird's connection-state handler, which would see only the requests passed on,
/// is left out).
struct EventLoopHTTP1Channel: ServerChildChannel, HTTPChannelHandler {
    typealias Value = NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>

    let responder: HTTPChannelHandler.Responder
    let counter: ConnectionCounter
    /// Makes the connection's responder.
    let front: @Sendable () -> EventLoopResponder

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let pipeline = channel.pipeline.syncOperations
            // NIO's HTTP/1 handlers, the watcher and the conversion go in after the responder when
            // it first passes a request on.
            try pipeline.addHandlers([front(), ConnectionGuard(counter: counter)])
            return try NIOAsyncChannel(
                wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
        }
    }

    func handle(value: Value, logger: Logger) async {
        await handleHTTP(asyncChannel: value, logger: logger)
    }
}
