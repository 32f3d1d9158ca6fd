public import Logging
import Synchronization
import Tracing
public import WasmtonContracts
public import WasmtonRuntime

/// Runs a request through a chain of proxy-wasm filters, as Envoy's HTTP filter chain does:
/// request callbacks in order, response callbacks in reverse order, then `on_done`, `on_log` and
/// `on_delete`. A local response from any filter short-circuits the rest. Used by `serve` in
/// front of the waPC routes and by `proxy` in front of an upstream.
public final class FilterChain: Sendable {
    let filters: [FilterVMs]
    let threads: GuestThreads
    /// Whether events have lately been quick enough to run inline, where the request arrived.
    let inline = FilterInlineGate()
    private let metrics = FilterMetrics()
    private let logger: Logger

    /// Starts `workers` VMs of each filter (one per worker, as Envoy does) with guest threads of
    /// their own.
    public init(
        filters: [HTTPFilter], runtime: WasmRuntime, sandbox: Sandbox, workers: Int, logger: Logger
    ) throws(GatewayConfigurationError) {
        var started: [FilterVMs] = []
        for filter in filters {
            do {
                started.append(
                    try FilterVMs(filter: filter, count: workers, runtime: runtime, sandbox: sandbox, logger: logger))
            } catch {
                for vms in started { vms.shutdown() }
                throw .filterStartup(filter: filter.configuration.name, message: "\(error)")
            }
        }
        self.filters = started
        self.logger = logger
        threads = GuestThreads(count: max(1, workers))
    }

    /// The filters, in order.
    public var names: [String] { filters.map(\.name) }

    /// One request's passage through the chain: its stream, the contexts it opened, and how far
    /// each direction has got.
    public final class Exchange: Sendable {
        struct Entry {
            var filter: Int
            var slot: Int
            var vm: ProxyWasmPlugin
            var context: Int32
        }

        enum Direction {
            case request, response
        }

        public let stream: FilterStream
        /// The most body bytes one filter may hold back while it buffers.
        public let bufferLimit: Int
        let entries = Mutex<[Entry]>([])
        /// Filters this exchange skips (they failed and fail open), by index in the chain.
        let skipped = Mutex<Set<Int>>([])
        let requestFlow = Mutex(FilterFlow())
        let responseFlow = Mutex(FilterFlow())
        /// The filters the response visits, last opened first; fixed by the first response event.
        let responseOrder = Mutex<[Entry]?>(nil)
        /// The worker whose VMs this exchange leases (the proxy's event loop), or round robin.
        let slot: Int?

        /// An exchange for `stream`; a filter that buffers more than `bufferLimit` body bytes
        /// fails the request.
        public init(stream: FilterStream, bufferLimit: Int) {
            self.stream = stream
            self.bufferLimit = bufferLimit
            self.slot = nil
        }

        /// An exchange whose VMs are those of worker `slot` (modulo the worker count).
        init(stream: FilterStream, bufferLimit: Int, slot: Int?) {
            self.stream = stream
            self.bufferLimit = bufferLimit
            self.slot = slot
        }

        func withFlow<R>(_ direction: Direction, _ body: (inout FilterFlow) -> R) -> R {
            direction == .request ? requestFlow.withLock { body(&$0) } : responseFlow.withLock { body(&$0) }
        }
    }

    /// Runs the request headers through the filters. `endOfStream`: the request has no body.
    public func requestHeaders(_ exchange: Exchange, endOfStream: Bool) async throws -> FilterStep {
        try await advance(exchange, .request, body: nil, endOfStream: endOfStream)
    }

    /// Runs a chunk of request body (empty at the end, if the end did not come with data).
    public func requestBody(_ exchange: Exchange, _ bytes: [UInt8], endOfStream: Bool) async throws -> FilterStep {
        try await advance(exchange, .request, body: bytes, endOfStream: endOfStream)
    }

    /// Runs the response headers (already in the stream) through the filters, last one first.
    /// `endOfStream`: the response has no body; the exchange ends once it is through.
    public func responseHeaders(_ exchange: Exchange, endOfStream: Bool) async throws -> FilterStep {
        try await advance(exchange, .response, body: nil, endOfStream: endOfStream)
    }

    /// Runs a chunk of response body; the exchange ends once its last chunk is through.
    public func responseBody(_ exchange: Exchange, _ bytes: [UInt8], endOfStream: Bool) async throws -> FilterStep {
        try await advance(exchange, .response, body: bytes, endOfStream: endOfStream)
    }

