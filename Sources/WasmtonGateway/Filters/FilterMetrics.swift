import Metrics

/// The filter chain's metrics: callbacks by filter and outcome, time spent in each filter,
/// failures by kind, and VM restarts.
struct FilterMetrics: Sendable {
    func outcome(filter: String, _ outcome: String) {
        Counter(label: "wasmton_filter_calls_total", dimensions: [("filter", filter), ("outcome", outcome)]).increment()
    }

    func duration(filter: String, phase: String, _ duration: Duration) {
        Timer(label: "wasmton_filter_duration_seconds", dimensions: [("filter", filter), ("phase", phase)])
            .recordNanoseconds(duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
    }

    func failure(filter: String, kind: String) {
        Counter(label: "wasmton_filter_failures_total", dimensions: [("filter", filter), ("kind", kind)]).increment()
    }

    func restart(filter: String) {
        Counter(label: "wasmton_filter_restarts_total", dimensions: [("filter", filter)]).increment()
    }
}
