import HTTPTypes
public import Hummingbird
public import Logging
import NIOCore
public import ServiceLifecycle
import Synchronization
import Tracing
public import WasmtonContracts
public import WasmtonRuntime

/// Serves waPC modules over HTTP: `POST /v1/{module}/{operation}` with a JSON or MessagePack
/// body, answered in the format `Accept` asks for, through bounded pools of ready instances.
///
/// Also serves `/healthz` (the process is up), `/readyz` (pools are warm and the gateway is not
/// draining), `/metrics` when given a renderer, and, with a default operation, the book's forms
/// at `/`. Every request gets one structured access-log line and an `x-request-id`.
public final class Gateway: Sendable {
    public let configuration: GatewayConfiguration
    let functions: ServedFunctions
    /// The module (the first served) and operation behind `/`, when there is one.
    let defaultFunction: (module: String, operation: String)?
    let threads: GuestThreads
    let logger: Logger
    let metricsText: (@Sendable () -> [UInt8])?
    let filters: FilterChain?
    private let ready = Mutex(false)

    /// Prepares pools for `modules` (nothing is instantiated until ``run(onListening:)``).
    ///
    /// Guests reach `hostCalls` through `__host_call`; `metricsText`, if given, renders
    /// `GET /metrics`.
    public init(
        runtime: WasmRuntime, modules: [ServedModule], configuration: GatewayConfiguration,
        hostCalls: WapcHostCalls = WapcHostCalls(), logger: Logger = Logger(label: "wasmton.gateway"),
        metricsText: (@Sendable () -> [UInt8])? = nil
    ) throws(GatewayConfigurationError) {
        guard !modules.isEmpty else { throw .noModules }
        var seen = Set<String>()
        for served in modules where !seen.insert(served.name).inserted { throw .duplicateName(served.name) }
        var sandbox = configuration.sandbox
        sandbox.limits.timeout = min(sandbox.limits.timeout ?? configuration.requestTimeout, configuration.requestTimeout)
        self.configuration = configuration
        threads = GuestThreads(count: configuration.poolSize * modules.count)
        functions = ServedFunctions(
            modules: modules, sandbox: sandbox, runtime: runtime, configuration: configuration, threads: threads,
            hostCalls: hostCalls, logger: logger)
        filters =
            configuration.filters.isEmpty
            ? nil
            : try FilterChain(
                filters: configuration.filters, runtime: runtime, sandbox: sandbox, workers: configuration.poolSize,
                logger: logger)
        if let operation = configuration.defaultOperation, let first = modules.first {
            defaultFunction = (first.name, operation)
        } else {
            defaultFunction = nil
        }
        self.logger = logger
        self.metricsText = metricsText
    }

    /// The current counts of `module`'s instance pool (nil for a module not served).
    public func poolSnapshot(module: String) -> InstancePool<WapcGuest>.Snapshot? {
        functions[module]?.pool.snapshot
    }

    /// Whether `/readyz` answers 200: pools are warm and no shutdown has begun.
    public var isReady: Bool { ready.withLock { $0 } }

    /// Serves new code under a module's name without a restart: `module` is instantiated and
    /// warmed first, then swapped in. Calls in flight finish on the old instances, new calls get
    /// the new ones; if the new module cannot start, this throws and the old one keeps serving.
    public func reload(_ name: String, with module: WasmModule) async throws(GatewayConfigurationError) {
        try await functions.replace(with: module, name: name)
        logger.notice("module reloaded", metadata: ["module": "\(name)"])
    }

    /// Warms every pool, so a module that cannot start is an error here, before any request.
    public func prewarm() async throws(GatewayConfigurationError) {
        for function in functions.all {
            do {
                try await function.pool.prewarm()
            } catch {
                throw .startup(module: function.name, message: "\(error)")
            }
            function.report()
        }
    }

