public import Logging
import Synchronization
public import WasmtonContracts
public import WasmtonRuntime

/// Runs a request through a chain of proxy-wasm filters, as Envoy's HTTP filter chain does:
/// request callbacks in order, response callbacks in reverse order, then `on_done`, `on_log` and
/// `on_delete`. A local response from any filter short-circuits the rest. Used by `serve` in
/// front of the waPC routes and by `proxy` in front of an upstream.
public final class FilterChain: Sendable {
    let filters: [FilterVMs]
    let threads: GuestThreads
    private let metrics = FilterMetrics()
    private let logger: Logger

    /// Some filter reads request bodies, so the host must buffer them before the request callbacks.
    public let needsRequestBody: Bool
    /// Some filter reads response bodies.
    public let needsResponseBody: Bool

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
        needsRequestBody = filters.contains { $0.module.exportedFunctions.contains("proxy_on_request_body") }
        needsResponseBody = filters.contains { $0.module.exportedFunctions.contains("proxy_on_response_body") }
    }

    /// The filters, in order.
    public var names: [String] { filters.map(\.name) }

    /// One request's passage through the chain: its stream and the contexts it opened.
    public final class Exchange: Sendable {
        struct Entry {
            var filter: Int
            var slot: Int
            var vm: ProxyWasmPlugin
            var context: Int32
        }

        public let stream: FilterStream
        let entries = Mutex<[Entry]>([])

        public init(stream: FilterStream) {
            self.stream = stream
        }
    }

    /// Runs the request callbacks of every filter. Returns the local response a filter sent, or
    /// `nil` to forward the (possibly edited) request. `endOfStream`: the request has no body.
    public func request(_ exchange: Exchange, endOfStream: Bool) async throws -> FilterStream.LocalResponse? {
        try await threads.run { [self] in
            do {
                let local = try requestCallbacks(exchange, endOfStream: endOfStream)
                if local != nil { close(exchange) }
                return local
            } catch {
                close(exchange)
                throw error
            }
        }
    }

    private func requestCallbacks(_ exchange: Exchange, endOfStream: Bool) throws -> FilterStream.LocalResponse? {
        let stream = exchange.stream
        for (index, vms) in filters.enumerated() {
            let start = ContinuousClock.now
            defer { metrics.duration(filter: vms.name, phase: "request", ContinuousClock.now - start) }
            var leased: (slot: Int, vm: ProxyWasmPlugin)?
            do {
                let lease = try vms.lease()
                leased = lease
                let context = try lease.vm.open(stream)
                exchange.entries.withLock {
                    $0.append(Exchange.Entry(filter: index, slot: lease.slot, vm: lease.vm, context: context))
                }
                var action = try lease.vm.requestHeaders(context, stream, endOfStream: endOfStream)
                if let local = stream.localResponse {
                    metrics.outcome(filter: vms.name, "local_response")
                    return local
                }
                if lease.vm.inspectsRequestBody && !endOfStream {
                    action = try lease.vm.requestBody(context, stream)
                    if let local = stream.localResponse {
                        metrics.outcome(filter: vms.name, "local_response")
                        return local
                    }
                }
                if action == .pause {
                    metrics.outcome(filter: vms.name, "paused")
                    throw FilterChainError.paused(filter: vms.name)
                }
                metrics.outcome(filter: vms.name, "continue")
            } catch let error as FilterChainError {
                throw error
            } catch {
                try fail(vms, leased, error, exchange)
            }
        }
        return nil
    }

    /// Runs the response callbacks, last filter first, then ends the exchange's contexts.
    /// Returns a local response that replaces the upstream's, or `nil` to send the (possibly
    /// edited) response. `endOfStream`: the response has no body.
    public func response(_ exchange: Exchange, endOfStream: Bool) async throws -> FilterStream.LocalResponse? {
        try await threads.run { [self] in
            defer { close(exchange) }
            return try responseCallbacks(exchange, endOfStream: endOfStream)
        }
    }

    private func responseCallbacks(_ exchange: Exchange, endOfStream: Bool) throws -> FilterStream.LocalResponse? {
        let stream = exchange.stream
        let before = stream.localResponse
        for entry in exchange.entries.withLock({ $0 }).reversed() {
            let vms = filters[entry.filter]
            let start = ContinuousClock.now
            defer { metrics.duration(filter: vms.name, phase: "response", ContinuousClock.now - start) }
            do {
                _ = try entry.vm.responseHeaders(entry.context, stream, endOfStream: endOfStream)
                if entry.vm.inspectsResponseBody {
                    _ = try entry.vm.responseBody(entry.context, stream)
                }
                if let local = stream.localResponse, local != before { return local }
            } catch {
                try fail(vms, (entry.slot, entry.vm), error, exchange)
            }
        }
        return nil
    }

    /// Ends every context the exchange still has open (`on_done`, `on_log`, `on_delete`); for an
    /// exchange that stopped before ``response(_:endOfStream:)``. Does nothing the second time.
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
    /// drops the filter from this exchange (open).
    private func fail(
        _ vms: FilterVMs, _ leased: (slot: Int, vm: ProxyWasmPlugin)?, _ error: any Error, _ exchange: Exchange
    )
        throws(FilterChainError)
    {
        let failure: FilterChainError
        switch error {
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

    public var description: String {
        switch self {
        case .failed(let filter, let error):
            return "filter \(filter): \(error)"
        case .crashLooping(let filter, let restarts, let window):
            return "filter \(filter) is crash-looping (\(restarts) restarts in \(window.seconds) s); not restarted yet"
        case .paused(let filter):
            return "filter \(filter) paused the request without sending a response"
        }
    }
}
