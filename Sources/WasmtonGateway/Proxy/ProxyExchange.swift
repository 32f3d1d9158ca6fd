import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import WasmtonContracts

/// One request the proxy answers on its client connection's event loop: the filters' request
/// headers callbacks (inline), the upstream exchange on a pooled connection of the same loop,
/// the response headers (and body) callbacks, and the answer, streamed as it comes.
///
/// It does what ``FilterPassage`` around `FilteringProxy.forward` does, outcome for outcome
/// (local responses, filter failures, held response headers, the upstream's errors and
/// timeouts), for the requests ``DirectProxy/admits(_:)`` lets in. Confined to the event loop;
/// owned by its ``ProxyConnection``.
final class ProxyExchange: UpstreamDelegate {
    private enum Phase {
        case starting, connecting, waitingForHead, streaming, collecting, done
    }

    private unowned let owner: ProxyConnection
    private let proxy: DirectProxy
    private let loop: ProxyLoops.Loop
    private let request: HTTPRequest
    private let source: (address: String, port: Int)?
    private var phase = Phase.starting
    /// The client's whole request has arrived.
    private(set) var requestEnded: Bool
    private let chunked: Bool
    /// Request body that came before the upstream connection.
    private var pendingBody: [ByteBuffer] = []
    private var filters: FilterChain.Exchange?
    private var upstreamHead: UpstreamRequestHead?
    private var upstream: UpstreamConnection?
    private var waiter: Int?
    /// When the upstream must have answered by (nil once it has, or before the request went):
    /// the connection's one timer (``ProxyConnection/watch(_:)``) checks it, so an
    /// exchange schedules and cancels no timer of its own.
    private(set) var deadline: NIODeadline?
    /// A reused connection failed before answering, and the request went again on another.
    private var retried = false
    private var sentBody = false
    /// Response body bytes still to come by the `content-length` (the last chunk is the end).
    private var remaining: Int?
    /// The response's end has been through the filters.
    private var filtersEnded = false
    private var collected = ByteBuffer()
    private var collectedStatus = HTTPResponse.Status.ok

    /// `chunked`: the request's body comes chunked (``ProxyRequestFraming``).
    init(
        owner: ProxyConnection, proxy: DirectProxy, loop: ProxyLoops.Loop, request: HTTPRequest, chunked: Bool,
        source: (address: String, port: Int)?
    ) {
        self.owner = owner
        self.proxy = proxy
        self.loop = loop
        self.request = request
        self.source = source
        self.chunked = chunked
        requestEnded = false
    }

    /// Whether the client should not be read for now: its body would have nowhere to go.
    var holdsClientBack: Bool {
        guard !requestEnded, phase != .done, phase != .starting else { return false }
        guard let upstream else { return true }
        return !upstream.isWritable
    }

    var isDone: Bool { phase == .done }

    // MARK: - Request

    func start() {
        guard phase == .starting else { return }
        let pathPrefix = proxy.upstream.pathPrefix
        if let chain = proxy.chain {
            let stream = FilterHTTP.stream(for: request, source: source, requestID: request.headerFields[.requestID])
            let exchange = FilterChain.Exchange(stream: stream, bufferLimit: proxy.maxBodyBytes, slot: loop.slot)
            filters = exchange
            let loaded = stream.requestHeaders
            let step: FilterStep
            do {
                // Admitted requests have no body: the headers are the whole request.
                step = try chain.runHere(exchange, .request, body: nil, endOfStream: true)
            } catch {
                failInFilters(error, forwarded: false)
                return
            }
            switch step {
            case .respond(let local):
                answer(local)
                return
            case .held:
                failInFilters(FilterChainError.paused(filter: chain.names.joined(separator: ",")), forwarded: false)
                return
            case .forward:
                let filtered = stream.requestHeaders
                upstreamHead =
                    ProxyHeaders.upstreamHead(
                        filtered: filtered, request: request, pathPrefix: pathPrefix, source: source?.address,
                        chunked: chunked)
                    ?? ProxyHeaders.upstreamHead(
                        FilterHTTP.apply(stream, to: request, loaded: loaded), pathPrefix: pathPrefix,
                        source: source?.address, chunked: chunked)
            }
        } else {
            upstreamHead = ProxyHeaders.upstreamHead(
                request, pathPrefix: pathPrefix, source: source?.address, chunked: chunked)
        }
        let deadline = NIODeadline.now() + TimeAmount(proxy.upstreamTimeout)
        self.deadline = deadline
        owner.watch(deadline)
        connect()
    }

    /// A part of the client's request body.
    func requestBody(_ part: HTTPRequestPart) {
        switch part {
        case .head:
            return
        case .body(let buffer):
            guard phase != .done else { return }
            if let upstream {
                sentBody = true
                upstream.send(body: buffer, flush: true)
            } else {
                pendingBody.append(buffer)
            }
        case .end:
            requestEnded = true
            if phase == .starting {
                start()
            } else if phase != .done, let upstream {
                upstream.sendEnd()
            }
        }
    }

