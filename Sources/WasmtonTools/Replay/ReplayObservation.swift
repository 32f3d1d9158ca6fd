/// What replaying one record or request through one module gave: the outcome, what it emitted
/// (a PollTask processor's records, or a waPC response as one output without a key), the fuel
/// it burned (`nil` when the runtime does not meter fuel) and how long it took.
public struct ReplayObservation: Sendable, Equatable {
    /// One emitted record, or a waPC response (`key` nil).
    public struct Output: Sendable, Equatable {
        /// The emitted record's key (`nil`: keyless, or a waPC response).
        public var key: [UInt8]?
        /// The emitted record's value, or the waPC response bytes.
        public var value: [UInt8]

        /// An output with its key and value.
        public init(key: [UInt8]?, value: [UInt8]) {
            self.key = key
            self.value = value
        }
    }

    /// How the call ended.
    public var outcome: ReplayOutcome
    /// What it emitted, in order.
    public var outputs: [Output]
    /// Fuel the call burned; `nil` when it was not metered (an instantiation that failed).
    public var fuel: UInt64?
    /// Wall time of the guest call (with `--isolate-tasks`, instantiation included), in nanoseconds.
    public var nanoseconds: UInt64

    /// An observation with every field given.
    public init(outcome: ReplayOutcome, outputs: [Output] = [], fuel: UInt64? = nil, nanoseconds: UInt64 = 0) {
        self.outcome = outcome
        self.outputs = outputs
        self.fuel = fuel
        self.nanoseconds = nanoseconds
    }

    /// Whether another observation of the same input did the same thing: same outcome (trap kind
    /// and guest error text included) and the same outputs in the same order. Fuel and time are
    /// compared separately, as statistics.
    public func behavesLike(_ other: ReplayObservation) -> Bool {
        outcome == other.outcome && outputs == other.outputs
    }
}
