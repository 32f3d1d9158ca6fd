import NIOCore
import NIOHTTP1
import NIOHTTPTypesHTTP1

/// What a ``ConnectionFront`` hands the requests it reads to: `serve`'s ``EventLoopResponder``
/// or the proxy's ``ProxyConnection``. One per connection, confined to its event loop.
protocol RequestTaker: AnyObject {
    /// Takes the request with `head` (its bytes are `headBytes`), or returns false to leave it to
    /// Hummingbird, having written nothing. A taken request's body follows through
    /// ``body(_:front:)`` and ``bodyEnded(front:)``; its answer goes through `front`, which
    /// expects ``ConnectionFront/finished()`` once it is all written.
    func take(_ head: RequestHead, headBytes: ByteBuffer, front: ConnectionFront) -> Bool
    /// Bytes of the taken request's body, as they arrive.
    func body(_ bytes: ByteBuffer, front: ConnectionFront)
    /// The taken request's body is complete (at once for a request without one).
    func bodyEnded(front: ConnectionFront)
    /// The taken request's body has nowhere to go yet: the client is not read meanwhile.
    var holdsReads: Bool { get }
    /// The client's connection can take more bytes again.
    func clientWritable()
    /// The connection went; a request in progress is abandoned.
    func connectionClosed()
    /// A request went to Hummingbird.
    func passedOn()
}

extension RequestTaker {
    var holdsReads: Bool { false }
    func clientWritable() {}
    func connectionClosed() {}
    func passedOn() {}
}

