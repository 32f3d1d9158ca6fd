/// The result of a replay: the candidate's summary, and with a baseline its summary, every input
/// the two handled differently (in input order) and the regressions past the thresholds.
public struct ReplayReport: Sendable, Equatable {
    /// What the inputs were.
    public enum Unit: String, Sendable {
        case records
        case requests

        /// `record`/`records`, `request`/`requests`.
        public func noun(_ count: Int) -> String {
            count == 1 ? String(rawValue.dropLast()) : rawValue
        }
    }

    /// Inputs replayed.
    public var total: Int
    /// Records or waPC requests.
    public var unit: Unit
    /// The new module.
    public var candidate: ReplaySummary
    /// The module it is compared with; `nil` for a replay of one module.
    public var baseline: ReplaySummary?
    /// Every input the two modules handled differently, in input order.
    public var differences: [ReplayDifference]
    /// The percentiles past the thresholds.
    public var regressions: [ReplayRegression]
    /// The thresholds the regressions were found with.
    public var thresholds: ReplayThresholds

    /// A report with every field given.
    public init(
        total: Int, unit: Unit = .records, candidate: ReplaySummary, baseline: ReplaySummary?, differences: [ReplayDifference],
        regressions: [ReplayRegression], thresholds: ReplayThresholds
    ) {
        self.total = total
        self.unit = unit
        self.candidate = candidate
        self.baseline = baseline
        self.differences = differences
        self.regressions = regressions
        self.thresholds = thresholds
    }

    /// No input handled differently and no regression: safe to deploy, as far as this traffic shows.
    public var isEquivalent: Bool { differences.isEmpty && regressions.isEmpty }
}