    private func connect() {
        phase = .connecting
        waiter = loop.pool.value.acquire { [self] result in
            waiter = nil
            switch result {
            case .success(let connection):
                guard phase == .connecting else {
                    loop.pool.value.release(connection, reusable: true)
                    return
                }
                send(on: connection)
            case .failure(let error):
                guard phase == .connecting else { return }
                failUpstream(error)
            }
        }
    }

    private func send(on connection: UpstreamConnection) {
        upstream = connection
        connection.delegate = self
        phase = .waitingForHead
        guard let upstreamHead else { return }
        connection.send(upstreamHead, flush: false)
        if !pendingBody.isEmpty { sentBody = true }
        for buffer in pendingBody { connection.send(body: buffer, flush: false) }
        pendingBody = []
        if requestEnded {
            connection.sendEnd()
        } else {
            connection.flush()
        }
        owner.resumeReads()
    }

    // MARK: - Response

    func upstreamHead(_ head: HTTPResponseHead) {
        guard phase == .waitingForHead else { return }
        deadline = nil
        guard let chain = proxy.chain, let filters else {
            // Nothing reads the headers before they go: straight from the upstream's head to bytes.
            filtersEnded = true
            phase = .streaming
            owner.writeHead(head, date: loop.dates.value.now)
            return
        }
        let status = Int(head.status.code)
        let (loaded, length) = ProxyHeaders.filterHeaders(head)
        remaining = length
        let noBody = length == 0 || status == 204 || status == 304
        filters.stream.withContents {
            $0.responseHeaders = loaded
            $0.responseCode = status
        }
        let step: FilterStep
        do {
            step = try chain.runHere(filters, .response, body: nil, endOfStream: noBody)
        } catch {
            dropUpstream()
            failInFilters(error, forwarded: true)
            return
        }
        switch step {
        case .respond(let local):
            dropUpstream()
            answer(local)
            return
        case .forward:
            filtersEnded = noBody
            phase = .streaming
            owner.writeHead(filtered: filters.stream.responseHeaders, status: status, date: loop.dates.value.now)
        case .held:
            // A filter holds the headers until it has seen the body: gather it first.
            collectedStatus = HTTPResponse.Status(code: status)
            phase = .collecting
        }
    }

    func upstreamBody(_ body: ByteBuffer) {
        switch phase {
        case .streaming:
            if filtersEnded {
                owner.write(.body(body))
            } else {
                guard let bytes = filterBody(body) else { return }
                if !bytes.isEmpty { owner.write(.body(ByteBuffer(bytes: bytes))) }
            }
            if !owner.isWritable { upstream?.pauseReads() }
        case .collecting:
            guard let bytes = filterBody(body) else { return }
            collect(bytes)
        default:
            break
        }
    }

    func upstreamEnd() {
        switch phase {
        case .streaming:
            if !filtersEnded {
                guard let bytes = filterBody(nil) else { return }
                if !bytes.isEmpty { owner.write(.body(ByteBuffer(bytes: bytes))) }
            }
            releaseUpstream()
            owner.write(.end(nil))
            finish()
        case .collecting:
            if !filtersEnded {
                guard let bytes = filterBody(nil) else { return }
                guard collect(bytes) else { return }
            }
            releaseUpstream()
            guard let filters else { return }
            let head = FilterHTTP.apply(filters.stream, status: collectedStatus, wholeBody: collected.readableBytes)
            owner.write(.head(stamped(head)))
            if collected.readableBytes > 0 { owner.write(.body(collected)) }
            owner.write(.end(nil))
            finish()
        default:
            break
        }
    }

    func upstreamReadComplete() {
        owner.flush()
    }

    func upstreamFailed(_ error: any Error) {
        upstream = nil
        switch phase {
        case .waitingForHead:
            // A kept-alive connection the upstream closed as the request went out: once more
            // on another, if nothing of a body went with it.
            if !retried && !sentBody && !chunked && (request.headerFields[.contentLength] ?? "0") == "0" {
                retried = true
                connect()
                return
            }
            failUpstream(error)
        case .streaming, .collecting:
            // The response is cut short: the client can only learn it by the connection closing.
            abandon()
            owner.closeConnection()
        default:
            break
        }
    }

    func upstreamWritable() {
        owner.resumeReads()
    }

    /// The client can take more: read the upstream again.
    func clientWritable() {
        upstream?.resumeReads()
    }

    /// The client went away: let go of the upstream connection (closed: it is mid-exchange)
    /// and end the filter contexts.
    func abandon() {
        guard phase != .done else { return }
        phase = .done
        deadline = nil
        if let waiter { loop.pool.value.cancel(waiter) }
        waiter = nil
        dropUpstream()
        if let filters, let chain = proxy.chain { chain.finishHere(filters) }
    }