    /// The Hummingbird application that serves the gateway's routes, for embedding in a
    /// `ServiceGroup` of your own; ``run(onListening:)`` is the all-in-one alternative.
    /// `onListening` gets the bound port (useful with port 0). Call ``prewarm()`` first.
    public func application(
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let router = Router(context: ClientRequestContext.self)
        // A server span per request, only when a tracer is bootstrapped (as `--otlp-endpoint` does):
        // with none, the middleware would still build its attributes on every request.
        if !(InstrumentationSystem.tracer is NoOpTracer) { router.add(middleware: TracingMiddleware()) }
        router.add(
            middleware: AccessLogMiddleware(logger: logger, defaultRoute: defaultFunction.map { ($0.module, $0.operation) }))
        if let filters {
            router.add(middleware: FilterMiddleware(chain: filters, maxBodyBytes: configuration.maxBodyBytes))
        }
        addRoutes(to: router)
        return Application(
            router: router,
            server: configuration.connections.server(logger: logger),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "wasmton"),
            onServerRunning: { [self] channel in
                ready.withLock { $0 = true }
                await onListening(channel.localAddress?.port ?? configuration.port)
            },
            logger: logger)
    }

    /// Warms the pools, then serves until SIGTERM or SIGINT, on which `/readyz` starts failing,
    /// the server stops accepting, in-flight requests finish, and this returns.
    /// `alongside` runs with the server and stops with it (a module watcher, say).
    public func run(
        alongside: [any Service] = [], onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws {
        try await prewarm()
        let drain = DrainSignal { [self] in ready.withLock { $0 = false } }
        let group = ServiceGroup(
            configuration: .init(
                services: [application(onListening: onListening), drain, FilterTicker(chain: filters)] + alongside,
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        defer { shutdown() }
        try await group.run()
    }

    /// Stops the pools and guest threads; requests still arriving get 503.
    public func shutdown() {
        ready.withLock { $0 = false }
        functions.shutdown()
        filters?.shutdown()
        threads.shutdown()
    }

    // MARK: - Routes

    func addRoutes(to router: Router<ClientRequestContext>) {
        router.get("healthz") { _, _ in "ok\n" }
        router.get("readyz") { [self] _, _ -> Response in
            isReady
                ? Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "ready\n")))
                : Response(status: .serviceUnavailable, body: .init(byteBuffer: ByteBuffer(string: "not ready\n")))
        }
        if let metricsText {
            router.get("metrics") { [self] _, _ -> Response in
                for function in functions.all { function.report() }
                return Response(
                    status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                    body: .init(byteBuffer: ByteBuffer(bytes: metricsText())))
            }
        }
        router.post("v1/:module/:operation") { [self] request, context -> Response in
            let module = try context.parameters.require("module")
            let operation = try context.parameters.require("operation")
            guard let function = functions[module] else {
                throw GatewayError.unknownModule(module, served: functions.names)
            }
            let body = try await collect(request)
            let payload = try PayloadFormat.payload(body: body, contentType: request.headers[.contentType])
            let result = try await call(function, operation, payload)
            return PayloadFormat.response(result, accept: request.headers[.accept])
        }
        if defaultFunction != nil {
            router.get("/") { [self] request, _ in try await callDefault(request) }
            router.post("/") { [self] request, _ in try await callDefault(request) }
        }
    }

    /// The book's forms: `GET /?key=<json>`, or a form (or JSON) body on GET or POST.
    private func callDefault(_ request: Request) async throws -> Response {
        guard let (module, operation) = defaultFunction, let function = functions[module] else {
            throw GatewayError.unknownModule("/", served: [])
        }
        let payload: [UInt8]
        if let key = request.uri.queryParameters.get("key") {
            payload = try PayloadFormat.json(Array(key.utf8))
        } else {
            let body = try await collect(request)
            guard body.readableBytes > 0 else {
                throw GatewayError.badPayload(
                    "send the argument as ?key=<json> or a form body such as name=foo (operation \(operation))")
            }
            let type = PayloadFormat.mediaType(request.headers[.contentType])
            if type == "application/json" || PayloadFormat.messagePackTypes.contains(type) {
                payload = try PayloadFormat.payload(body: body, contentType: type)
            } else {
                payload = try PayloadFormat.form(body)
            }
        }
        let result = try await call(function, operation, payload)
        if let accept = request.headers[.accept], accept.contains("json") || accept.contains("msgpack") {
            return PayloadFormat.response(result, accept: accept)
        }
        return PayloadFormat.plainResponse(result)
    }

    private func collect(_ request: Request) async throws(GatewayError) -> ByteBuffer {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > configuration.maxBodyBytes {
            throw .tooLarge(limit: configuration.maxBodyBytes)
        }
        do {
            return try await request.body.collect(upTo: configuration.maxBodyBytes)
        } catch is NIOTooManyBytesError {
            throw .tooLarge(limit: configuration.maxBodyBytes)
        } catch {
            throw .badPayload("cannot read the request body: \(error)")
        }
    }

    private func call(
        _ function: FunctionPool, _ operation: String, _ payload: [UInt8]
    ) async throws(GatewayError)
        -> [UInt8]
    {
        do {
            return try await function.call(operation, payload: payload, deadline: .now + configuration.requestTimeout)
        } catch {
            let failure = GatewayError.from(error, module: function.name, operation: operation)
            if failure.status.code >= 500 || failure.reason == "guest_error" {
                GatewayMetrics().guestFailure(module: function.name, operation: operation, kind: failure.reason)
            }
            throw failure
        }
    }
}

/// Why a gateway could not be set up or started.
public enum GatewayConfigurationError: Error, Equatable, Sendable, CustomStringConvertible {
    case noModules
    case duplicateName(String)
    case startup(module: String, message: String)
    /// A proxy-wasm filter failed to start or rejected its configuration.
    case filterStartup(filter: String, message: String)
    /// The proxy's `--upstream` is not a usable URL.
    case badUpstream(String)

    public var description: String {
        switch self {
        case .filterStartup(let filter, let message): return "filter '\(filter)' cannot start: \(message)"
        case .badUpstream(let message): return "--upstream \(message)"
        case .noModules: return "no modules to serve: name at least one .wasm file"
        case .duplicateName(let name): return "two modules are served as '\(name)': name one with NAME=PATH"
        case .startup(let module, let message): return "module '\(module)' cannot start: \(message)"
        }
    }
}
