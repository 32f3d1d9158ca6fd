import ServiceLifecycle

/// A service that waits for graceful shutdown and then marks the gateway as draining, so
/// `/readyz` fails (load balancers stop sending) while in-flight requests finish.
struct DrainSignal: Service {
    let onShutdown: @Sendable () -> Void

    func run() async throws {
        try? await gracefulShutdown()
        onShutdown()
    }
}
