import Metrics

/// The gateway's metrics, through swift-metrics (the CLI exports them in Prometheus format):
/// requests and latency per module, operation and status; pool size, waits and guest failures.
struct GatewayMetrics: Sendable {
    func request(module: String, operation: String, status: Int, duration: Duration) {
        let labels = [("module", module), ("operation", operation), ("status", String(status))]
        Counter(label: "wasmton_http_requests_total", dimensions: labels).increment()
        Timer(
            label: "wasmton_http_request_duration_seconds", dimensions: [("module", module), ("operation", operation)],
            preferredDisplayUnit: .seconds
        ).record(duration: duration)
    }

    func guestFailure(module: String, operation: String, kind: String) {
        Counter(
            label: "wasmton_guest_failures_total", dimensions: [("module", module), ("operation", operation), ("kind", kind)]
        ).increment()
    }

    func poolWait(module: String, duration: Duration) {
        Timer(label: "wasmton_pool_wait_seconds", dimensions: [("module", module)], preferredDisplayUnit: .seconds)
            .record(duration: duration)
    }

    func pool(module: String, size: Int, idle: Int, busy: Int, waiting: Int) {
        Gauge(label: "wasmton_pool_instances", dimensions: [("module", module)]).record(size)
        Gauge(label: "wasmton_pool_idle", dimensions: [("module", module)]).record(idle)
        Gauge(label: "wasmton_pool_busy", dimensions: [("module", module)]).record(busy)
        Gauge(label: "wasmton_pool_waiting", dimensions: [("module", module)]).record(waiting)
    }
}
