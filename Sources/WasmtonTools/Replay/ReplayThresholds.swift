/// How much worse the candidate may be than the baseline before the replay fails: the largest
/// allowed increase, in percent, of the p50 and p99 of fuel and of wall time (`nil`: not checked).
public struct ReplayThresholds: Sendable, Equatable {
    /// `--max-fuel-increase`, in percent.
    public var maxFuelIncrease: Double?
    /// `--max-latency-increase`, in percent.
    public var maxLatencyIncrease: Double?

    /// Thresholds, `nil` for a measure not checked.
    public init(maxFuelIncrease: Double? = nil, maxLatencyIncrease: Double? = nil) {
        self.maxFuelIncrease = maxFuelIncrease
        self.maxLatencyIncrease = maxLatencyIncrease
    }
}
