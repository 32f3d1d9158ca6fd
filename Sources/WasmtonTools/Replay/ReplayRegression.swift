/// A percentile of the candidate past the allowed increase over the baseline's.
public struct ReplayRegression: Sendable, Equatable {
    /// What grew.
    public enum Measure: String, Sendable {
        /// Fuel per input.
        case fuel
        /// Wall time per input.
        case latency
    }

    /// Fuel or wall time.
    public var measure: Measure
    /// `p50` or `p99`.
    public var statistic: String
    /// The baseline's value (fuel, or nanoseconds).
    public var baseline: UInt64
    /// The candidate's value.
    public var candidate: UInt64
    /// The increase, in percent.
    public var increase: Double
    /// The allowed increase, in percent (`--max-fuel-increase`, `--max-latency-increase`).
    public var allowed: Double

    /// A regression with every field given.
    public init(measure: Measure, statistic: String, baseline: UInt64, candidate: UInt64, increase: Double, allowed: Double) {
        self.measure = measure
        self.statistic = statistic
        self.baseline = baseline
        self.candidate = candidate
        self.increase = increase
        self.allowed = allowed
    }
}
