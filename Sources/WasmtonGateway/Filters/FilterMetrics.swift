import Metrics

/// The filter chain's rarer metrics: outcomes other than a callback's usual ones (skipped,
/// failed), failures by kind, and VM restarts. Every callback's duration and outcome go to the
/// filter's `FilterMeters`, made once.
struct FilterMetrics: Sendable {
    func outcome(filter: String, _ outcome: String) {
        Counter(label: "wasmton_filter_calls_total", dimensions: [("filter", filter), ("outcome", outcome)]).increment()
    }

    func failure(filter: String, kind: String) {
        Counter(label: "wasmton_filter_failures_total", dimensions: [("filter", filter), ("kind", kind)]).increment()
    }

    func restart(filter: String) {
        Counter(label: "wasmton_filter_restarts_total", dimensions: [("filter", filter)]).increment()
    }
}
