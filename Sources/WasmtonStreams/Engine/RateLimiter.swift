/// A token bucket: at most `perSecond` tasks a second on average, with bursts up to one
/// second's worth. Decaton's per-partition `processing.rate.per.partition`.
struct RateLimiter {
    let perSecond: Double
    private var tokens: Double
    private var last: ContinuousClock.Instant

    init(perSecond: Int, now: ContinuousClock.Instant) {
        self.perSecond = Double(max(1, perSecond))
        tokens = self.perSecond
        last = now
    }

    /// Takes a token if one is available now.
    mutating func take(now: ContinuousClock.Instant) -> Bool {
        let elapsed = now - last
        last = now
        tokens = min(perSecond, tokens + elapsed / .seconds(1) * perSecond)
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }
}
