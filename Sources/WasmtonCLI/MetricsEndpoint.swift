import Foundation
import Hummingbird
import Logging
import Synchronization

/// Serves the process's metrics in Prometheus' text format at `GET /metrics` (and `GET /healthz`),
/// on a Hummingbird server running beside a synchronous command such as `process`.
final class MetricsEndpoint: Sendable {
    private let task: Task<Void, any Error>

    /// Bootstraps the metrics system with a Prometheus registry, starts the server, and returns
    /// once it listens; throws if it cannot (the port is taken, say).
    init(host: String, port: Int) throws(CLIError) {
        let render = PrometheusExport.bootstrap()
        let router = Router()
        router.get("metrics") { _, _ -> Response in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: render())))
        }
        router.get("healthz") { _, _ in "ok\n" }
        let started = DispatchSemaphore(value: 0)
        let failure = Mutex<String?>(nil)
        var logger = Logger(label: "wasmton.metrics")
        logger.logLevel = .warning
        let app = Application(
            router: router, configuration: .init(address: .hostname(host, port: port), serverName: "wasmton"),
            onServerRunning: { _ in started.signal() }, logger: logger)
        task = Task.detached {
            do {
                try await app.runService(gracefulShutdownSignals: [])
            } catch {
                failure.withLock { $0 = "\(error)" }
                started.signal()
            }
        }
        if started.wait(timeout: .now() + 10) == .timedOut {
            task.cancel()
            throw .io("the metrics server on \(host):\(port) did not start within 10 s")
        }
        if let message = failure.withLock({ $0 }) {
            throw .io("cannot serve metrics on \(host):\(port): \(message)")
        }
    }

    func stop() {
        task.cancel()
    }
}
