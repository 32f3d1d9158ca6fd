public import ServiceLifecycle

/// A ``FilteringProxy`` as a ServiceLifecycle `Service`: serves and runs the filters' ticks; on
/// graceful shutdown stops accepting, lets in-flight requests finish, then closes upstream
/// connections and stops the filters. Run it in your process's `ServiceGroup`.
public struct ProxyService: Service {
    public let proxy: FilteringProxy
    private let onListening: @Sendable (Int) async -> Void

    /// `onListening` gets the bound port once the proxy listens (useful with port 0).
    public init(_ proxy: FilteringProxy, onListening: @escaping @Sendable (Int) async -> Void = { _ in }) {
        self.proxy = proxy
        self.onListening = onListening
    }

    public func run() async throws {
        let group = ServiceGroup(
            configuration: .init(
                services: [proxy.application(onListening: onListening), FilterTicker(chain: proxy.chain)],
                logger: proxy.logger))
        do {
            try await group.run()
        } catch {
            await proxy.shutdown()
            throw error
        }
        await proxy.shutdown()
    }
}
