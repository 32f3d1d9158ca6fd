import Foundation

/// Waits for a socket within two bounds: the operation's own timeout, which the guest sees as
/// `ETIMEDOUT`, and the guest call's deadline, which fails the call.
struct SocketClock {
    enum Outcome: Equatable {
        case ready(Int16)
        case timedOut
    }

    /// When the guest call in progress must end, if it has a deadline.
    var deadline: ContinuousClock.Instant?
    /// The call's timeout, for the error message.
    var callTimeout: Duration?

    /// Waits until `handle` reports one of `events` (or an error or hang-up), `limit` passes
    /// (`.timedOut`), or the call's deadline passes (throws ``GuestError/deadlineExceeded(seconds:function:)``).
    func wait(_ handle: Int32, for events: Int16, limit: Duration) throws(GuestError) -> Outcome {
        var descriptor = pollfd(fd: handle, events: events, revents: 0)
        let ready = try poll(&descriptor, count: 1, limit: limit)
        return ready > 0 ? .ready(descriptor.revents) : .timedOut
    }

    /// `poll(2)` over `descriptors`, for at most `limit` (`nil`: until the call's deadline, or
    /// forever without one). Returns how many are ready; 0 when `limit` passed first.
    func poll(_ descriptors: UnsafeMutablePointer<pollfd>, count: Int, limit: Duration?) throws(GuestError) -> Int {
        let start = ContinuousClock.now
        let end = limit.map { start + $0 }
        while true {
            let now = ContinuousClock.now
            var wait: Duration? = end.map { $0 - now }
            var deadlineBinds = false
            if let deadline, wait.map({ deadline - now <= $0 }) ?? true {
                wait = deadline - now
                deadlineBinds = true
            }
            if let remaining = wait, remaining <= .zero {
                if deadlineBinds, let callTimeout {
                    throw .deadlineExceeded(seconds: callTimeout.seconds, function: nil)
                }
                return 0
            }
            let milliseconds: Int32 = wait.map { Int32(clamping: Int64(($0.seconds * 1_000).rounded(.up))) } ?? -1
            let ready = Foundation.poll(descriptors, nfds_t(count), milliseconds)
            if ready > 0 { return Int(ready) }
            if ready < 0 && errno != EINTR { return 0 }
        }
    }
}
