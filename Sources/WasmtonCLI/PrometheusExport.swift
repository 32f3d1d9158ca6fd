import Metrics
import Prometheus
import WasmtonRuntime

/// The process's Prometheus registry: bootstraps swift-metrics with it once and renders the
/// text exposition format, for `process --metrics-port` and `serve`'s `/metrics`.
enum PrometheusExport {
    private static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()

    /// Bootstraps the metrics system (first call only) and returns a renderer of its metrics,
    /// with the guests' fuel-per-call histograms (``GuestAccounting/renderHistograms()``) after them.
    static func bootstrap() -> @Sendable () -> [UInt8] {
        let registry = registry
        return { registry.emitToBuffer() + GuestAccounting.renderHistograms() }
    }
}
