import HTTPTypes
public import Hummingbird
public import Logging
import NIOCore
public import ServiceLifecycle
import Synchronization
import Tracing
import WasmtonCapture
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
    let accessLog: AccessLog
    private let ready = Mutex(false)
    private let directAnswers = Atomic<Int>(0)
    /// `serve --capture`: where sampled requests go, if anywhere.
    private let capture: CaptureSampler?

    /// Prepares pools for `modules` (nothing is instantiated until ``run(alongside:onListening:)``).
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
        capture = configuration.capture
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
        accessLog = AccessLog(logger: logger, defaultRoute: defaultFunction)
    }

    /// The current counts of `module`'s instance pool (nil for a module not served).
    public func poolSnapshot(module: String) -> InstancePool<WapcGuest>.Snapshot? {
        functions[module]?.pool.snapshot
    }

    /// How many requests were answered on a connection's event loop rather than through
    /// Hummingbird's router (see ``GatewayConfiguration/answersOnEventLoop``).
    public var eventLoopAnswers: Int { directAnswers.load(ordering: .relaxed) }

    func countEventLoopAnswer() {
        directAnswers.add(1, ordering: .relaxed)
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
    /// `ServiceGroup` of your own; ``run(alongside:onListening:)`` is the all-in-one alternative.
    /// `onListening` gets the bound port (useful with port 0). Call ``prewarm()`` first.
    public func application(
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let router = Router(context: ClientRequestContext.self)
        // A server span per request, only when a tracer is bootstrapped (as `--otlp-endpoint` does):
        // with none, the middleware would still build its attributes on every request.
        if !(InstrumentationSystem.tracer is NoOpTracer) { router.add(middleware: TracingMiddleware()) }
        router.add(middleware: AccessLogMiddleware(log: accessLog))
        if let filters {
            router.add(middleware: FilterMiddleware(chain: filters, maxBodyBytes: configuration.maxBodyBytes))
        }
        addRoutes(to: router)
        // The hot routes are answered on the event loop unless something needs Hummingbird's
        // per-request machinery: filters (they stream bodies through async callbacks) or spans.
        let connections = configuration.connections
        let server =
            configuration.answersOnEventLoop && filters == nil && InstrumentationSystem.tracer is NoOpTracer
            ? connections.server(logger: logger) { [self] in EventLoopResponder(gateway: self) }
            : connections.server(logger: logger)
        return Application(
            router: router,
            server: server,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "wasmton"),
            onServerRunning: { [self] channel in
                ready.withLock { $0 = true }
                await onListening(channel.localAddress?.port ?? configuration.port)
            },
            logger: logger)
    }

    /// Warms the pools, then serves until SIGTERM or SIGINT, on which `/readyz` starts failing,
    /// the server stops accepting, in-flight requests finish, and this returns.
    /// `alongside` runs with the server and stops with it (a module watcher, say). The same as
    /// running a ``GatewayService`` in a `ServiceGroup` that handles those signals.
    public func run(
        alongside: [any Service] = [], onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws {
        let group = ServiceGroup(
            configuration: .init(
                services: [GatewayService(self, onListening: onListening)] + alongside,
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
    }

    /// Makes `/readyz` fail, so load balancers stop sending while in-flight requests finish.
    func markDraining() {
        ready.withLock { $0 = false }
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
        router.get("healthz") { [self] _, _ in healthAnswer.response }
        router.get("readyz") { [self] _, _ in readyAnswer.response }
        if metricsText != nil {
            router.get("metrics") { [self] _, _ in metricsAnswer.response }
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
            return PayloadFormat.answer(result, accept: request.headers[.accept]).response
        }
        if defaultFunction != nil {
            router.get("/") { [self] request, _ in try await callDefault(request) }
            router.post("/") { [self] request, _ in try await callDefault(request) }
        }
    }

    // MARK: - Answers (shared by Hummingbird's routes and the event-loop responder)

    /// `/healthz`'s answer, always the same.
    let healthAnswer = GatewayAnswer(
        status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: ByteBuffer(string: "ok\n"))

    var readyAnswer: GatewayAnswer {
        isReady
            ? GatewayAnswer(status: .ok, body: ByteBuffer(string: "ready\n"))
            : GatewayAnswer(status: .serviceUnavailable, body: ByteBuffer(string: "not ready\n"))
    }

    var metricsAnswer: GatewayAnswer {
        for function in functions.all { function.report() }
        return GatewayAnswer(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: ByteBuffer(bytes: metricsText?() ?? []))
    }

    /// The payload for the default operation: the JSON of `?key=`, else the body (a form, JSON
    /// or MessagePack).
    func defaultPayload(key: [UInt8]?, body: ByteBuffer, contentType: String?) throws(GatewayError) -> [UInt8] {
        if let key { return try PayloadFormat.json(key) }
        guard body.readableBytes > 0 else {
            throw GatewayError.badPayload(
                "send the argument as ?key=<json> or a form body such as name=foo (operation \(defaultFunction?.operation ?? "")")
        }
        let type = PayloadFormat.mediaType(contentType)
        if type == "application/json" || PayloadFormat.messagePackTypes.contains(type) {
            return try PayloadFormat.payload(body: body, contentType: type)
        }
        return try PayloadFormat.form(body)
    }

    /// The default route's answer: plain text for the book's clients, JSON or MessagePack when asked.
    func defaultAnswer(_ result: [UInt8], accept: String?) -> GatewayAnswer {
        if let accept, accept.contains("json") || accept.contains("msgpack") {
            return PayloadFormat.answer(result, accept: accept)
        }
        return PayloadFormat.plainAnswer(result)
    }

    /// The answer of a call of `operation` with `payload`, rendered by `render`: right away when
    /// the call finishes in a time slice on this thread (or fails), else a call to make on a
    /// guest thread.
    func answer(
        _ function: FunctionPool, _ operation: String, _ payload: [UInt8],
        render: @escaping @Sendable ([UInt8]) -> GatewayAnswer
    ) -> DirectRequest.Outcome {
        capture?.offer(module: function.name, operation: operation, payload: payload)
        let queued = ContinuousClock.now
        do {
            if let result = try function.callHere(operation, payload: payload) { return .now(render(result)) }
        } catch {
            return .now(failure(error, function, operation).answer)
        }
        let deadline = queued + configuration.requestTimeout
        return .later { [self] done in
            function.submitCall(operation, payload: payload, deadline: deadline, queued: queued) { result in
                switch result {
                case .success(let answer): done(render(answer))
                case .failure(let error):
                    guard let current = self.replacement(of: function, after: error) else {
                        done(self.failure(error, function, operation).answer)
                        return
                    }
                    current.submitCall(operation, payload: payload, deadline: deadline, queued: queued) { result in
                        switch result {
                        case .success(let answer): done(render(answer))
                        case .failure(let error): done(self.failure(error, current, operation).answer)
                        }
                    }
                }
            }
        }
    }

    /// The module's current pool when `function`'s was shut down by a reload after the call
    /// looked it up (the old pool drains once nothing runs or waits on it, which a call about
    /// to start does not count as): the call runs again there, once. Nil for any other error.
    private func replacement(of function: FunctionPool, after error: any Error) -> FunctionPool? {
        guard case InstancePoolError.closed? = error as? InstancePoolError,
            let current = functions[function.name], current !== function
        else { return nil }
        return current
    }

    /// What a failed call of `operation` answers, counted as a guest failure when it is one.
    func failure(_ error: any Error, _ function: FunctionPool, _ operation: String) -> GatewayError {
        let failure = GatewayError.from(error, module: function.name, operation: operation)
        if failure.status.code >= 500 || failure.reason == "guest_error" {
            GatewayMetrics().guestFailure(module: function.name, operation: operation, kind: failure.reason)
        }
        return failure
    }

    /// The book's forms: `GET /?key=<json>`, or a form (or JSON) body on GET or POST.
    private func callDefault(_ request: Request) async throws -> Response {
        guard let (module, operation) = defaultFunction, let function = functions[module] else {
            throw GatewayError.unknownModule("/", served: [])
        }
        let key = request.uri.queryParameters.get("key")
        let body = key == nil ? try await collect(request) : ByteBuffer()
        let payload = try defaultPayload(
            key: key.map { Array($0.utf8) }, body: body, contentType: request.headers[.contentType])
        let result = try await call(function, operation, payload)
        return defaultAnswer(result, accept: request.headers[.accept]).response
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
        capture?.offer(module: function.name, operation: operation, payload: payload)
        let deadline = ContinuousClock.now + configuration.requestTimeout
        do {
            return try await function.call(operation, payload: payload, deadline: deadline)
        } catch {
            guard let current = replacement(of: function, after: error) else { throw failure(error, function, operation) }
            do {
                return try await current.call(operation, payload: payload, deadline: deadline)
            } catch {
                throw failure(error, current, operation)
            }
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
