import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import WasmtonContracts

/// The proxy's side of one client connection, as the ``RequestTaker`` of its
/// ``ConnectionFront``: answers the requests ``DirectProxy/admits(_:_:)`` takes right here on the
/// event loop (a ``ProxyExchange`` each, no Swift task, no AsyncHTTPClient), writing the
/// response's bytes itself; every other request goes on to Hummingbird's path, which stays the
/// complete one. The front keeps the order of answers and holds the client back while an
/// exchange is answering.
final class ProxyConnection: RequestTaker {
    private let proxy: DirectProxy
    private weak var front: ConnectionFront?
    private var loop: ProxyLoops.Loop?
    private var source: (address: String, port: Int)?
    /// This connection's exchange in progress.
    private var exchange: ProxyExchange?
    /// The answer in progress closes the connection after it.
    private var closes = false
    /// The answer in progress is framed in chunks (the upstream gave no length).
    private var chunkedAnswer = false
    /// The answer's head, not written yet: it goes with the body's first bytes, or at a flush.
    private var heldHead: ByteBuffer?
    /// The connection's timer for its exchanges' upstream deadlines (at most one pending).
    private var deadlineTimer: Scheduled<Void>?

    init(proxy: DirectProxy) {
        self.proxy = proxy
    }

    // MARK: - Requests (from the front)

    func take(_ head: RequestHead, headBytes: ByteBuffer, front: ConnectionFront) -> Bool {
        // HTTP/1.0 clients get Hummingbird's path, which frames answers for them.
        guard !head.isHTTP10, let request = head.httpRequest(headBytes) else { return false }
        let framing = ProxyRequestFraming(request.headerFields)
        guard proxy.admits(request, framing) else { return false }
        if self.front == nil {
            self.front = front
            loop = proxy.loops.loop(for: front.eventLoop)
            if let remote = front.remoteAddress, let address = remote.ipAddress {
                source = (address, remote.port ?? 0)
            }
        }
        guard let loop else { return false }
        proxy.counters.direct.add(1, ordering: .relaxed)
        closes = !head.keepAlive
        let exchange = ProxyExchange(
            owner: self, proxy: proxy, loop: loop, request: request, chunked: head.chunked, source: source)
        self.exchange = exchange
        // A request without a body starts at its end (next, from the front), so its head and end
        // go upstream in one write; one with a body streams from here.
        if framing.hasBody { exchange.start() }
        return true
    }

    func body(_ bytes: ByteBuffer, front: ConnectionFront) {
        exchange?.requestBody(.body(bytes))
    }

    func bodyEnded(front: ConnectionFront) {
        exchange?.requestBody(.end(nil))
    }

    var holdsReads: Bool { exchange?.holdsClientBack ?? false }

    func clientWritable() {
        exchange?.clientWritable()
    }

    func connectionClosed() {
        deadlineTimer?.cancel()
        deadlineTimer = nil
        exchange?.abandon()
        exchange = nil
    }

    func passedOn() {
        proxy.counters.passedOn.add(1, ordering: .relaxed)
    }

    // MARK: - For the exchange

    var isWritable: Bool { front?.isWritable ?? false }

    /// Writes the head of an answer no filter reads, straight from the upstream's head
    /// (``ProxyHeaders/write(_:date:closes:into:)``).
    func writeHead(_ upstream: HTTPResponseHead, date: String) {
        var head = HeadBytes(capacity: Self.answerCapacity)
        chunkedAnswer = ProxyHeaders.write(upstream, date: date, closes: closes, into: &head)
        hold(head)
    }

    /// Writes the head of an answer the filters read, from the headers they left
    /// (``ProxyHeaders/write(filtered:status:date:closes:into:)``).
    func writeHead(filtered headers: HeaderList, status: Int, date: String) {
        var head = HeadBytes(capacity: Self.answerCapacity)
        chunkedAnswer = ProxyHeaders.write(filtered: headers, status: status, date: date, closes: closes, into: &head)
        hold(head)
    }

    /// Writes a part of the answer as HTTP/1.1 bytes: the length the head gives when it gives
    /// one, else chunks.
    func write(_ part: HTTPResponsePart) {
        guard let front else { return }
        switch part {
        case .head(let response):
            var head = HeadBytes(capacity: Self.answerCapacity)
            head.statusLine(response.status, http10: false)
            var sized = false
            for field in response.headerFields {
                if field.name == .contentLength { sized = true }
                head.field(field.name.rawName, field.value)
            }
            chunkedAnswer = head.end(sized: sized, status: response.status.code, closes: closes)
            hold(head)
        case .body(var bytes):
            guard bytes.readableBytes > 0 else { return }
            guard heldHead != nil || chunkedAnswer else {
                front.write(bytes)
                return
            }
            var out = heldHead ?? front.allocator.buffer(capacity: bytes.readableBytes + 12)
            heldHead = nil
            if chunkedAnswer {
                out.writeString(String(bytes.readableBytes, radix: 16))
                out.writeStaticString("\r\n")
                out.writeBuffer(&bytes)
                out.writeStaticString("\r\n")
            } else {
                out.writeBuffer(&bytes)
            }
            front.write(out)
        case .end:
            var out = heldHead ?? ByteBuffer()
            heldHead = nil
            if chunkedAnswer { out.writeStaticString("0\r\n\r\n") }
            chunkedAnswer = false
            if out.readableBytes > 0 { front.write(out) }
        }
    }

    /// The room an answer's head is made with: the head and the first KiB of its body.
    private static let answerCapacity = 1_536

    /// Keeps an answer's head (made with room for 1 KiB of body) to go out with the first
    /// bytes of its body: one write, not two.
    private func hold(_ head: HeadBytes) {
        heldHead = head.buffer
    }

    func flush() {
        if let heldHead {
            self.heldHead = nil
            front?.write(heldHead)
        }
        front?.flush()
    }

    func resumeReads() {
        front?.resumeReads()
    }

    /// Makes sure the connection's timer fires by `deadline`. Exchanges on a connection come one
    /// after another with the same timeout, so a pending timer is never later than a new one's
    /// deadline; when it fires it times out the exchange then in progress if that one is due,
    /// else waits for its deadline.
    func watch(_ deadline: NIODeadline) {
        guard deadlineTimer == nil, let front else { return }
        deadlineTimer = front.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
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
        front?.close()
    }

    /// The exchange's answer has been written: the front flushes it and goes on.
    func exchangeFinished(_ finished: ProxyExchange) {
        guard exchange === finished else { return }
        exchange = nil
        flush()
        front?.finished()
    }
}
