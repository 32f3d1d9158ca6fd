public import ServiceLifecycle

/// A ``Gateway`` as a ServiceLifecycle `Service`: warms the pools, serves, and on graceful
/// shutdown fails `/readyz`, stops accepting and lets in-flight requests finish, then stops the
/// pools. Run it in the `ServiceGroup` of your process beside its other services (a metrics
/// endpoint, a trace exporter, a module watcher); the group decides which signals end it.
public struct GatewayService: Service {
    public let gateway: Gateway
    private let onListening: @Sendable (Int) async -> Void

    /// `onListening` gets the bound port once the server listens (useful with port 0).
    public init(_ gateway: Gateway, onListening: @escaping @Sendable (Int) async -> Void = { _ in }) {
        self.gateway = gateway
        self.onListening = onListening
    }

    public func run() async throws {
        try await gateway.prewarm()
        defer { gateway.shutdown() }
        let drain = DrainSignal { [gateway] in gateway.markDraining() }
        // No signals of its own: the enclosing group's graceful shutdown reaches this one.
        let group = ServiceGroup(
            configuration: .init(
                services: [gateway.application(onListening: onListening), drain, FilterTicker(chain: gateway.filters)],
                logger: gateway.logger))
        try await group.run()
    }
}
