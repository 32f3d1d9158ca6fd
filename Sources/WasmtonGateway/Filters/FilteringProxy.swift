import AsyncHTTPClient
import HTTPTypes
public import Hummingbird
public import Logging
import NIOCore
import NIOHTTP1
public import ServiceLifecycle
import Synchronization
import Tracing

/// A filtering reverse proxy: every request runs through a proxy-wasm ``FilterChain`` and, unless
/// a filter answers it, goes to one upstream HTTP service; the answer comes back through the
/// chain. What Envoy's HTTP listener with the wasm filter and a single cluster does.
///
/// Bodies stream through unless a filter reads them; connections to the upstream are kept alive
/// and reused; hop-by-hop headers (RFC 9110 §7.6.1) are dropped both ways, and
/// `x-forwarded-for`/`x-forwarded-proto` added.
public final class FilteringProxy: Sendable {
    /// Where the proxy listens and where it forwards.
    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        /// The upstream, `http://HOST:PORT` with an optional path prefix.
        public var upstream: Upstream
        /// The most body bytes a filter may hold while it pauses (beyond: 413 for a request, 502 for a response).
        public var maxBodyBytes: Int
        /// How long the upstream may take to answer.
        public var upstreamTimeout: Duration
        /// Idle timeout and connection cap of the listener.
        public var connections: ConnectionLimits
        /// Answer the requests it can on the event loop (`ProxyConnection`); off: every
        /// request takes the Hummingbird path.
        public var directPath = true
        /// Upstream connections each event loop keeps open at most (the event-loop path's pool).
        public var upstreamConnectionsPerLoop = 64
        /// How long filter events may take to run inline on the event loop: a chain whose last
        /// few events each took less runs there; nil: filters always run on guest threads.
        public var inlineFilterBudget: Duration? = .milliseconds(1)

