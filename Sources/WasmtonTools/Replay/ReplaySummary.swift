/// One module's side of a replay: how many inputs ended in each outcome, and the fuel and wall
/// time percentiles over all of them.
public struct ReplaySummary: Sendable, Equatable {
    /// The module's path as given.
    public var module: String
    /// Inputs per outcome label (``ReplayOutcome/label``), most frequent first, then by name.
    public var outcomes: [(label: String, count: Int)]
    /// `nil` when the runtime did not meter fuel.
    public var fuel: ReplayPercentiles?
    /// Wall time in nanoseconds; `nil` when nothing was replayed.
    public var latency: ReplayPercentiles?

    /// A summary with every field given.
    public init(
        module: String, outcomes: [(label: String, count: Int)], fuel: ReplayPercentiles?, latency: ReplayPercentiles?
    ) {
        self.module = module
        self.outcomes = outcomes
        self.fuel = fuel
        self.latency = latency
    }

    /// How many inputs ended with `label`.
    public func count(_ label: String) -> Int {
        outcomes.first { $0.label == label }?.count ?? 0
    }

    /// Equal modules, counts in the same order, and percentiles.
    public static func == (lhs: ReplaySummary, rhs: ReplaySummary) -> Bool {
        lhs.module == rhs.module && lhs.fuel == rhs.fuel && lhs.latency == rhs.latency
            && lhs.outcomes.map(\.label) == rhs.outcomes.map(\.label) && lhs.outcomes.map(\.count) == rhs.outcomes.map(\.count)
    }
}