    /// One event on a guest thread; a local response, a failure or the response's end closes the
    /// exchange's contexts in the same hop.
    private func advance(
        _ exchange: Exchange, _ direction: Exchange.Direction, body: [UInt8]?, endOfStream: Bool
    ) async throws -> FilterStep {
        let event = "\(direction == .request ? "request" : "response") \(body == nil ? "headers" : "body")"
        return try await withSpan("filters \(event)", ofKind: .internal) { _ in
            try await run(exchange, direction, body: body, endOfStream: endOfStream)
        }
    }

    private func run(
        _ exchange: Exchange, _ direction: Exchange.Direction, body: [UInt8]?, endOfStream: Bool
    ) async throws -> FilterStep {
        try await threads.run { [self] in try event(exchange, direction, body: body, endOfStream: endOfStream) }
    }

    /// Runs one event on the calling thread (the proxy's event loop), without a hop: as
    /// ``requestHeaders(_:endOfStream:)`` and the others, for callers that checked
    /// ``FilterInlineGate/isOpen`` first. A filter callback is bounded by the sandbox's timeout.
    func runHere(
        _ exchange: Exchange, _ direction: Exchange.Direction, body: [UInt8]?, endOfStream: Bool
    ) throws -> FilterStep {
        try event(exchange, direction, body: body, endOfStream: endOfStream)
    }

    /// Ends the exchange's open contexts on the calling thread (``finish(_:)`` without the hop).
    func finishHere(_ exchange: Exchange) {
        guard exchange.entries.withLock({ !$0.isEmpty }) else { return }
        close(exchange)
    }

    /// One event through the filters, timed for ``inline``; a local response, a failure or the
    /// response's end closes the exchange's contexts.
    private func event(
        _ exchange: Exchange, _ direction: Exchange.Direction, body: [UInt8]?, endOfStream: Bool
    ) throws -> FilterStep {
        let start = ContinuousClock.now
        defer { inline.record(took: ContinuousClock.now - start) }
        do {
            let step = try step(exchange, direction, body: body, endOfStream: endOfStream)
            switch step {
            case .respond:
                close(exchange)
            case .forward where direction == .response && endOfStream:
                close(exchange)
            default:
                break
            }
            return step
        } catch {
            close(exchange)
            throw error
        }
    }

    /// Carries one event as far through the filters as they let it go. A headers event
    /// (`body == nil`) runs each filter's headers callback in turn until one pauses; a body event
    /// hands the bytes to each filter that has let the headers go, then to the one holding them,
    /// which may let them (and the headers) go on. A filter that pauses a body keeps the bytes and
    /// sees them again, with the next chunk appended, at the next event (StopIterationAndBuffer).
    private func step(
        _ exchange: Exchange, _ direction: Exchange.Direction, body: [UInt8]?, endOfStream: Bool
    ) throws -> FilterStep {
        let stream = exchange.stream
        let localBefore = stream.localResponse
        var flow = exchange.withFlow(direction) { $0 }
        defer { exchange.withFlow(direction) { $0 = flow } }
        let order: [Exchange.Entry]? = direction == .response ? responseOrder(exchange) : nil
        let count = order?.count ?? filters.count
        var incoming = body ?? []
        var position = 0
        while position < count {
            if flow.headersCalled == position {
                flow.headersCalled += 1
                let headersEnd = body == nil && endOfStream
                let action = try headers(exchange, direction, position, order, endOfStream: headersEnd)
                if let local = stream.localResponse, local != localBefore { return .respond(local) }
                if action == .pause {
                    if headersEnd { throw FilterChainError.paused(filter: name(at: position, order)) }
                } else {
                    flow.headersPassed = position + 1
                }
            }
            guard body != nil else {
                if flow.headersPassed > position {
                    position += 1
                    continue
                }
                return .held
            }
            guard let entry = entry(at: position, order, exchange), hasBodyCallback(entry.vm, direction) else {
                // A filter without a body callback, or one skipped after failing open, passes bytes on;
                // but one that paused the headers and cannot see the body would hold them forever.
                if flow.headersPassed <= position, entry(at: position, order, exchange) != nil {
                    throw FilterChainError.paused(filter: name(at: position, order))
                }
                flow.headersPassed = max(flow.headersPassed, position + 1)
                position += 1
                continue
            }
            var buffered = flow.held[position, default: []]
            buffered += incoming
            guard buffered.count <= exchange.bufferLimit else {
                throw FilterChainError.bufferFull(filter: name(at: position, order), limit: exchange.bufferLimit)
            }
            setBody(buffered, direction, in: stream)
            let action = try bodyCallback(entry, exchange, direction, endOfStream: endOfStream)
            if let local = stream.localResponse, local != localBefore { return .respond(local) }
            let edited = bodyBytes(direction, in: stream)
            if action == .pause {
                if endOfStream { throw FilterChainError.paused(filter: name(at: position, order)) }
                flow.held[position] = edited
                return .held
            }
            flow.held[position] = nil
            flow.headersPassed = max(flow.headersPassed, position + 1)
            incoming = edited
            position += 1
        }
        return .forward(incoming)
    }

