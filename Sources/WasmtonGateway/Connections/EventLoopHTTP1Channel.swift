import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1

/// Hummingbird's HTTP/1.1 child channel with a handler in front of Hummingbird's request loop
/// that answers the hot requests itself, on the connection's event loop.
///
/// The pipeline is NIO's HTTP/1 decoder and encoder, the ``ConnectionGuard``, the front handler
/// (working on NIO's own HTTP/1 parts, so its requests skip the conversion to Swift HTTP Types),
/// then Hummingbird's conversion and its async request loop for whatever the front handler
/// passes on. The front handler sees every request and response of the connection, so it also
/// keeps the connection's idle timeout and graceful close (Hummingbird's connection-state
/// handler, which would see only the requests passed on, is left out).
struct EventLoopHTTP1Channel: ServerChildChannel, HTTPChannelHandler {
    typealias Value = NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>

    let responder: HTTPChannelHandler.Responder
    /// Makes the connection's front handlers: the guard, then the responder.
    let handlers: @Sendable () -> [any RemovableChannelHandler]

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let pipeline = channel.pipeline.syncOperations
            try pipeline.configureHTTPServerPipeline(
                withPipeliningAssistance: false, withErrorHandling: false, withOutboundHeaderValidation: false)
            try pipeline.addHandlers(handlers())
            try pipeline.addHandler(HTTP1ToHTTPServerCodec(secure: false))
            return try NIOAsyncChannel(
                wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
        }
    }

    func handle(value: Value, logger: Logger) async {
        await handleHTTP(asyncChannel: value, logger: logger)
    }
}
