import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Threads that Wasmton owns for running guest code, so a guest that blocks (on a socket, or in
/// a long loop until its deadline) never occupies one of Swift concurrency's cooperative threads,
/// of which there is one per core.
///
/// Triggers `await run { … }`; the closure runs on one of these threads, which keeps its WasmKit
/// execution stack between calls (see `ExecutionStackCache`). Work is taken in submission order.
public final class GuestThreads: Sendable {
    private struct State: ~Copyable {
        var queue: [@Sendable () -> Void] = []
        var head = 0
        var isShutDown = false
    }

    private let state = Mutex(State())
    private let condition = NSCondition()
    /// How many threads run guest code.
    public let count: Int

    /// Starts `count` threads (at least one), named `wasmton-guest-N`.
    public init(count: Int) {
        self.count = max(1, count)
        for index in 0..<self.count {
            let name = "wasmton-guest-\(index)"
            let thread = Thread { [self] in
                Thread.current.name = name  // best effort: shows in debuggers, not relied on
                pthread_setspecific(Self.marker, UnsafeRawPointer(bitPattern: 1))
                self.work()
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    /// Runs `body` on a guest thread and returns its result.
    ///
    /// Throws ``GuestThreadsError/shutDown`` if ``shutdown()`` was called first. Cancelling the
    /// awaiting task does not interrupt a guest already running: guests stop at their limits.
    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let accepted = enqueue {
                continuation.resume(with: Result { try body() })
            }
            if !accepted { continuation.resume(throwing: GuestThreadsError.shutDown) }
        }
    }

    /// Whether the calling thread is one of Wasmton's guest threads (of any pool).
    public static var isGuestThread: Bool {
        pthread_getspecific(marker) != nil
    }

    private static let marker: pthread_key_t = {
        var key = pthread_key_t()
        precondition(pthread_key_create(&key, nil) == 0, "pthread_key_create failed")
        return key
    }()

    /// Lets queued work finish, then stops the threads. Later `run` calls throw.
    public func shutdown() {
        condition.lock()
        state.withLock { $0.isShutDown = true }
        condition.broadcast()
        condition.unlock()
    }

    private func enqueue(_ job: @escaping @Sendable () -> Void) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        let accepted = state.withLock { state -> Bool in
            guard !state.isShutDown else { return false }
            state.queue.append(job)
            return true
        }
        if accepted { condition.signal() }
        return accepted
    }

    private func work() {
        while true {
            condition.lock()
            var job: (@Sendable () -> Void)? = nil
            while job == nil {
                let (next, stop) = state.withLock { state -> ((@Sendable () -> Void)?, Bool) in
                    if state.head < state.queue.count {
                        let next = state.queue[state.head]
                        state.head += 1
                        if state.head > 1024 && state.head * 2 > state.queue.count {
                            state.queue.removeFirst(state.head)
                            state.head = 0
                        }
                        return (next, false)
                    }
                    return (nil, state.isShutDown)
                }
                if let next {
                    job = next
                } else if stop {
                    condition.unlock()
                    return
                } else {
                    condition.wait()
                }
            }
            condition.unlock()
            job?()
        }
    }
}

/// Why ``GuestThreads`` refused work.
public enum GuestThreadsError: Error, Equatable, Sendable, CustomStringConvertible {
    case shutDown

    public var description: String { "the guest threads are shut down" }
}
