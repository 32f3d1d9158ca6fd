/// Collects what each module did with each input and makes the ``ReplayReport``: it keeps the
/// counts, the fuel and time samples and the differing inputs, not every output.
public struct ReplayReportBuilder: Sendable {
    private var candidate: Side
    private var baseline: Side?
    private var differences: [ReplayDifference] = []
    private var total = 0
    private var unit = ReplayReport.Unit.records
    private let thresholds: ReplayThresholds

    /// A builder for `candidate`, compared with `baseline` when there is one.
    public init(candidate: String, baseline: String?, thresholds: ReplayThresholds = ReplayThresholds()) {
        self.candidate = Side(module: candidate)
        self.baseline = baseline.map(Side.init(module:))
        self.thresholds = thresholds
    }

    /// Inputs added so far.
    public var count: Int { total }

    /// Adds one input's results (`baseline` is ignored without a baseline module).
    public mutating func add(_ subject: ReplaySubject, candidate: ReplayObservation, baseline: ReplayObservation?) {
        total += 1
        if case .request = subject { unit = .requests }
        self.candidate.add(candidate)
        guard self.baseline != nil, let baseline else { return }
        self.baseline?.add(baseline)
        if !candidate.behavesLike(baseline) {
            differences.append(ReplayDifference(subject: subject, baseline: baseline, candidate: candidate))
        }
    }

    /// The report over everything added.
    public func report() -> ReplayReport {
        let candidateSummary = candidate.summary()
        let baselineSummary = baseline?.summary()
        var regressions: [ReplayRegression] = []
        if let baselineSummary {
            regressions += Self.regressions(
                .fuel, candidateSummary.fuel, baselineSummary.fuel, allowed: thresholds.maxFuelIncrease)
            regressions += Self.regressions(
                .latency, candidateSummary.latency, baselineSummary.latency, allowed: thresholds.maxLatencyIncrease)
        }
        return ReplayReport(
            total: total, unit: unit, candidate: candidateSummary, baseline: baselineSummary, differences: differences,
            regressions: regressions, thresholds: thresholds)
    }

    private static func regressions(
        _ measure: ReplayRegression.Measure, _ candidate: ReplayPercentiles?, _ baseline: ReplayPercentiles?,
        allowed: Double?
    ) -> [ReplayRegression] {
        guard let allowed, let candidate, let baseline else { return [] }
        var found: [ReplayRegression] = []
        for (statistic, new, old) in [("p50", candidate.p50, baseline.p50), ("p99", candidate.p99, baseline.p99)] {
            let increase = ReplayPercentiles.percent(new, from: old) ?? .infinity
            if increase > allowed {
                found.append(
                    ReplayRegression(
                        measure: measure, statistic: statistic, baseline: old, candidate: new, increase: increase,
                        allowed: allowed))
            }
        }
        return found
    }

    /// One module's running tallies.
    private struct Side: Sendable {
        var module: String
        var outcomes: [String: Int] = [:]
        /// Fuel of the inputs whose call was metered (not those that failed to instantiate).
        var fuel: [UInt64] = []
        var latency: [UInt64] = []

        init(module: String) {
            self.module = module
        }

        mutating func add(_ observation: ReplayObservation) {
            outcomes[observation.outcome.label, default: 0] += 1
            if let used = observation.fuel { fuel.append(used) }
            latency.append(observation.nanoseconds)
        }

        func summary() -> ReplaySummary {
            let counts = outcomes.map { (label: $0.key, count: $0.value) }.sorted {
                ($0.count, $1.label) > ($1.count, $0.label)
            }
            return ReplaySummary(
                module: module, outcomes: counts, fuel: ReplayPercentiles(of: fuel),
                latency: ReplayPercentiles(of: latency))
        }
    }
}
