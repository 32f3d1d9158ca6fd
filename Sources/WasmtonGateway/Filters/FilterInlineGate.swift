import Synchronization

/// Whether a filter chain's events run inline, on the event loop where the request arrived,
/// rather than on guest threads: once its last few events (wherever they ran) each took under
/// the budget.
///
/// A proxy-wasm VM keeps every stream's state, so a callback cannot be cut off part-way and
/// moved elsewhere (as waPC calls in a time slice are): a callback that turns slow holds the
/// event loop until it returns or its sandbox timeout stops it. The gate keeps that to one
/// event: a slow event closes it, and events go back to guest threads until they prove quick
/// again.
final class FilterInlineGate: Sendable {
    /// Consecutive quick events needed before events run inline.
    static let proof = 3
    private let streak = Atomic<Int>(0)
    /// The budget in nanoseconds; 0: never inline.
    private let budgetNanoseconds = Atomic<Int64>(Int64(1_000_000))

    /// Whether events run inline now.
    var isOpen: Bool { streak.load(ordering: .relaxed) >= Self.proof }

    /// Sets how long an event may take and still count as quick; nil: events never run inline.
    func setBudget(_ budget: Duration?) {
        let nanoseconds = budget.map { Int64($0 / .nanoseconds(1)) } ?? 0
        budgetNanoseconds.store(max(0, nanoseconds), ordering: .relaxed)
        streak.store(0, ordering: .relaxed)
    }

    /// Counts the chain as proven quick now (tests, and a warm start); a slow event still closes the gate.
    func prove() {
        streak.store(Self.proof, ordering: .relaxed)
    }

    /// Notes an event that took `took`.
    func record(took: Duration) {
        let budget = budgetNanoseconds.load(ordering: .relaxed)
        guard budget > 0, Int64(took / .nanoseconds(1)) < budget else {
            streak.store(0, ordering: .relaxed)
            return
        }
        if streak.load(ordering: .relaxed) < Self.proof { streak.add(1, ordering: .relaxed) }
    }
}
