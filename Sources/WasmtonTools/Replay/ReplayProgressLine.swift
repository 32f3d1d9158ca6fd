/// The progress line a long replay shows on a terminal: inputs done (of how many, when known),
/// the rate, and the time left when the total is known.
public struct ReplayProgressLine {
    private let start: UInt64

    /// Starts the clock the rate is measured from.
    public init() {
        start = ReplayClock.now()
    }

    /// `replaying: 1200/5000 records, 830/s, ETA 4s`.
    public func text(done: Int, total: Int?, noun: String = "records") -> String {
        let seconds = Double(ReplayClock.now() &- start) / 1e9
        let rate = seconds > 0 ? Double(done) / seconds : 0
        var text = "replaying: \(done)" + (total.map { "/\($0)" } ?? "") + " \(noun), \(Int(rate.rounded()))/s"
        if let total, rate > 0, total >= done {
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
