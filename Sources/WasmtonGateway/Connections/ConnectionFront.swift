import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypesHTTP1

/// Answers the gateway's hot requests (`POST /v1/{module}/{operation}`, the default route, the
/// probes) on the connection's event loop, from the bytes read to the bytes written: no HTTP
/// decoder or encoder, no header collections, no Swift task and no thread hop per request, as
/// nginx and Node answer.
///
/// It is the first handler of ``EventLoopHTTP1Channel``, in front of NIO's HTTP/1 decoder (which
/// it adds to the pipeline when a first request goes there). It reads each request's head itself (``RequestHead``) and answers the ones a ``DirectRequest``
/// takes, with one write of status line, headers and body. Every other request's bytes go on,
/// unchanged, to NIO's decoder and from there to Hummingbird's router; a head this reader does
/// not take at all (chunked bodies, protocol upgrades, anything unusual) hands the rest of the
/// connection to NIO's decoder.
///
/// Answers keep the order of requests. A call that cannot finish in a time slice here
/// (``FunctionPool/callHere(_:payload:)``) runs on a guest thread and its answer comes back to the
/// event loop; meanwhile the connection's later requests wait (and the socket is not read).
/// While a request passed to Hummingbird has not been answered (``PassedRequestWatcher`` counts
/// them), later requests follow it there.
///
/// Seeing every request of its connection, it keeps the connection's rules for both paths, as
/// Hummingbird's connection-state handler would: the idle timeout (a connection with no request
/// in progress, or only part of one, is closed after it) and the graceful close on shutdown
/// (closed now if idle, else after the answers in progress).
///
/// The gateway uses it only when nothing needs Hummingbird's per-request machinery: no filters
/// and no tracer.
final class EventLoopResponder: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    private let gateway: Gateway
    private let idleTimeout: TimeAmount
    private var context: ChannelHandlerContext?
    /// Bytes read and neither answered nor passed on yet.
    private var unread = ByteBuffer()
    /// Bytes still to come of a request passed on: they go on as they arrive.
    private var passingBytes = 0
    /// A head this handler does not read arrived: every byte from there on goes to NIO's decoder.
    private var handedOver = false
    /// NIO's HTTP/1 handlers and Hummingbird's conversion are in the pipeline (``addHTTPHandlers(context:)``).
    private var httpHandlersAdded = false
    /// Requests passed to Hummingbird whose response has not ended yet.
    private var passedOn = 0
    /// A passed-on request's end has not arrived yet.
    private var passedReading = false
    /// Requests whose head arrived and whose answer has not ended, on either path.
    private var inProgress = 0
    /// An answer is being worked out on a guest thread.
    private var waiting = false
    /// The input closed while waiting; passed on once the answer is written.
    private var inputClosedWhileWaiting = false
    /// A read was asked for while waiting; it is issued when the answer is written.
    private var readDeferred = false
    /// Answers written since the last flush (flushed when the socket's reads are done).
    private var unflushed = false
    /// The server is shutting down: close once no request is in progress.
    private var closing = false
    /// The connection ends with an answer written: what else arrives is dropped.
    private var finished = false
    private var lastActivity = NIODeadline.now()
    private let dates = HTTPDateCache()
    private var idleCheck: Scheduled<Void>?

    init(gateway: Gateway, idleTimeout: Duration) {
        self.gateway = gateway
        self.idleTimeout = TimeAmount(idleTimeout)
    }

    /// The handler, placed after NIO's decoder, that tells this one about requests passed on.
    func watcher() -> PassedRequestWatcher {
        PassedRequestWatcher(responder: self)
    }

    // MARK: - Connection

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        unread = context.channel.allocator.buffer(capacity: 0)
        if context.channel.isActive { scheduleIdleCheck(context: context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        idleCheck?.cancel()
        idleCheck = nil
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        lastActivity = .now()
        scheduleIdleCheck(context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        idleCheck?.cancel()
        idleCheck = nil
        unread.clear()
        context.fireChannelInactive()
    }

    private func scheduleIdleCheck(context: ChannelHandlerContext) {
        guard idleCheck == nil else { return }
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        idleCheck = context.eventLoop.scheduleTask(deadline: lastActivity + idleTimeout) {
            let (responder, context) = bound.value
            responder.idleCheck = nil
            responder.checkIdle(context: context)
        }
    }

    /// A request read in full and being answered is never cut; otherwise the connection goes
    /// once it has been quiet for the idle timeout.
    private func checkIdle(context: ChannelHandlerContext) {
        guard context.channel.isActive else { return }
        let reading = passedReading || unread.readableBytes > 0 || passingBytes > 0
        if inProgress > 0 && !reading { return }  // the answer's end schedules the next check
        if NIODeadline.now() >= lastActivity + idleTimeout {
            context.close(promise: nil)
        } else {
            scheduleIdleCheck(context: context)
        }
    }

    /// An answer ended, on either path: the connection may be idle again, or done.
    private func responseEnded(context: ChannelHandlerContext) {
        inProgress -= 1
        guard inProgress == 0 else { return }
        lastActivity = .now()
        if closing {
            context.flush()
            context.close(promise: nil)
        } else {
            scheduleIdleCheck(context: context)
        }
    }

    // MARK: - Requests passed on (told by the watcher)

    fileprivate func passedHead() {
        passedOn += 1
        inProgress += 1
        passedReading = true
        lastActivity = .now()
    }

    fileprivate func passedPart(ended: Bool) {
        lastActivity = .now()
        if ended { passedReading = false }
    }

    fileprivate func passedResponseEnded() {
        passedOn -= 1
        if let context { responseEnded(context: context) }
    }

    // MARK: - Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        if finished { return }
        if handedOver && unread.readableBytes == 0 {
            context.fireChannelRead(data)
            return
        }
        if unread.readableBytes == 0 {
            unread = bytes
        } else {
            unread.writeBuffer(&bytes)
        }
        if !waiting { readRequests(context: context) }
    }

    /// Answers or passes on every whole request in ``unread``, in order, until one has to wait for
    /// a guest thread or the bytes run out.
    private func readRequests(context: ChannelHandlerContext) {
        while !waiting && !finished && unread.readableBytes > 0 {
            if handedOver {
                pass(unread.readableBytes, context: context)
                return
            }
            if passingBytes > 0 {
                let count = min(passingBytes, unread.readableBytes)
                passingBytes -= count
                lastActivity = .now()
                pass(count, context: context)
                continue
            }
            switch RequestHead.scan(unread) {
            case .incomplete:
                return
            case .unframed:
                handedOver = true
            case .head(let head, let length):
                if passedOn == 0, head.bodyLength <= gateway.configuration.maxBodyBytes,
                    let request = DirectRequest(head, gateway: gateway)
                {
                    lastActivity = .now()
                    guard unread.readableBytes >= length + head.bodyLength else { return }  // the body is on its way
                    unread.moveReaderIndex(forwardBy: length)
                    var request = request
                    request.body = unread.readSlice(length: head.bodyLength)!
                    inProgress += 1
                    answer(request, context: context)
                } else {
                    passingBytes = length + head.bodyLength
                }
            }
        }
    }

    /// Sends the next `count` unread bytes on to NIO's decoder (and from there to Hummingbird).
    private func pass(_ count: Int, context: ChannelHandlerContext) {
        let bytes = unread.readSlice(length: count)!
        guard addHTTPHandlers(context: context) else { return }
        context.fireChannelRead(wrapInboundOut(bytes))
    }

    /// Puts NIO's HTTP/1 decoder and encoder, the watcher and Hummingbird's conversion between
    /// this handler and Hummingbird's request loop, the first time a request goes there: a
    /// connection whose requests are all answered here never has them, so its reads, read
    /// completions and flushes pass through no handler that has nothing to do.
    private func addHTTPHandlers(context: ChannelHandlerContext) -> Bool {
        guard !httpHandlersAdded else { return true }
        httpHandlersAdded = true
        let pipeline = context.pipeline.syncOperations
        do {
            try pipeline.addHandler(HTTP1ToHTTPServerCodec(secure: false), position: .after(self))
            try pipeline.addHandler(watcher(), position: .after(self))
            try pipeline.configureHTTPServerPipeline(
                position: .after(self), withPipeliningAssistance: false, withErrorHandling: false,
                withOutboundHeaderValidation: false)
            return true
        } catch {
            context.close(promise: nil)
            return false
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if unflushed {
            unflushed = false
            context.flush()
        }
        context.fireChannelReadComplete()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case is ChannelShouldQuiesceEvent:
            // Hummingbird's connection-state handler is not in this pipeline: close here.
            if inProgress == 0 {
                context.close(promise: nil)
            } else {
                closing = true
            }
            return
        case let event as ChannelEvent where event == .inputClosed:
            // Hummingbird ends the connection's output when its input ends: answers must go first.
            if waiting {
                inputClosedWhileWaiting = true
                return
            }
            if unflushed {
                unflushed = false
                context.flush()
            }
        default:
            break
        }
        context.fireUserInboundEventTriggered(event)
    }

    // MARK: - Answers

    private func answer(_ request: DirectRequest, context: ChannelHandlerContext) {
        switch request.outcome(in: gateway) {
        case .now(let answer):
            write(answer, for: request, context: context)
        case .later(let start):
            waiting = true
            let loop = context.eventLoop
            let bound = NIOLoopBound((self, context), eventLoop: loop)
            start { answer in
                loop.execute {
                    let (responder, context) = bound.value
                    responder.finishWaiting(answer, for: request, context: context)
                }
            }
        }
    }

    private func finishWaiting(_ answer: GatewayAnswer, for request: DirectRequest, context: ChannelHandlerContext) {
        waiting = false
        write(answer, for: request, context: context)
        // Read what arrived meanwhile, until it is answered or another answer has to wait.
        let before = unread.readableBytes
        readRequests(context: context)
        if unread.readableBytes != before { context.fireChannelReadComplete() }
        if unflushed {
            unflushed = false
            context.flush()
        }
        guard !waiting else { return }
        if inputClosedWhileWaiting {
            inputClosedWhileWaiting = false
            userInboundEventTriggered(context: context, event: ChannelEvent.inputClosed)
        }
        if readDeferred {
            readDeferred = false
            context.read()
        }
    }

    private func write(_ answer: GatewayAnswer, for request: DirectRequest, context: ChannelHandlerContext) {
        let length = answer.body.readableBytes
        var head = ResponseHeadBytes(capacity: 160 + length)
        head.statusLine(answer.status, http10: request.isHTTP10)
        for field in answer.headers { head.field(field.name.rawName, field.value) }
        head.field("x-request-id", request.requestID)
        head.field("date", dates.now)
        head.append("server: wasmton\r\n")
        if answer.status != .noContent { head.contentLength(length) }
        if request.closes {
            head.append("connection: close\r\n")
        } else if request.isHTTP10 {
            head.append("connection: keep-alive\r\n")
        }
        head.append("\r\n")
        var out = context.channel.allocator.buffer(capacity: head.bytes.count + length)
        out.writeBytes(head.bytes)
        var body = answer.body
        out.writeBuffer(&body)
        gateway.countEventLoopAnswer()
        gateway.accessLog.record(
            requestID: request.requestID, method: request.methodName, path: request.path,
            status: answer.status.code, start: request.start, bytesIn: request.contentLength, bytesOut: length,
            call: .some(request.call))
        guard request.closes else {
            context.write(wrapOutboundOut(.byteBuffer(out)), promise: nil)
            unflushed = true
            responseEnded(context: context)
            return
        }
        // The connection ends with this answer: what else was read is dropped.
        unread.clear()
        finished = true
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.byteBuffer(out)), promise: written)
        let channel = context.channel
        written.futureResult.whenComplete { _ in channel.close(promise: nil) }
        inProgress -= 1
    }

    // MARK: - Outbound

    func read(context: ChannelHandlerContext) {
        if waiting {
            readDeferred = true
        } else {
            context.read()
        }
    }
}

/// Sits after NIO's HTTP/1 decoder on an ``EventLoopHTTP1Channel`` and tells its
/// ``EventLoopResponder`` which requests went on to Hummingbird and when their responses end, so
/// that answers keep the order of requests and the connection's idle and close rules count them.
final class PassedRequestWatcher: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let responder: EventLoopResponder

    fileprivate init(responder: EventLoopResponder) {
        self.responder = responder
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: responder.passedHead()
        case .body: responder.passedPart(ended: false)
        case .end: responder.passedPart(ended: true)
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .end = unwrapOutboundIn(data) else {
            context.write(data, promise: promise)
            return
        }
        context.write(data, promise: promise)
        responder.passedResponseEnded()
    }
}
