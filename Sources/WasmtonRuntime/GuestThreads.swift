/// Threads that Wasmton owns for running guest code, so a guest that blocks (on a socket, or in
/// a long loop until its deadline) never occupies one of Swift concurrency's cooperative threads,
/// of which there is one per core.
///
/// Triggers `await run { … }`; the closure runs on one of these threads (each a ``WorkerLane``),
/// which keeps its WasmKit execution stack between calls (see `ExecutionStackCache`). A job goes
/// to the lane with the least work outstanding, so an idle thread takes it before a busy one.
public final class GuestThreads: Sendable {
    private typealias Job = @Sendable () -> Void
    private let lanes: [WorkerLane<Job>]
    /// How many threads run guest code.
    public var count: Int { lanes.count }

    /// Prepares `count` threads (at least one), named `wasmton-guest-N`; each starts with its first job.
    public init(count: Int) {
        lanes = (0..<max(1, count)).map { index in
            WorkerLane(name: "wasmton-guest-\(index)") { WorkerLane.Worker(process: { job in job() }) }
        }
    }

    /// Runs `body` on a guest thread and returns its result.
    ///
    /// Throws ``GuestThreadsError/shutDown`` if ``shutdown()`` was called first. Cancelling the
    /// awaiting task does not interrupt a guest already running: guests stop at their limits.
    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let accepted = leastBusyLane().enqueue {
                continuation.resume(with: Result { try body() })
            }
            if !accepted { continuation.resume(throwing: GuestThreadsError.shutDown) }
        }
    }

    /// Whether the calling thread is one of Wasmton's guest threads (of any pool, or a stream lane).
    public static var isGuestThread: Bool { WorkerLane<Int>.isLaneThread }

    /// Lets queued work finish, then stops the threads. Later `run` calls throw.
    public func shutdown() {
        for lane in lanes { lane.finishAndStop() }
    }

    private func leastBusyLane() -> WorkerLane<Job> {
        var best = lanes[0]
        var bestCount = best.queuedCount
        for lane in lanes.dropFirst() where bestCount > 0 {
            let count = lane.queuedCount
            if count < bestCount {
                best = lane
                bestCount = count
            }
        }
        return best
    }
}

/// Why ``GuestThreads`` refused work.
public enum GuestThreadsError: Error, Equatable, Sendable, CustomStringConvertible {
    case shutDown

    public var description: String { "the guest threads are shut down" }
}
