import Dispatch
import Synchronization

/// Runs an async service (a gateway, a proxy) to its end from a synchronous command, and
/// rethrows what it threw. The commands stay synchronous so the root command can be too.
enum BlockingRun {
    static func run(_ body: @escaping @Sendable () async throws -> Void) -> (any Error)? {
        let failure = Mutex<(any Error)?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            do {
                try await body()
            } catch {
                failure.withLock { $0 = error }
            }
            done.signal()
        }
        done.wait()
        return failure.withLock { $0 }
    }
}