/// The first handler of a client connection (``EventLoopHTTP1Channel``): reads each HTTP/1
/// request's head from the connection's bytes itself (``RequestHead``), lets its
/// ``RequestTaker`` answer the requests it takes right here on the event loop, and passes every
/// other request's bytes, unchanged, to NIO's HTTP/1 decoder and Hummingbird. No HTTP decoder or
/// encoder, header collection, Swift task or thread hop stands between the socket and a taken
/// request, as nginx and Node answer.
///
/// NIO's HTTP/1 decoder and encoder, the ``PassedRequestWatcher`` and Hummingbird's conversion to
/// Swift HTTP Types join the pipeline when a first request goes to Hummingbird. A head this
/// reader does not take at all (a chunked body, a protocol upgrade, anything unusual) hands the
/// rest of the connection to NIO's decoder.
///
/// Answers keep the order of requests: while a taken request is being answered (on a guest
/// thread, from the upstream), the connection's later requests wait (and the socket is not
/// read); while a request passed to Hummingbird has not been answered, later requests follow it
/// there.
///
/// Seeing every request of its connection, the front keeps the connection's rules for both
/// paths, as Hummingbird's connection-state handler would: the idle timeout (a connection with
/// no request in progress, or only part of one, is closed after it) and the graceful close on
/// shutdown (closed now if idle, else after the answers in progress).
final class ConnectionFront: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    private let taker: any RequestTaker
    private let idleTimeout: TimeAmount
    private var context: ChannelHandlerContext?
    /// Bytes read and neither taken nor passed on yet.
    private var unread = ByteBuffer()
    /// Bytes still to come of a request passed on: they go on as they arrive.
    private var passingBytes = 0
    /// Bytes still to come of a taken request's body: they go to the taker (or, once its answer
    /// is out, nowhere).
    private var takenBodyBytes = 0
    /// The rest of a taken request's chunked body, read chunk by chunk (nil: none is coming).
    private var takenChunks: ChunkedBody?
    /// A taken request's answer is not all written yet.
    private var taken = false
    /// The taken request asked to close the connection after its answer.
    private var closeAfterAnswer = false
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
    /// ``readRequests(context:)`` is running (a taker finishing inside it must not start it again).
    private var reading = false
    /// The input closed while a taken request was being answered; passed on once it is.
    private var inputClosedWhileTaken = false
    /// A read was asked for while reads were held; it is issued once they no longer are.
    private var readDeferred = false
    /// Answers written since the last flush (flushed when the socket's reads are done).
    private var unflushed = false
    /// The server is shutting down: close once no request is in progress.
    private var closing = false
    /// The connection ends with an answer written: what else arrives is dropped.
    private var ended = false
    private var lastActivity = NIODeadline.now()
    private var idleCheck: Scheduled<Void>?

    init(taker: any RequestTaker, idleTimeout: Duration) {
        self.taker = taker
        self.idleTimeout = TimeAmount(idleTimeout)
    }

    // MARK: - For the taker

    var eventLoop: any EventLoop { context!.eventLoop }
    var allocator: ByteBufferAllocator { context?.channel.allocator ?? ByteBufferAllocator() }
    var remoteAddress: SocketAddress? { context?.channel.remoteAddress }
    var isWritable: Bool { context?.channel.isWritable ?? false }

    /// Writes bytes of the taken request's answer (flushed when the socket's reads are done, or by ``flush()``).
    func write(_ bytes: ByteBuffer) {
        guard let context else { return }
        context.write(wrapOutboundOut(.byteBuffer(bytes)), promise: nil)
        unflushed = true
    }

    func flush() {
        guard let context, unflushed else { return }
        unflushed = false
        context.flush()
    }

    /// The taken request's answer is all written: the connection goes on with the requests that
    /// waited for it, or closes if the request asked for that.
    func finished() {
        guard taken, let context else { return }
        taken = false
        if closeAfterAnswer {
            ended = true
            unread.clear()
            inProgress -= 1
            let written = context.eventLoop.makePromise(of: Void.self)
            context.writeAndFlush(wrapOutboundOut(.byteBuffer(ByteBuffer())), promise: written)
            unflushed = false
            let channel = context.channel
            written.futureResult.whenComplete { _ in channel.close(promise: nil) }
            return
        }
        responseEnded(context: context)
        guard !reading else { return }
        // Read what waited meanwhile, until it is answered or another answer has to wait.
        let before = unread.readableBytes
        readRequests(context: context)
        if unread.readableBytes != before { context.fireChannelReadComplete() }
        flush()
        guard !taken else { return }
        if inputClosedWhileTaken {
            inputClosedWhileTaken = false
            userInboundEventTriggered(context: context, event: ChannelEvent.inputClosed)
        }
        resumeReads()
    }

    /// Reads the client again if a read was held back and nothing holds it any more.
    func resumeReads() {
        guard readDeferred, !holdsReads, let context else { return }
        readDeferred = false
        context.read()
    }

    func close() {
        context?.close(promise: nil)
    }

    // MARK: - Connection

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { scheduleIdleCheck(context: context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        idleCheck?.cancel()
        idleCheck = nil
        if taken { taker.connectionClosed() }
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
        if taken {
            taken = false
            taker.connectionClosed()
        }
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable && taken { taker.clientWritable() }
        context.fireChannelWritabilityChanged()
    }

    private func scheduleIdleCheck(context: ChannelHandlerContext) {
        guard idleCheck == nil else { return }
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        idleCheck = context.eventLoop.scheduleTask(deadline: lastActivity + idleTimeout) {
            let (front, context) = bound.value
            front.idleCheck = nil
            front.checkIdle(context: context)
        }
    }

    /// A request read in full and being answered is never cut; otherwise the connection goes
    /// once it has been quiet for the idle timeout.
    private func checkIdle(context: ChannelHandlerContext) {
        guard context.channel.isActive else { return }
        // Bytes read ahead while a taken request is answered are the next request: its time
        // starts when the answer ends.
        let readingRequest =
            passedReading || (unread.readableBytes > 0 && !taken) || passingBytes > 0 || takenBodyBytes > 0
            || takenChunks != nil
        if inProgress > 0 && !readingRequest { return }  // the answer's end schedules the next check
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
        taker.passedOn()
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
        if ended { return }
        if handedOver && unread.readableBytes == 0 {
            context.fireChannelRead(data)
            return
        }
        if unread.readableBytes == 0 {
            unread = bytes
        } else {
            unread.writeBuffer(&bytes)
        }
        readRequests(context: context)
    }

    /// Takes or passes on every whole request in ``unread``, in order, until a taken one is
    /// being answered or the bytes run out.
    private func readRequests(context: ChannelHandlerContext) {
        reading = true
        defer { reading = false }
        while !ended && unread.readableBytes > 0 {
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
            if takenBodyBytes > 0 {
                let count = min(takenBodyBytes, unread.readableBytes)
                takenBodyBytes -= count
                lastActivity = .now()
                let bytes = unread.readSlice(length: count)!
                // Once the answer is out (an early one), the rest of the body goes nowhere.
                guard taken else { continue }
                taker.body(bytes, front: self)
                if takenBodyBytes == 0 && taken { taker.bodyEnded(front: self) }
                continue
            }
            if takenChunks != nil {
                guard readChunks(context: context) else { return }
                continue
            }
            if taken { return }
            switch RequestHead.scan(unread) {
            case .incomplete:
                return
            case .unframed:
                handedOver = true
            case .head(let head, let length):
                let headBytes = unread.getSlice(at: unread.readerIndex, length: length)!
                if passedOn == 0, taker.take(head, headBytes: headBytes, front: self) {
                    unread.moveReaderIndex(forwardBy: length)
                    lastActivity = .now()
                    inProgress += 1
                    taken = true
                    closeAfterAnswer = !head.keepAlive
                    if head.chunked {
                        takenChunks = ChunkedBody()
                    } else {
                        takenBodyBytes = head.bodyLength
                        if head.bodyLength == 0 { taker.bodyEnded(front: self) }
                    }
                } else if head.chunked {
                    // Where a chunked body ends is NIO's decoder's to find from here on.
                    handedOver = true
                } else {
                    passingBytes = length + head.bodyLength
                }
            }
        }
    }

    /// Reads the taken request's chunked body from ``unread``; false when more bytes must come
    /// first (or the connection is closing over a malformed one).
    private func readChunks(context: ChannelHandlerContext) -> Bool {
        guard var chunks = takenChunks else { return true }
        let step = chunks.next(&unread)
        takenChunks = chunks
        switch step {
        case .data(let bytes):
            lastActivity = .now()
            if taken { taker.body(bytes, front: self) }
            return true
        case .needMore:
            return false
        case .end:
            takenChunks = nil
            if taken { taker.bodyEnded(front: self) }
            return true
        case .malformed:
            // The request cannot be told from the next one: the connection ends here.
            ended = true
            unread.clear()
            context.close(promise: nil)
            return false
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
    /// connection whose requests are all taken here never has them, so its reads, read
    /// completions and flushes pass through no handler that has nothing to do.
    private func addHTTPHandlers(context: ChannelHandlerContext) -> Bool {
        guard !httpHandlersAdded else { return true }
        httpHandlersAdded = true
        let pipeline = context.pipeline.syncOperations
        do {
            try pipeline.addHandler(HTTP1ToHTTPServerCodec(secure: false), position: .after(self))
            try pipeline.addHandler(PassedRequestWatcher(front: self), position: .after(self))
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
        flush()
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
            if taken {
                inputClosedWhileTaken = true
                return
            }
            flush()
        default:
            break
        }
        context.fireUserInboundEventTriggered(event)
    }

    // MARK: - Outbound

    /// Reads go on while a taken request is answered: what arrives meanwhile is the client's next
    /// request, kept in ``unread`` until the answer is out. They wait once that much is waiting
    /// (a client pipelining faster than it is answered is held back), and while the taker holds
    /// them for a body that has nowhere to go yet.
    ///
    /// Stopping every read for every answer would cost each request two `epoll_ctl` calls
    /// (read interest off, then on again) on an answer that leaves the event loop, as the
    /// proxy's all do.
    private var holdsReads: Bool {
        guard taken else { return false }
        if takenBodyBytes == 0 && takenChunks == nil { return unread.readableBytes >= Self.waitingLimit }
        return taker.holdsReads
    }

    /// The most bytes of the requests that follow a taken one read ahead while it is answered.
    static let waitingLimit = 16 * 1_024

    func read(context: ChannelHandlerContext) {
        if holdsReads {
            readDeferred = true
        } else {
            context.read()
        }
    }
}

/// Sits after NIO's HTTP/1 decoder on an ``EventLoopHTTP1Channel`` and tells its
/// ``ConnectionFront`` which requests went on to Hummingbird and when their responses end, so
/// that answers keep the order of requests and the connection's idle and close rules count them.
final class PassedRequestWatcher: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let front: ConnectionFront

    fileprivate init(front: ConnectionFront) {
        self.front = front
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: front.passedHead()
        case .body: front.passedPart(ended: false)
        case .end: front.passedPart(ended: true)
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .end = unwrapOutboundIn(data) else {
            context.write(data, promise: promise)
            return
        }
        context.write(data, promise: promise)
        front.passedResponseEnded()
    }
}
