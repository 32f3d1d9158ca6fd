/// One input that the two modules handled differently: another outcome, or other outputs.
public struct ReplayDifference: Sendable, Equatable {
    public var subject: ReplaySubject
    public var baseline: ReplayObservation
    public var candidate: ReplayObservation

    public init(subject: ReplaySubject, baseline: ReplayObservation, candidate: ReplayObservation) {
        self.subject = subject
        self.baseline = baseline
        self.candidate = candidate
    }
}
