import NIOCore
import NIOHTTP1

/// One keep-alive connection to the upstream, on the event loop of the client connections it
/// serves (``UpstreamPool``): the last handler of its channel, after NIO's response parser
/// (``UpstreamResponseDecoder``). It writes requests as bytes, carries one exchange at a time
/// to its ``delegate``, and can stop reading while the client cannot take more (back-pressure
/// from the client to the upstream).
final class UpstreamConnection: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let pool: UpstreamPool
    private let responses: UpstreamResponseDecoder
    private var context: ChannelHandlerContext?
    /// The exchange using the connection (nil while it is idle in the pool).
    weak var delegate: (any UpstreamDelegate)?
    /// Handed out from the pool's idle connections (not opened for this exchange).
    var reused = false
    /// The last response allowed the connection to be kept (`connection: close` and HTTP/1.0 did not).
    private(set) var keepAlive = true
    private(set) var isClosed = false
    private var readsPaused = false
    private var pendingRead = false
    /// The pool has been told the connection is gone.
    private var reported = false
    /// The request in progress sends its body in chunks (its head said so).
    private var chunkedRequest = false

    init(pool: UpstreamPool, responses: UpstreamResponseDecoder) {
        self.pool = pool
        self.responses = responses
    }

    /// Open and not closing: can carry a request.
    var isUsable: Bool { !isClosed && (context?.channel.isActive ?? false) }
    var isWritable: Bool { context?.channel.isWritable ?? false }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            keepAlive = head.isKeepAlive
            delegate?.upstreamHead(head)
        case .body(let body):
            delegate?.upstreamBody(body)
        case .end:
            delegate?.upstreamEnd()
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        delegate?.upstreamReadComplete()
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        ended(UpstreamConnectionError.closed)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        ended(error)
        context.close(promise: nil)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { delegate?.upstreamWritable() }
        context.fireChannelWritabilityChanged()
    }

    func read(context: ChannelHandlerContext) {
        if readsPaused {
            pendingRead = true
        } else {
            context.read()
        }
    }

    /// Stops reading from the upstream until ``resumeReads()``.
    func pauseReads() {
        readsPaused = true
    }

    func resumeReads() {
        guard readsPaused else { return }
        readsPaused = false
        if pendingRead, let context {
            pendingRead = false
            context.read()
        }
    }

    /// Sends a request's head (and tells the response parser its method); the body that
    /// follows is framed as the head says.
    func send(_ head: UpstreamRequestHead, flush: Bool) {
        guard let context else { return }
        responses.sent(head.method)
        chunkedRequest = head.chunked
        write(head.bytes.buffer, flush: flush, context: context)
    }

    /// Sends a part of the request's body: as it is, or as one chunk.
    func send(body: ByteBuffer, flush: Bool) {
        guard let context, body.readableBytes > 0 else { return }
        if chunkedRequest {
            var size = context.channel.allocator.buffer(capacity: 18)
            size.writeString(String(body.readableBytes, radix: 16))
            size.writeStaticString("\r\n")
            write(size, flush: false, context: context)
            write(body, flush: false, context: context)
            write(ByteBuffer(staticString: "\r\n"), flush: flush, context: context)
        } else {
            write(body, flush: flush, context: context)
        }
    }

    /// Ends the request: the last chunk for a chunked body; a sized one ended with its bytes.
    func sendEnd() {
        guard let context else { return }
        if chunkedRequest {
            write(ByteBuffer(staticString: "0\r\n\r\n"), flush: true, context: context)
        } else {
            context.flush()
        }
    }

    private func write(_ buffer: ByteBuffer, flush: Bool, context: ChannelHandlerContext) {
        if flush {
            context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
        } else {
            context.write(wrapOutboundOut(buffer), promise: nil)
        }
    }

    func flush() {
        context?.flush()
    }

    func close() {
        guard !isClosed else { return }
        isClosed = true
        delegate = nil
        context?.close(promise: nil)
    }

    /// The connection is gone: tells the exchange (if any) and the pool, once.
    private func ended(_ error: any Error) {
        isClosed = true
        let delegate = self.delegate
        self.delegate = nil
        delegate?.upstreamFailed(error)
        if !reported {
            reported = true
            pool.connectionClosed(self)
        }
    }
}
