import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// The proxy's handler on each client connection, between Hummingbird's connection-state
/// handler and its request loop (``ConnectionLimits/server(logger:direct:)``): answers the
/// requests ``DirectProxy/admits(_:)`` takes right here on the event loop (a
/// ``ProxyExchange`` each, no Swift task, no AsyncHTTPClient), and passes every other request
/// on to Hummingbird's path, which stays the complete one.
///
/// Responses leave in request order: while Hummingbird has a passed-on request in flight (its
/// response's end not yet written, counted in ``write(context:data:promise:)``), later
/// requests are passed on too; while an exchange of this handler is answering, later requests
/// are held (and the client not read) and replayed once it is done.
final class ProxyConnectionHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let proxy: DirectProxy
    private var context: ChannelHandlerContext?
    private var loop: ProxyLoops.Loop?
    private var source: (address: String, port: Int)?
    /// Requests passed on whose response has not ended yet.
    private var passedOn = 0
    /// The body of a passed-on request is still arriving: its parts go on too.
    private var passingBody = false
    /// This handler's exchange in progress.
    private var exchange: ProxyExchange?
    /// The rest of a request whose exchange ended before its body did: dropped.
    private var discardingBody = false
    /// Whether the request being answered asked to close the connection after it.
    private var closeAfterExchange = false
    private var held = CircularBuffer<HTTPRequestPart>()
    private var replaying = false
    private var pendingRead = false
    /// The connection's timer for its exchanges' upstream deadlines (at most one pending).
    private var deadlineTimer: Scheduled<Void>?
    /// Parts went on to Hummingbird since the last read-complete it was given: its request
    /// loop takes reads in batches, at a read-complete, so replayed parts need one of their own.
    private var firedSinceComplete = false

    init(proxy: DirectProxy) {
        self.proxy = proxy
    }

    var isWritable: Bool { context?.channel.isWritable ?? false }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        loop = proxy.loops.loop(for: context.eventLoop)
        if let remote = context.channel.remoteAddress, let address = remote.ipAddress {
            source = (address, remote.port ?? 0)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadlineTimer?.cancel()
        deadlineTimer = nil
        exchange?.abandon()
        exchange = nil
        self.context = nil
    }

    // MARK: - Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        route(unwrapInboundIn(data))
    }

    private func route(_ part: HTTPRequestPart) {
        guard let context else { return }
        if passingBody {
            if case .end = part { passingBody = false }
            fire(part, context)
            return
        }
        if discardingBody {
            if case .end = part { discardingBody = false }
            return
        }
        if let exchange, !exchange.requestEnded {
            exchange.requestBody(part)
            return
        }
        if exchange != nil || (!held.isEmpty && !replaying) {
            held.append(part)
            return
        }
        guard case .head(let head) = part else {
            fire(part, context)
            return
        }
        let framing = ProxyRequestFraming(head.headerFields)
        if passedOn == 0, let loop, proxy.admits(head, framing) {
            proxy.counters.direct.add(1, ordering: .relaxed)
            closeAfterExchange = framing.asksToClose
            let exchange = ProxyExchange(
                owner: self, proxy: proxy, loop: loop, request: head, chunked: framing.chunked, source: source)
            self.exchange = exchange
            // A request without a body starts at its end (next in the same read), so its head
            // and end go upstream in one write; one with a body streams from here.
            if framing.hasBody { exchange.start() }
            return
        }
        proxy.counters.passedOn.add(1, ordering: .relaxed)
        passedOn += 1
        passingBody = true
        fire(part, context)
    }

    private func fire(_ part: HTTPRequestPart, _ context: ChannelHandlerContext) {
        firedSinceComplete = true
        context.fireChannelRead(wrapInboundOut(part))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        firedSinceComplete = false
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        exchange?.abandon()
        exchange = nil
        held.removeAll()
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { exchange?.clientWritable() }
        context.fireChannelWritabilityChanged()
    }

    // MARK: - Outbound

    /// Hummingbird's writes, for the requests passed on: counts their ends.
    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { passedOn -= 1 }
        context.write(data, promise: promise)
    }

    func read(context: ChannelHandlerContext) {
        if !held.isEmpty || (exchange?.holdsClientBack ?? false) {
            pendingRead = true
        } else {
            context.read()
        }
    }

    /// Reads the client again if a read was held back and nothing holds it any more.
    func resumeReads() {
        guard pendingRead, held.isEmpty, !(exchange?.holdsClientBack ?? false), let context else { return }
        pendingRead = false
        context.read()
    }

    // MARK: - For the exchange

    func write(_ part: HTTPResponsePart) {
        context?.write(wrapOutboundOut(part), promise: nil)
    }

    func flush() {
        context?.flush()
    }

    /// Makes sure the connection's timer fires by `deadline`. Exchanges on a connection come one
    /// after another with the same timeout, so a pending timer is never later than a new one's
    /// deadline; when it fires it times out the exchange then in progress if that one is due,
    /// else waits for its deadline.
    func watch(_ deadline: NIODeadline) {
        guard deadlineTimer == nil, let context else { return }
        deadlineTimer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            deadlineTimer = nil
            guard let exchange, let due = exchange.deadline else { return }
            if due <= .now() {
                exchange.timedOut()
            } else {
                watch(due)
            }
        }
    }

    func closeConnection() {
        context?.close(promise: nil)
    }

    /// The exchange's answer has been written: flushes it, then goes on with held requests.
    func exchangeFinished(_ finished: ProxyExchange) {
        guard let context else { return }
        context.flush()
        guard exchange === finished else { return }
        if !finished.requestEnded {
            // Its answer went before its body ended (a filter's, or an error): skip the rest.
            discardingBody = true
        }
        exchange = nil
        if closeAfterExchange {
            context.close(promise: nil)
            return
        }
        replayHeld()
        resumeReads()
    }

    /// Runs the held parts through ``route(_:)`` until one starts an exchange that is still answering.
    private func replayHeld() {
        guard !replaying else { return }
        replaying = true
        defer { replaying = false }
        while let part = held.first {
            if let exchange, exchange.requestEnded { break }
            held.removeFirst()
            route(part)
        }
        if firedSinceComplete, let context {
            firedSinceComplete = false
            context.fireChannelReadComplete()
        }
    }
}
