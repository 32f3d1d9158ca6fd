/// One input that the two modules handled differently: another outcome, or other outputs.
public struct ReplayDifference: Sendable, Equatable {
    /// The input.
    public var subject: ReplaySubject
    /// What the baseline (old) module did with it.
    public var baseline: ReplayObservation
    /// What the candidate (new) module did with it.
    public var candidate: ReplayObservation

    /// A difference between the two observations of `subject`.
    public init(subject: ReplaySubject, baseline: ReplayObservation, candidate: ReplayObservation) {
        self.subject = subject
        self.baseline = baseline
        self.candidate = candidate
    }
}
