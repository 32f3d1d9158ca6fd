import Synchronization

/// What one `__guest_call` exchanges with the guest, shared between ``WapcGuest`` and its
/// `wapc` imports (which run on the same thread, inside that call).
///
/// Reset at the start of every call, as the reference hosts do, so nothing leaks from one
/// operation (or one HTTP request) into the next.
final class WapcCallState: Sendable {
    struct Exchange {
        var operation: [UInt8] = []
        var payload: [UInt8] = []
        var guestResponse: [UInt8]?
        var guestError: [UInt8]?
        var hostResponse: [UInt8]?
        var hostError: [UInt8]?
        /// The call runs in a time slice on a thread that must not wait on the host
        /// (``WapcGuest/callInSlice(_:payload:slice:)``).
        var inSlice = false
        /// A host function was asked for during a sliced call and refused, so the call must run
        /// again on a guest thread.
        var movedOff = false
    }

    private let exchange = Mutex(Exchange())

    func begin(operation: String, payload: [UInt8], inSlice: Bool = false) {
        exchange.withLock { $0 = Exchange(operation: Array(operation.utf8), payload: payload, inSlice: inSlice) }
    }

    /// For host functions with effects outside the guest (host calls, logging): true, and the
    /// call marked to move off, when the call runs in a slice; the function must then fail
    /// before doing anything, so that running the call again elsewhere repeats nothing.
    func refuseInSlice() -> Bool {
        exchange.withLock { state in
            guard state.inSlice else { return false }
            state.movedOff = true
            return true
        }
    }

    /// Ends the call and returns what the guest answered.
    func end() -> Exchange {
        exchange.withLock { state in
            let finished = state
            state = Exchange()
            return finished
        }
    }

    func withExchange<R>(_ body: (inout Exchange) -> R) -> R {
        exchange.withLock { body(&$0) }
    }
}