    /// Runs the headers callback of the filter at `position` (opening its context first on the
    /// request side). `nil`: the filter failed open and is skipped.
    private func headers(
        _ exchange: Exchange, _ direction: Exchange.Direction, _ position: Int, _ order: [Exchange.Entry]?,
        endOfStream: Bool
    ) throws -> FilterAction? {
        let stream = exchange.stream
        switch direction {
        case .request:
            let vms = filters[position]
            let start = ContinuousClock.now
            defer { vms.meters.duration(.request, ContinuousClock.now - start) }
            var leased: (slot: Int, vm: ProxyWasmPlugin)?
            do {
                let lease = try vms.lease(preferring: exchange.slot)
                leased = lease
                let context = try lease.vm.open(stream)
                exchange.entries.withLock {
                    $0.append(Exchange.Entry(filter: position, slot: lease.slot, vm: lease.vm, context: context))
                }
                let action = try lease.vm.requestHeaders(context, stream, endOfStream: endOfStream)
                vms.meters.outcome(outcome(action, stream))
                return action
            } catch {
                try fail(position, leased, error, exchange)
                return nil
            }
        case .response:
            guard let entry = entry(at: position, order, exchange) else { return nil }
            let vms = filters[entry.filter]
            let start = ContinuousClock.now
            defer { vms.meters.duration(.response, ContinuousClock.now - start) }
            do {
                return try entry.vm.responseHeaders(entry.context, stream, endOfStream: endOfStream)
            } catch {
                try fail(entry.filter, (entry.slot, entry.vm), error, exchange)
                return nil
            }
        }
    }

    /// Runs the body callback of `entry`'s filter on the bytes already in the stream; a filter
    /// that fails open lets them go on.
    private func bodyCallback(
        _ entry: Exchange.Entry, _ exchange: Exchange, _ direction: Exchange.Direction, endOfStream: Bool
    ) throws -> FilterAction {
        let vms = filters[entry.filter]
        let start = ContinuousClock.now
        defer { vms.meters.duration(direction == .request ? .requestBody : .responseBody, ContinuousClock.now - start) }
        do {
            switch direction {
            case .request:
                return try entry.vm.requestBody(entry.context, exchange.stream, endOfStream: endOfStream)
            case .response:
                return try entry.vm.responseBody(entry.context, exchange.stream, endOfStream: endOfStream)
            }
        } catch {
            try fail(entry.filter, (entry.slot, entry.vm), error, exchange)
            return .continue
        }
    }

    private func outcome(_ action: FilterAction, _ stream: FilterStream) -> FilterMeters.Outcome {
        if stream.localResponse != nil { return .localResponse }
        return action == .pause ? .paused : .continue
    }

    private func hasBodyCallback(_ vm: ProxyWasmPlugin, _ direction: Exchange.Direction) -> Bool {
        direction == .request ? vm.inspectsRequestBody : vm.inspectsResponseBody
    }

    private func setBody(_ bytes: [UInt8], _ direction: Exchange.Direction, in stream: FilterStream) {
        stream.withContents {
            if direction == .request { $0.requestBody = bytes } else { $0.responseBody = bytes }
        }
    }

    private func bodyBytes(_ direction: Exchange.Direction, in stream: FilterStream) -> [UInt8] {
        stream.withContents { direction == .request ? $0.requestBody : $0.responseBody }
    }

    /// The filters the response visits: those whose context the request opened, last first.
    private func responseOrder(_ exchange: Exchange) -> [Exchange.Entry] {
        if let order = exchange.responseOrder.withLock({ $0 }) { return order }
        let order = Array(exchange.entries.withLock { $0 }.reversed())
        exchange.responseOrder.withLock { $0 = order }
        return order
    }

    /// The open context at `position` in this direction's order, unless its filter is skipped.
    private func entry(at position: Int, _ order: [Exchange.Entry]?, _ exchange: Exchange) -> Exchange.Entry? {
        let filter = order.map { $0[position].filter } ?? position
        guard !exchange.skipped.withLock({ $0.contains(filter) }) else { return nil }
        if let order { return order[position] }
        return exchange.entries.withLock { $0.first { $0.filter == filter } }
    }

    private func name(at position: Int, _ order: [Exchange.Entry]?) -> String {
        filters[order.map { $0[position].filter } ?? position].name
    }

    /// Ends every context the exchange still has open (`on_done`, `on_log`, `on_delete`); for an
    /// exchange that stopped before its response ended (a failed upstream, a client that went
    /// away). Does nothing the second time.
    public func finish(_ exchange: Exchange) async {
        guard exchange.entries.withLock({ !$0.isEmpty }) else { return }
        _ = try? await threads.run { [self] in close(exchange) }
    }

