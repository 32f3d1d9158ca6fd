import Metrics

/// One link's metrics, through swift-metrics: `wasmton_link_calls_total`,
/// `wasmton_link_errors_total` and `wasmton_link_call_duration_seconds`, labelled with the link
/// (`[BINDING@]NAMESPACE[/OPERATION]`) and its target (a URL without its query). Made once per
/// link and kept.
struct WapcLinkMetrics: Sendable {
    private let calls: Counter
    private let errors: Counter
    private let duration: Timer

    init(link: WapcLink) {
        // A URL's query may hold what is not for dashboards: the label stops before it.
        let target = link.target.description.prefix { $0 != "?" }
        let dimensions = [("link", link.key), ("target", String(target))]
        calls = Counter(label: "wasmton_link_calls_total", dimensions: dimensions)
        errors = Counter(label: "wasmton_link_errors_total", dimensions: dimensions)
        duration = Timer(label: "wasmton_link_call_duration_seconds", dimensions: dimensions, preferredDisplayUnit: .seconds)
    }

    /// Counts and times one call through the link; a thrown error counts as an error.
    func measure<R>(_ body: () throws(WapcHostCallError) -> R) throws(WapcHostCallError) -> R {
        let start = ContinuousClock.now
        calls.increment()
        defer { duration.record(duration: ContinuousClock.now - start) }
        do {
            return try body()
        } catch {
            errors.increment()
            throw error
        }
    }
}