        public init(
            host: String, port: Int, upstream: Upstream, maxBodyBytes: Int = 1 << 20, upstreamTimeout: Duration = .seconds(30),
            connections: ConnectionLimits = ConnectionLimits()
        ) {
            self.connections = connections
            self.host = host
            self.port = port
            self.upstream = upstream
            self.maxBodyBytes = maxBodyBytes
            self.upstreamTimeout = upstreamTimeout
        }
    }

    /// A parsed `--upstream http://HOST:PORT[/PREFIX]`.
    public struct Upstream: Sendable, Equatable {
        public var host: String
        public var port: Int
        public var pathPrefix: String

        /// Parses the URL; only plain `http` is supported.
        public init(parsing text: String) throws(GatewayConfigurationError) {
            guard text.hasPrefix("http://") else {
                throw .badUpstream("\(text): only http:// upstreams are supported (e.g. http://127.0.0.1:8080)")
            }
            let rest = text.dropFirst("http://".count)
            let hostPort = rest.prefix { $0 != "/" }
            pathPrefix = String(rest.dropFirst(hostPort.count))
            if pathPrefix.hasSuffix("/") { pathPrefix.removeLast() }
            if let colon = hostPort.lastIndex(of: ":") {
                guard let port = Int(hostPort[hostPort.index(after: colon)...]), (1...65_535).contains(port) else {
                    throw .badUpstream("\(text): the port is not a number from 1 to 65535")
                }
                host = String(hostPort[..<colon])
                self.port = port
            } else {
                host = String(hostPort)
                port = 80
            }
            guard !host.isEmpty else { throw .badUpstream("\(text): no host") }
        }

        public var base: String { "http://\(host):\(port)\(pathPrefix)" }
    }

    public let configuration: Configuration
    let chain: FilterChain?
    let counters = ProxyCounters()
    /// The event-loop path (nil when ``Configuration/directPath`` is off).
    private let direct: DirectProxy?
    private let client: HTTPClient
    let logger: Logger
    private let metricsText: (@Sendable () -> [UInt8])?

    /// A proxy in front of `configuration.upstream`, filtering with `chain` (none: a plain proxy).
    public init(configuration: Configuration, chain: FilterChain?, logger: Logger) {
        self.configuration = configuration
        self.chain = chain
        self.logger = logger
        self.metricsText = nil
        chain?.inline.setBudget(configuration.inlineFilterBudget)
        direct = configuration.directPath ? DirectProxy(configuration: configuration, chain: chain, counters: counters) : nil
        var clientConfiguration = HTTPClient.Configuration()
        clientConfiguration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 256)
        clientConfiguration.decompression = .disabled
        clientConfiguration.redirectConfiguration = .disallow
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)
    }

    /// The Hummingbird application; `onListening` gets the bound port.
    public func application(onListening: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        Application(
            responder: ProxyResponder(proxy: self, traced: !(InstrumentationSystem.tracer is NoOpTracer)),
            server: direct.map { direct in configuration.connections.server(logger: logger) { direct.connection() } }
                ?? configuration.connections.server(logger: logger),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "wasmton"),
            onServerRunning: { [configuration] channel in await onListening(channel.localAddress?.port ?? configuration.port) },
            logger: logger)
    }

    /// Serves until SIGTERM or SIGINT (in-flight requests finish), running filter ticks.
    /// `alongside` runs with the server and stops with it (a trace exporter, say). The same as
    /// running a ``ProxyService`` in a `ServiceGroup` that handles those signals.
    public func run(
        alongside: [any Service] = [], onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws {
        let group = ServiceGroup(
            configuration: .init(
                services: [ProxyService(self, onListening: onListening)] + alongside,
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
    }

    /// Closes upstream connections and stops the filters.
    public func shutdown() async {
        direct?.shutdown()
        try? await client.shutdown()
        chain?.shutdown()
    }

    // MARK: - Forwarding

    fileprivate func handle(_ request: Request, context: ClientRequestContext) async throws -> Response {
        let source = context.client
        guard let chain else { return try await forward(request, source: source) }
        return try await FilterPassage(chain: chain, maxBodyBytes: configuration.maxBodyBytes).run(
            request, source: source, requestID: request.headers[.requestID]
        ) { request in
            try await forward(request, source: source)
        }
    }

    private func forward(_ request: Request, source: (address: String, port: Int)?) async throws -> Response {
        var outbound = HTTPClientRequest(url: configuration.upstream.base + (request.head.path ?? "/"))
        outbound.method = HTTPMethod(rawValue: request.method.rawValue)
        let listed = ProxyHeaders.listed(request.headers[values: .connection])
        for field in request.headers where !ProxyHeaders.isDropped(field.name.canonicalName, listed: listed) {
            outbound.headers.add(name: field.name.rawName, value: field.value)
        }
        if let authority = request.head.authority, !outbound.headers.contains(name: "host") {
            outbound.headers.add(name: "host", value: authority)
        }
        if let source {
            let previous = request.headers[.init("x-forwarded-for")!].map { $0 + ", " } ?? ""
            outbound.headers.replaceOrAdd(name: "x-forwarded-for", value: previous + source.address)
        }
        outbound.headers.replaceOrAdd(name: "x-forwarded-proto", value: "http")
        if let context = ServiceContext.current {
            InstrumentationSystem.instrument.inject(context, into: &outbound.headers, using: UpstreamHeaderInjector())
        }
        if let length = request.headers[.contentLength].flatMap(Int64.init) {
            if length > 0 { outbound.body = .stream(request.body, length: .known(length)) }
        } else if request.headers[.transferEncoding] != nil {
            outbound.body = .stream(request.body, length: .unknown)
        }
        let answer: HTTPClientResponse
        do {
            answer = try await client.execute(
                outbound, timeout: .nanoseconds(Int64(configuration.upstreamTimeout / .nanoseconds(1))))
        } catch {
            throw Self.upstreamError(error, upstream: configuration.upstream.base)
        }
        var headers = HTTPFields()
        let listedBack = ProxyHeaders.listed(answer.headers["connection"])
        for (name, value) in answer.headers where !ProxyHeaders.isDropped(name.lowercased(), listed: listedBack) {
            if let fieldName = HTTPField.Name(name) { headers.append(HTTPField(name: fieldName, value: value)) }
        }
        let length = answer.headers.first(name: "content-length").flatMap(Int.init)
        let body = answer.body
        return Response(
            status: .init(code: Int(answer.status.code)), headers: headers,
            body: ResponseBody(contentLength: length) { writer in
                for try await part in body { try await writer.write(part) }
                try await writer.finish(nil)
            })
    }

    private static func upstreamError(_ error: any Error, upstream: String) -> GatewayError {
        let text = "\(error)"
        if let clientError = error as? HTTPClientError,
            clientError == .deadlineExceeded || clientError == .readTimeout || clientError == .connectTimeout
        {
            return GatewayError(
                .gatewayTimeout, reason: "upstream_timeout", message: "upstream \(upstream) did not answer in time")
        }
        return GatewayError(.badGateway, reason: "upstream_unavailable", message: "upstream \(upstream): \(text)")
    }
}

/// Hands every request, whatever its path and method, to the proxy.
private struct ProxyResponder: HTTPResponder {
    typealias Context = ClientRequestContext
    let proxy: FilteringProxy
    /// A tracer is bootstrapped: each request gets a server span, continuing a trace the client
    /// started (`traceparent`).
    let traced: Bool

    func respond(to request: Request, context: Context) async throws -> Response {
        guard traced else { return try await answer(request, context) }
        return try await TracingMiddleware<Context>().handle(request, context: context, next: answer)
    }

    private func answer(_ request: Request, _ context: Context) async throws -> Response {
        do {
            return try await proxy.handle(request, context: context)
        } catch let error as any HTTPResponseError {
            return try error.response(from: request, context: context)
        }
    }
}

/// Runs the filters' `proxy_on_tick` callbacks while the service group runs.
struct FilterTicker: Service {
    let chain: FilterChain?

    func run() async throws {
        guard let chain else {
            // A service must not return before its group shuts down; without filters, just wait.
            try? await gracefulShutdown()
            return
        }
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await Task.sleep(for: .milliseconds(50))
            await chain.tick()
        }
    }
}

/// Writes trace context (`traceparent`, `tracestate`) into the upstream request's headers.
struct UpstreamHeaderInjector: Injector {
    func inject(_ value: String, forKey key: String, into carrier: inout HTTPHeaders) {
        carrier.replaceOrAdd(name: key, value: value)
    }
}
