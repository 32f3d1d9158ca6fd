import DequeModule
import HTTPTypes
import NIOCore
import NIOHTTP1

/// Answers the gateway's hot requests (`POST /v1/{module}/{operation}`, the default route, the
/// probes) on the connection's event loop, from NIO's decoded request to the encoded response:
/// no Swift task, no conversion to Swift HTTP Types, no async body stream and no thread hop per
/// request, as nginx and Node answer.
///
/// It is the front handler of ``EventLoopHTTP1Channel``. A call that cannot finish in a time
/// slice here (``FunctionPool/callHere(_:payload:)``) runs on a guest thread and its answer
/// comes back to the event loop; meanwhile the connection's later requests wait (and the socket
/// is not read), so answers keep the order of requests. Every other request (see
/// ``DirectRequest``) passes on to Hummingbird's router unchanged; while one is in flight, later
/// requests follow it there, again to keep the order.
///
/// Seeing every request and response of its connection, it also keeps the connection's rules
/// for both paths, as Hummingbird's connection-state handler would: the idle timeout (a
/// connection with no request in progress, or only part of one, is closed after it) and the
/// graceful close on shutdown (closed now if idle, else after the answers in progress).
///
/// The gateway uses it only when nothing needs Hummingbird's per-request machinery: no filters
/// and no tracer.
final class EventLoopResponder: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private enum Held {
        case part(HTTPServerRequestPart)
        case inputClosed
    }

    private let gateway: Gateway
    private let idleTimeout: TimeAmount
    /// The request being read, when this responder answers it.
    private var reading: DirectRequest?
    /// The current request's parts go to Hummingbird.
    private var passing = false
    /// Requests passed to Hummingbird whose response has not ended yet.
    private var passedOn = 0
    /// Requests whose head arrived and whose response has not ended, on either path.
    private var inProgress = 0
    /// A request's head arrived and its end has not.
    private var readingRequest = false
    /// An answer is being worked out on a guest thread.
    private var waiting = false
    /// What arrived while waiting, replayed in order once the answer is written.
    private var held = Deque<Held>()
    /// A read was asked for while waiting; it is issued when the answer is written.
    private var readDeferred = false
    /// Answers written since the last flush (flushed when the socket's reads are done).
    private var unflushed = false
    /// The server is shutting down: close once no request is in progress.
    private var closing = false
    private var lastActivity = NIODeadline.now()
    private let dates = HTTPDateCache()
    private var idleCheck: Scheduled<Void>?

    init(gateway: Gateway, idleTimeout: Duration) {
        self.gateway = gateway
        self.idleTimeout = TimeAmount(idleTimeout)
    }

    // MARK: - Connection

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { scheduleIdleCheck(context: context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        idleCheck?.cancel()
        idleCheck = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        lastActivity = .now()
        scheduleIdleCheck(context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        idleCheck?.cancel()
        idleCheck = nil
        held.removeAll()
        reading = nil
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
        if inProgress > 0 && !readingRequest { return }  // the answer's end schedules the next check
        if NIODeadline.now() >= lastActivity + idleTimeout {
            context.close(promise: nil)
        } else {
            scheduleIdleCheck(context: context)
        }
    }

    /// A response ended, on either path: the connection may be idle again, or done.
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

    // MARK: - Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if waiting {
            held.append(.part(part))
        } else {
            take(part, context: context)
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
                held.append(.inputClosed)
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

    private func take(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        lastActivity = .now()
        switch part {
        case .head(let head):
            inProgress += 1
            readingRequest = true
            if passedOn == 0, let request = DirectRequest(head, gateway: gateway) {
                reading = request
                return
            }
            passing = true
            passedOn += 1
            context.fireChannelRead(wrapInboundOut(part))
        case .body(let buffer):
            if passing {
                context.fireChannelRead(wrapInboundOut(part))
            } else {
                reading?.append(buffer, limit: gateway.configuration.maxBodyBytes)
            }
        case .end:
            readingRequest = false
            if passing {
                passing = false
                context.fireChannelRead(wrapInboundOut(part))
            } else if let request = reading {
                reading = nil
                answer(request, context: context)
            }
        }
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
        // Replay what arrived meanwhile, until it is read or another answer has to wait.
        let replayed = !held.isEmpty
        while !waiting, let next = held.popFirst() {
            switch next {
            case .part(let part): take(part, context: context)
            case .inputClosed: userInboundEventTriggered(context: context, event: ChannelEvent.inputClosed)
            }
        }
        if replayed { context.fireChannelReadComplete() }
        if unflushed {
            unflushed = false
            context.flush()
        }
        if !waiting && readDeferred {
            readDeferred = false
            context.read()
        }
    }

    private func write(_ answer: GatewayAnswer, for request: DirectRequest, context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        headers.reserveCapacity(answer.headers.count + 5)
        for field in answer.headers { headers.add(name: field.name.rawName, value: field.value) }
        headers.add(name: "x-request-id", value: request.requestID)
        headers.add(name: "date", value: dates.now)
        headers.add(name: "server", value: "wasmton")
        let length = answer.body.readableBytes
        if answer.status != .noContent { headers.add(name: "content-length", value: String(length)) }
        if request.closes { headers.add(name: "connection", value: "close") }
        let status = HTTPResponseStatus(statusCode: answer.status.code, reasonPhrase: answer.status.reasonPhrase)
        context.write(
            wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: status, headers: headers))),
            promise: nil)
        if length > 0 { context.write(wrapOutboundOut(.body(.byteBuffer(answer.body))), promise: nil) }
        gateway.countEventLoopAnswer()
        gateway.accessLog.record(
            requestID: request.requestID, method: request.method.rawValue, path: request.path,
            status: answer.status.code, start: request.start, bytesIn: request.contentLength, bytesOut: length,
            call: .some(request.call))
        guard request.closes else {
            context.write(wrapOutboundOut(.end(nil)), promise: nil)
            unflushed = true
            responseEnded(context: context)
            return
        }
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: written)
        let channel = context.channel
        written.futureResult.whenComplete { _ in channel.close(promise: nil) }
        inProgress -= 1
    }

    // MARK: - Outbound

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        // Only Hummingbird's writes come through here (this handler's own go straight on).
        guard case .end = unwrapOutboundIn(data) else {
            context.write(data, promise: promise)
            return
        }
        passedOn -= 1
        context.write(data, promise: promise)
        responseEnded(context: context)
    }

    func read(context: ChannelHandlerContext) {
        if waiting {
            readDeferred = true
        } else {
            context.read()
        }
    }
}