    // MARK: - Filters on the response body

    /// Passes a chunk (nil: the end) through the response body callbacks, last filter first, as
    /// `FilteringResponseWriter` does; nil when the exchange ended there (a failure or a local
    /// response that the client now gets, or cannot any more).
    private func filterBody(_ buffer: ByteBuffer?) -> [UInt8]? {
        guard let chain = proxy.chain, let filters else { return buffer.map { Array(buffer: $0) } ?? [] }
        let bytes = buffer.map { Array(buffer: $0) } ?? []
        var end = buffer == nil
        if buffer != nil, let left = remaining {
            remaining = left - bytes.count
            end = left - bytes.count <= 0
        }
        do {
            let step = try chain.runHere(filters, .response, body: bytes, endOfStream: end)
            if end { filtersEnded = true }
            switch step {
            case .forward(let out):
                return out
            case .held:
                return []
            case .respond(let local):
                throw FilterPassage.Answered(response: local)
            }
        } catch {
            dropUpstream()
            if phase == .collecting {
                failInFilters(error, forwarded: true)
            } else {
                // The head has gone: as on the Hummingbird path, the connection is cut.
                chain.finishHere(filters)
                phase = .done
                owner.closeConnection()
            }
            return nil
        }
    }

    /// Adds bytes to a held response; false (and answered 502) past the buffer limit.
    @discardableResult
    private func collect(_ bytes: [UInt8]) -> Bool {
        guard collected.readableBytes + bytes.count <= proxy.maxBodyBytes else {
            dropUpstream()
            failInFilters(
                GatewayError(
                    .badGateway, reason: "response_too_large",
                    message:
                        "response body exceeds the limit of \(proxy.maxBodyBytes) bytes that a body-reading filter can buffer"),
                forwarded: true)
            return false
        }
        collected.writeBytes(bytes)
        return true
    }

    // MARK: - Answers

    /// The chain failed (or a filter answered part-way): what ``FilterPassage`` answers then.
    private func failInFilters(_ error: any Error, forwarded: Bool) {
        if let filters, let chain = proxy.chain {
            chain.finishHere(filters)
            if let local = filters.stream.localResponse {
                answer(local)
                return
            }
        }
        answer(FilterPassage.failure(error, forwarded: forwarded))
    }

    private func failUpstream(_ error: any Error) {
        dropUpstream()
        let base = proxy.upstream.base
        if let channelError = error as? ChannelError, case .connectTimeout = channelError {
            failInFilters(Self.timeout(base), forwarded: false)
        } else {
            failInFilters(
                GatewayError(.badGateway, reason: "upstream_unavailable", message: "upstream \(base): \(error)"),
                forwarded: false)
        }
    }

    /// The deadline passed: 504, unless the upstream answered meanwhile.
    func timedOut() {
        deadline = nil
        guard phase == .connecting || phase == .waitingForHead else { return }
        if let waiter { loop.pool.value.cancel(waiter) }
        waiter = nil
        dropUpstream()
        failInFilters(Self.timeout(proxy.upstream.base), forwarded: false)
    }

    private static func timeout(_ base: String) -> GatewayError {
        GatewayError(.gatewayTimeout, reason: "upstream_timeout", message: "upstream \(base) did not answer in time")
    }

    private func answer(_ local: FilterStream.LocalResponse) {
        owner.write(.head(stamped(FilterHTTP.localHead(local))))
        if !local.body.isEmpty { owner.write(.body(ByteBuffer(bytes: local.body))) }
        owner.write(.end(nil))
        finish()
    }

    private func answer(_ error: any Error) {
        let failure =
            error as? GatewayError ?? GatewayError(.internalServerError, reason: "internal", message: "\(error)")
        let answer = failure.answer
        var headers = answer.headers
        headers[.contentLength] = String(answer.body.readableBytes)
        owner.write(.head(stamped(HTTPResponse(status: answer.status, headerFields: headers))))
        owner.write(.body(answer.body))
        owner.write(.end(nil))
        finish()
    }

    /// `server` and `date` as Hummingbird sets them on every response.
    private func stamped(_ response: HTTPResponse) -> HTTPResponse {
        var response = response
        response.headerFields[.server] = "wasmton"
        response.headerFields[.date] = loop.dates.value.now
        return response
    }

    // MARK: - Ending

    private func releaseUpstream() {
        guard let upstream else { return }
        self.upstream = nil
        loop.pool.value.release(upstream, reusable: requestEnded)
    }

    /// Closes the upstream connection in use (its exchange did not end cleanly).
    private func dropUpstream() {
        deadline = nil
        guard let upstream else { return }
        self.upstream = nil
        loop.pool.value.release(upstream, reusable: false)
    }

    private func finish() {
        phase = .done
        deadline = nil
        owner.exchangeFinished(self)
    }
}
