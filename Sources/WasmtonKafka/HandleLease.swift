internal import Synchronization

#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Darwin)
    internal import Darwin
#endif

/// Counts the calls currently using a librdkafka handle so it is destroyed only once nobody uses it.
///
/// `close()` may come from any thread, or from inside a callback that runs in the middle of a `poll()`.
/// So closing cannot just destroy the handle, nor wait for the other calls (a callback would wait for
/// itself). Instead: with no call in flight the closer finalizes at once; otherwise the last call to end
/// finalizes. While finalizing, calls that may legitimately run inside the final callbacks (a commit in
/// the final revoke handler) are still admitted; the finalizer waits for them before destroying.
final class HandleLease: Sendable {
    /// Where the handle is in its life.
    enum Phase: Sendable {
        /// Usable.
        case open
        /// close() was called while calls were in flight; the last one to end finalizes.
        case closeRequested
        /// Someone is closing and destroying the handle.
        case finalizing
        /// Destroyed: nothing may use it.
        case finished
    }

    private struct State {
        var phase = Phase.open
        var users = 0
    }

    private let state = Mutex(State())

    /// Begins a call. Returns false when the handle is finished, or when it is closing and the call is one
    /// that makes no sense then (`whileClosing: false`, e.g. poll or subscribe).
    func begin(whileClosing: Bool) -> Bool {
        state.withLock { state in
            switch state.phase {
            case .open:
                break
            case .closeRequested, .finalizing:
                guard whileClosing else { return false }
            case .finished:
                return false
            }
            state.users += 1
            return true
        }
    }

    /// Ends a call begun with `begin`. Returns true if the caller must now finalize (close was requested
    /// while this was the last call in flight).
    func end() -> Bool {
        state.withLock { state in
            state.users -= 1
            if state.phase == .closeRequested && state.users == 0 {
                state.phase = .finalizing
                return true
            }
            return false
        }
    }

    /// Requests the close. Returns true if the caller must finalize now; false if it is deferred to the
    /// last call in flight, or if the handle was already closing or closed.
    func requestClose() -> Bool {
        state.withLock { state in
            guard state.phase == .open else { return false }
            if state.users == 0 {
                state.phase = .finalizing
                return true
            }
            state.phase = .closeRequested
            return false
        }
    }

    /// Called by the finalizer just before destroying: waits until no call is in flight, then marks the
    /// handle finished so none can begin.
    func finish() {
        while true {
            let done = state.withLock { state in
                if state.users == 0 {
                    state.phase = .finished
                    return true
                }
                return false
            }
            if done { return }
            usleep(1000)
        }
    }

    /// The current phase (for `isClosed`).
    var phase: Phase { state.withLock { $0.phase } }
}
