import HTTPTypes
import NIOCore

/// Answers the gateway's hot requests (`POST /v1/{module}/{operation}`, the default route, the
/// probes) on the connection's event loop, as the ``RequestTaker`` of its ``ConnectionFront``:
/// from the head the front read to one buffer holding the whole answer.
///
/// A call that cannot finish in a time slice here (``FunctionPool/callHere(_:payload:)``) runs
/// on a guest thread and its answer comes back to the event loop; the front holds the
/// connection's later requests meanwhile. Every request that a ``DirectRequest`` does not take
/// goes to Hummingbird's router.
///
/// The gateway uses it only when nothing needs Hummingbird's per-request machinery: no filters
/// and no tracer.
final class EventLoopResponder: RequestTaker {
    private let gateway: Gateway
    private let dates = HTTPDateCache()
    /// The taken request, while its body arrives.
    private var request: DirectRequest?
    /// The taken request's body so far.
    private var requestBody = ByteBuffer()

    init(gateway: Gateway) {
        self.gateway = gateway
    }

    func take(_ head: RequestHead, headBytes: ByteBuffer, front: ConnectionFront) -> Bool {
        // A chunked body's size is known only at its end: the router reads it against the limit.
        guard !head.chunked, head.bodyLength <= gateway.configuration.maxBodyBytes,
            let request = DirectRequest(head, gateway: gateway)
        else { return false }
        self.request = request
        return true
    }

    func body(_ bytes: ByteBuffer, front: ConnectionFront) {
        guard request != nil else { return }
        if requestBody.readableBytes == 0 {
            requestBody = bytes
        } else {
            var bytes = bytes
            requestBody.writeBuffer(&bytes)
        }
    }

    func bodyEnded(front: ConnectionFront) {
        guard let request else { return }
        self.request = nil
        let body = requestBody
        requestBody = ByteBuffer()
        switch request.outcome(body: body, in: gateway) {
        case .now(let answer):
            write(answer, for: request, front: front)
        case .later(let start):
            let loop = front.eventLoop
            let bound = NIOLoopBound((self, front), eventLoop: loop)
            start { answer in
                loop.execute {
                    let (responder, front) = bound.value
                    responder.write(answer, for: request, front: front)
                }
            }
        }
    }

    func connectionClosed() {
        request = nil
        requestBody = ByteBuffer()
    }

    private func write(_ answer: GatewayAnswer, for request: DirectRequest, front: ConnectionFront) {
        let length = answer.body.readableBytes
        // A head is about 180 bytes (its x-request-id and date alone take 90): room for it and the
        // body, so the buffer never grows.
        var head = HeadBytes(capacity: 256 + length)
        head.statusLine(answer.status, http10: request.isHTTP10)
        for field in answer.headers { head.field(field.name.rawName, field.value) }
        head.field("x-request-id", request.requestID)
        head.field("date", dates.now)
        head.append("server: wasmton\r\n")
        if answer.status != .noContent { head.contentLength(length) }
        head.connection(closes: request.closes, http10: request.isHTTP10)
        head.append("\r\n")
        var body = answer.body
        head.append(&body)
        gateway.countEventLoopAnswer()
        gateway.accessLog.record(
            requestID: request.requestID, method: request.methodName, path: request.path,
            status: answer.status.code, start: request.start, bytesIn: request.contentLength, bytesOut: length,
            call: .some(request.call))
        front.write(head.buffer)
        front.finished()
    }
}
