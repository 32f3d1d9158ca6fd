import Synchronization

/// Which operations of a module run in a time slice on the request's thread: those whose last
/// few calls on a guest thread each took under a quarter of the slice.
///
/// A call cut off at the slice cannot be resumed: its instance is discarded (with whatever
/// state the guest kept in it) and the call runs again on a fresh one. Trying only operations
/// that have proved quick makes that rare, and an operation that was cut off goes back to guest
/// threads until it proves quick again.
final class QuickOperations: Sendable {
    /// Consecutive quick runs an operation needs before it is tried in a slice.
    static let proof = 3
    /// How long a call may run in a slice.
    let slice: Duration
    private let threshold: Duration
    /// Each operation's run of quick calls, and the operation last found quick (comparing the
    /// same name again is far cheaper than hashing it).
    private let streaks = Mutex<(all: [String: Int], lastQuick: String?)>(([:], nil))

    init(slice: Duration) {
        self.slice = slice
        threshold = slice / 4
    }

    /// Whether `operation` is tried in a slice.
    func isQuick(_ operation: String) -> Bool {
        streaks.withLock { streaks in
            if streaks.lastQuick == operation { return true }
            guard (streaks.all[operation] ?? 0) >= Self.proof else { return false }
            streaks.lastQuick = operation
            return true
        }
    }

    /// Notes a run of `operation` on a guest thread that took `took`, or (nil) a call cut off in a slice.
    func record(_ operation: String, took: Duration?) {
        streaks.withLock { streaks in
            guard let took, took < threshold else {
                streaks.all[operation] = 0
                if streaks.lastQuick == operation { streaks.lastQuick = nil }
                return
            }
            let streak = streaks.all[operation] ?? 0
            guard streak < Self.proof else { return }
            // Operation names come from request paths: bound the table.
            if streak == 0 && streaks.all.count >= 1_024 { return }
            streaks.all[operation] = streak + 1
        }
    }
}
