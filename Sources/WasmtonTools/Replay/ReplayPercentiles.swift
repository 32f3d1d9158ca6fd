/// p50, p99 and the maximum of a set of samples (nearest rank: each is a sample that occurred).
public struct ReplayPercentiles: Sendable, Equatable {
    /// The median.
    public var p50: UInt64
    /// The 99th percentile.
    public var p99: UInt64
    /// The largest sample.
    public var max: UInt64

    /// Percentiles with known values.
    public init(p50: UInt64, p99: UInt64, max: UInt64) {
        self.p50 = p50
        self.p99 = p99
        self.max = max
    }

    /// The percentiles of `samples`; `nil` when there are none.
    public init?(of samples: [UInt64]) {
        guard !samples.isEmpty else { return nil }
        let sorted = samples.sorted()
        func rank(_ percent: Int) -> UInt64 {
            // Nearest rank: the smallest sample with at least `percent`% of the samples at or below it.
            let index = (percent * sorted.count + 99) / 100 - 1
            return sorted[Swift.max(0, Swift.min(sorted.count - 1, index))]
        }
        self.init(p50: rank(50), p99: rank(99), max: sorted[sorted.count - 1])
    }

    /// The change from `baseline` to `self` in percent, per statistic (`nil` where the baseline is 0).
    public func change(from baseline: ReplayPercentiles) -> Change {
        Change(
            p50: Self.percent(p50, from: baseline.p50), p99: Self.percent(p99, from: baseline.p99),
            max: Self.percent(max, from: baseline.max))
    }

    /// Changes in percent (+12.5 is 12.5% more); `nil` where the baseline is 0.
    public struct Change: Sendable, Equatable {
        /// The change of the median.
        public var p50: Double?
        /// The change of the 99th percentile.
        public var p99: Double?
        /// The change of the maximum.
        public var max: Double?
    }

    static func percent(_ value: UInt64, from baseline: UInt64) -> Double? {
        guard baseline > 0 else { return value == 0 ? 0 : nil }
        return (Double(value) - Double(baseline)) / Double(baseline) * 100
    }
}