    /// Runs `on_done`, `on_log` and `on_delete` for the exchange's contexts, on a guest thread.
    /// Failures here only restart the VM: the response is already decided.
    private func close(_ exchange: Exchange) {
        let entries = exchange.entries.withLock { entries -> [Exchange.Entry] in
            defer { entries.removeAll() }
            return entries
        }
        for entry in entries {
            do {
                try entry.vm.close(entry.context, exchange.stream)
            } catch {
                let vms = filters[entry.filter]
                logger.error("filter failed", metadata: ["filter": "\(vms.name)", "error": "\(error)"])
                metrics.failure(filter: vms.name, kind: "close")
                vms.discard(slot: entry.slot, vm: entry.vm)
            }
        }
    }

    /// Runs due `proxy_on_tick`s (only filters that asked for ticks cost anything).
    public func tick() async {
        guard filters.contains(where: \.wantsTicks) else { return }
        _ = try? await threads.run { [self] in
            for vms in filters { vms.tick() }
        }
    }

    /// Stops the VMs and their threads.
    public func shutdown() {
        for vms in filters { vms.shutdown() }
        threads.shutdown()
    }

    /// Handles a filter that could not run: restarts its VM, then fails the request (closed) or
    /// skips the filter for the rest of this exchange (open).
    private func fail(
        _ filter: Int, _ leased: (slot: Int, vm: ProxyWasmPlugin)?, _ error: any Error, _ exchange: Exchange
    )
        throws(FilterChainError)
    {
        let vms = filters[filter]
        let failure: FilterChainError
        switch error {
        case let error as FilterChainError:
            throw error
        case let error as ProxyWasmError:
            failure = .failed(filter: vms.name, error)
            metrics.failure(filter: vms.name, kind: Self.kind(error))
            if error.poisonsInstance, let leased {
                vms.discard(slot: leased.slot, vm: leased.vm)
                exchange.entries.withLock { $0.removeAll { $0.vm === leased.vm } }
            }
        case FilterVMs.LeaseFailure.startFailed(let error):
            failure = .failed(filter: vms.name, error)
            metrics.failure(filter: vms.name, kind: "restart")
        case FilterVMs.LeaseFailure.crashLooping(let restarts, let window):
            failure = .crashLooping(filter: vms.name, restarts: restarts, window: window)
            metrics.failure(filter: vms.name, kind: "crash_loop")
        default:
            failure = .failed(filter: vms.name, .notAProxyWasmModule("\(error)"))
        }
        logger.error(
            "filter failed", metadata: ["filter": "\(vms.name)", "error": "\(failure)", "fail_open": "\(vms.filter.failOpen)"])
        if vms.filter.failOpen {
            metrics.outcome(filter: vms.name, "skipped")
            exchange.skipped.withLock { _ = $0.insert(filter) }
            return
        }
        metrics.outcome(filter: vms.name, "failed")
        throw failure
    }

    private static func kind(_ error: ProxyWasmError) -> String {
        switch error {
        case .callbackFailed(_, let guestError), .startupFailed(_, let guestError):
            switch guestError {
            case .trap: return "trap"
            case .outOfFuel: return "fuel"
            case .deadlineExceeded: return "deadline"
            case .memoryLimitExceeded: return "memory"
            case .memoryAccessOutOfBounds: return "out_of_bounds"
            default: return "error"
            }
        case .rejected: return "rejected"
        case .notAProxyWasmModule: return "not_a_filter"
        }
    }
}

/// A request the filter chain could not finish.
public enum FilterChainError: Error, Sendable, CustomStringConvertible {
    /// The filter trapped, hit a limit or could not restart, and fails closed.
    case failed(filter: String, ProxyWasmError)
    /// The filter failed too often in a short time; it is not restarted until the window passes.
    case crashLooping(filter: String, restarts: Int, window: Duration)
    /// The filter paused the request and nothing resumed it (Wasmton has no HTTP callouts yet).
    case paused(filter: String)
    /// The filter buffered more body than the limit allows.
    case bufferFull(filter: String, limit: Int)

    public var description: String {
        switch self {
        case .failed(let filter, let error):
            return "filter \(filter): \(error)"
        case .crashLooping(let filter, let restarts, let window):
            return "filter \(filter) is crash-looping (\(restarts) restarts in \(window.seconds) s); not restarted yet"
        case .paused(let filter):
            return "filter \(filter) paused the request without sending a response"
        case .bufferFull(let filter, let limit):
            return "filter \(filter) buffered more than \(limit) bytes of body (raise --max-body-size)"
        }
    }
}
