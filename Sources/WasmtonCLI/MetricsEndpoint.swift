import Hummingbird
import Logging
import ServiceLifecycle

/// Serves the process's metrics in Prometheus' text format at `GET /metrics` (and `GET /healthz`)
/// beside a trigger that has no HTTP server of its own (`process`, `proxy`): a service for the
/// command's `ServiceGroup`.
struct MetricsEndpoint: Service {
    private let host: String
    private let port: Int
    private let render: @Sendable () -> [UInt8]
    private let onListening: @Sendable () -> Void

    /// Bootstraps the metrics system with a Prometheus registry; the server starts with ``run()``
    /// and calls `onListening` once it accepts connections.
    init(host: String, port: Int, onListening: @escaping @Sendable () -> Void = {}) {
        self.host = host
        self.port = port
        self.onListening = onListening
        render = PrometheusExport.bootstrap()
    }

    /// Serves until the group shuts down; fails with one line when it cannot listen (the port is taken, say).
    func run() async throws {
        let router = Router()
        router.get("metrics") { [render] _, _ -> Response in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: render())))
        }
        router.get("healthz") { _, _ in "ok\n" }
        var logger = Logger(label: "wasmton.metrics")
        logger.logLevel = .warning
        let app = Application(
            router: router, configuration: .init(address: .hostname(host, port: port), serverName: "wasmton"),
            onServerRunning: { [onListening] _ in onListening() }, logger: logger)
        do {
            try await app.run()
        } catch {
            throw CLIError.io("cannot serve metrics on \(host):\(port): \(error)")
        }
    }
}
