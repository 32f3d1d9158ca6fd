/// Threads that Wasmton owns for running guest code, so a guest that blocks (on a socket, or in
/// a long loop until its deadline) never occupies one of Swift concurrency's cooperative threads,
/// of which there is one per core.
///
/// Triggers `await run { … }`; the closure runs on one of these threads (a ``WorkerLane`` with
/// several threads on one queue: an idle thread takes the next job, so a slow guest never holds
/// up a job another thread could run). Each thread keeps its WasmKit execution stack between
/// calls (see `ExecutionStackCache`).
public final class GuestThreads: Sendable {
    private let lane: WorkerLane<@Sendable () -> Void>
    /// How many threads run guest code.
    public var count: Int { lane.threads }

    /// Prepares `count` threads (at least one), named `wasmton-guest-N`; they start with the first job.
    public init(count: Int) {
        lane = WorkerLane(name: "wasmton-guest", threads: count) { WorkerLane.Worker(process: { job in job() }) }
    }

    /// Runs `body` on a guest thread and returns its result.
    ///
    /// Throws ``GuestThreadsError/shutDown`` if ``shutdown()`` was called first. Cancelling the
    /// awaiting task does not interrupt a guest already running: guests stop at their limits.
    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let accepted = submit {
                continuation.resume(with: Result { try body() })
            }
            if !accepted { continuation.resume(throwing: GuestThreadsError.shutDown) }
        }
    }

    /// Queues `job` for a guest thread without waiting for it; false (nothing queued) after
    /// ``shutdown()``. For callers that are not in a task (an event loop) and take the result
    /// through a callback.
    public func submit(_ job: @escaping @Sendable () -> Void) -> Bool {
        lane.enqueue(job)
    }

    /// Whether the calling thread is one of Wasmton's guest threads (of any pool, or a stream lane).
    public static var isGuestThread: Bool { WorkerLane<Int>.isLaneThread }

    /// Lets queued work finish, then stops the threads. Later `run` calls throw.
    public func shutdown() {
        lane.finishAndStop()
    }
}

/// Why ``GuestThreads`` refused work.
public enum GuestThreadsError: Error, Equatable, Sendable, CustomStringConvertible {
    case shutDown

    public var description: String { "the guest threads are shut down" }
}
