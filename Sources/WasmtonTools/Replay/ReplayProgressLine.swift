/// The progress line a long replay shows on a terminal: inputs done (of how many, when known),
/// the rate, and the time left when the total is known. The rate is measured from the first
/// update on, so the instantiation before the first input does not skew it.
public struct ReplayProgressLine {
    private var first: (done: Int, time: UInt64)?

    /// A line with no update yet.
    public init() {}

    /// `replaying: 1200/5000 records, 830/s, ETA 4s` (no rate before a second update).
    public mutating func text(done: Int, total: Int?, noun: String = "records") -> String {
        text(done: done, total: total, noun: noun, now: ReplayClock.now())
    }

    /// ``text(done:total:noun:)`` at the monotonic time `now`, in nanoseconds.
    public mutating func text(done: Int, total: Int?, noun: String, now: UInt64) -> String {
        var text = "replaying: \(done)" + (total.map { "/\($0)" } ?? "") + " \(noun)"
        guard let first else {
            self.first = (done, now)
            return text
        }
        let seconds = Double(now &- first.time) / 1e9
        guard seconds > 0, done > first.done else { return text }
        let rate = Double(done - first.done) / seconds
        text += ", \(Int(rate.rounded()))/s"
        if let total, total >= done {
            text += ", ETA \(Self.clock(Double(total - done) / rate))"
        }
        return text
    }

    private static func clock(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded(.up))
        if whole < 60 { return "\(whole)s" }
        if whole < 3600 { return "\(whole / 60)m\(whole % 60)s" }
        return "\(whole / 3600)h\(whole / 60 % 60)m"
    }
}
