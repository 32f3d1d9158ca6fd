import Metrics
import Synchronization

/// The metrics one filter records on every callback (its duration by phase, its outcome), made
/// once, on first use, and kept: making a `Timer` or `Counter` looks it up in the metrics
/// factory, which per callback cost more than many callbacks do. The rarer ones (failures,
/// restarts) stay with `FilterMetrics`.
///
/// Made on first use rather than with the filter, so that a metrics system bootstrapped after
/// the filters started still gets them.
final class FilterMeters: Sendable {
    /// The phases a callback's duration is recorded under (`phase` dimension).
    enum Phase: Int, CaseIterable {
        case request, response, requestBody, responseBody

        var label: String {
            switch self {
            case .request: "request"
            case .response: "response"
            case .requestBody: "request_body"
            case .responseBody: "response_body"
            }
        }
    }

    /// A request headers callback's outcome (`outcome` dimension).
    enum Outcome: Int, CaseIterable {
        case `continue`, paused, localResponse

        var label: String {
            switch self {
            case .continue: "continue"
            case .paused: "paused"
            case .localResponse: "local_response"
            }
        }
    }

    private struct Made: Sendable {
        let durations: [Timer]
        let outcomes: [Counter]
    }

    private let filter: String
    private let made = Mutex<Made?>(nil)

    init(filter: String) {
        self.filter = filter
    }

    /// Records a callback of `phase` that took `duration`.
    func duration(_ phase: Phase, _ duration: Duration) {
        meters().durations[phase.rawValue].recordNanoseconds(
            duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
    }

    /// Counts a request headers callback's outcome.
    func outcome(_ outcome: Outcome) {
        meters().outcomes[outcome.rawValue].increment()
    }

    private func meters() -> Made {
        made.withLock { made in
            if let made { return made }
            let new = Made(
                durations: Phase.allCases.map {
                    Timer(label: "wasmton_filter_duration_seconds", dimensions: [("filter", filter), ("phase", $0.label)])
                },
                outcomes: Outcome.allCases.map {
                    Counter(label: "wasmton_filter_calls_total", dimensions: [("filter", filter), ("outcome", $0.label)])
                })
            made = new
            return new
        }
    }
}
