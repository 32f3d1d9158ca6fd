import ServiceLifecycle

/// Holds a service back until another one listens: `process` starts consuming only once its
/// metrics endpoint answers, so the stream is never running unobserved. Opened once; waiting
/// ends early if the group shuts down or cancels first (the endpoint could not bind, say).
final class ListeningGate: Sendable {
    private let opened: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    init() {
        (opened, continuation) = AsyncStream<Void>.makeStream()
    }

    func open() {
        continuation.finish()
    }

    /// `service`, started once the gate opens.
    func holding(_ service: some Service) -> some Service {
        GatedService(gate: self, service: service)
    }

    fileprivate func wait() async {
        for await _ in opened {}
    }
}

private struct GatedService<Inner: Service>: Service {
    let gate: ListeningGate
    let service: Inner

    func run() async throws {
        await cancelWhenGracefulShutdown { await gate.wait() }
        guard !Task.isCancelled, !Task.isShuttingDownGracefully else { return }
        try await service.run()
    }
}
