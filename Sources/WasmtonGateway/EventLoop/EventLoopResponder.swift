import DequeModule
import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Answers the gateway's hot requests (`POST /v1/{module}/{operation}`, the default route, the
/// probes) on the connection's event loop, from the decoded request to the written response:
/// no Swift task, no async body stream and no thread hop per request, as nginx and Node answer.
///
/// It sits behind Hummingbird's connection-state handler (see
/// ``ConnectionLimits/server(logger:direct:)``), which therefore counts its requests for the idle
/// timeout and for closing connections gracefully on shutdown.
///
/// A call that cannot finish in a time slice here (``FunctionPool/callHere(_:payload:)``) runs on
/// a guest thread and its answer comes back to the event loop; meanwhile the connection's later
/// requests wait (and the socket is not read), so answers keep the order of requests. Every
/// other request (see ``DirectRequest``) passes on to Hummingbird's router unchanged; while one
/// is in flight, later requests follow it there, again to keep the order.
///
/// The gateway uses it only when nothing needs Hummingbird's per-request machinery: no filters
/// and no tracer.
final class EventLoopResponder: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private enum Held {
        case part(HTTPRequestPart)
        case inputClosed
    }

    private let gateway: Gateway
    /// The request being read, when this responder answers it.
    private var reading: DirectRequest?
    /// The current request's parts go to Hummingbird.
    private var passing = false
    /// Requests passed to Hummingbird whose response has not ended yet.
    private var passedOn = 0
    /// An answer is being worked out on a guest thread.
    private var waiting = false
    /// What arrived while waiting, replayed in order once the answer is written.
    private var held = Deque<Held>()
    /// A read was asked for while waiting; it is issued when the answer is written.
    private var readDeferred = false
    /// Answers written since the last flush (flushed when the socket's reads are done).
    private var unflushed = false

    init(gateway: Gateway) {
        self.gateway = gateway
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
        if let event = event as? ChannelEvent, event == .inputClosed {
            // Hummingbird ends the connection's output when its input ends: answers must go first.
            if waiting {
                held.append(.inputClosed)
                return
            }
            if unflushed {
                unflushed = false
                context.flush()
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        held.removeAll()
        reading = nil
        context.fireChannelInactive()
    }

    private func take(_ part: HTTPRequestPart, context: ChannelHandlerContext) {
        switch part {
        case .head(let head):
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
        case .later(let work):
            waiting = true
            let loop = context.eventLoop
            let bound = NIOLoopBound((self, context), eventLoop: loop)
            Task {
                let answer = await work()
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
        var fields = answer.headers
        fields[.requestID] = request.requestID
        fields[.date] = ResponseDate.now
        fields[.server] = "wasmton"
        let length = answer.body.readableBytes
        if answer.status != .noContent { fields[.contentLength] = String(length) }
        if request.closes { fields[.connection] = "close" }
        context.write(wrapOutboundOut(.head(HTTPResponse(status: answer.status, headerFields: fields))), promise: nil)
        if length > 0 { context.write(wrapOutboundOut(.body(answer.body)), promise: nil) }
        gateway.countEventLoopAnswer()
        gateway.accessLog.record(
            requestID: request.requestID, method: request.method, path: request.path, status: answer.status.code,
            start: request.start, bytesIn: request.contentLength, bytesOut: length, call: .some(request.call))
        guard request.closes else {
            context.write(wrapOutboundOut(.end(nil)), promise: nil)
            unflushed = true
            return
        }
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: written)
        let channel = context.channel
        written.futureResult.whenComplete { _ in channel.close(promise: nil) }
    }

    // MARK: - Outbound

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        // Only Hummingbird's writes come through here (this handler's own go straight on).
        if case .end = unwrapOutboundIn(data) { passedOn -= 1 }
        context.write(data, promise: promise)
    }

    func read(context: ChannelHandlerContext) {
        if waiting {
            readDeferred = true
        } else {
            context.read()
        }
    }
}
