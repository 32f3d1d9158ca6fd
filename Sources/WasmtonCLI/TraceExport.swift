import Logging
import ServiceLifecycle

/// Runs the trace exporter beside a synchronous command (`process`), and flushes it at the end.
struct TraceExport {
    private let group: ServiceGroup?
    private let task: Task<Void, Never>?

    init(_ exporter: (any Service)?, logger: Logger) {
        guard let exporter else {
            group = nil
            task = nil
            return
        }
        let group = ServiceGroup(services: [exporter], gracefulShutdownSignals: [], logger: logger)
        self.group = group
        task = Task.detached { try? await group.run() }
    }

    /// Exports what is left and stops.
    func finish() {
        guard let group, let task else { return }
        _ = BlockingRun.run {
            await group.triggerGracefulShutdown()
            await task.value
        }
    }
}
