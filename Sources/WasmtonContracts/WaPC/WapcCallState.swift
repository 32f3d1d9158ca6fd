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
    }

    private let exchange = Mutex(Exchange())

    func begin(operation: String, payload: [UInt8]) {
        exchange.withLock { $0 = Exchange(operation: Array(operation.utf8), payload: payload) }
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
