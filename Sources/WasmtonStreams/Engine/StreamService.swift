import Foundation
public import ServiceLifecycle
import Synchronization

/// A ``StreamEngine`` run as a ServiceLifecycle `Service`, so that a process runs its stream, its
/// metrics endpoint and its trace exporter in one `ServiceGroup` with one shutdown.
///
/// The engine's coordinator blocks a thread for as long as it runs, so it gets a thread of its
/// own (never one of Swift concurrency's cooperative pool). Graceful shutdown or cancellation
/// asks the engine to stop (``StreamEngine/shutdown()``): it finishes or hands back in-flight
/// work, commits, and `run()` returns. When the input ends (a file without `--follow`) it returns
/// by itself; give it `successTerminationBehavior: .gracefullyShutdownGroup` so the rest stop too.
public final class StreamService: Service, Sendable {
    public let engine: StreamEngine
    private let body: @Sendable (StreamEngine) throws(StreamError) -> StreamSummary
    private let outcome = Mutex<StreamSummary?>(nil)

    /// `body` runs the engine over its source and sink (``StreamEngine/run(source:sink:)`` or
    /// ``StreamEngine/run(kafka:)``) and is called once, on the coordinator's thread.
    public init(engine: StreamEngine, run body: @escaping @Sendable (StreamEngine) throws(StreamError) -> StreamSummary) {
        self.engine = engine
        self.body = body
    }

    /// What the run did, once it returned without an error.
    public var summary: StreamSummary? {
        outcome.withLock { $0 }
    }

    public func run() async throws {
        let result = await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Result<StreamSummary, StreamError>, Never>) in
                    let thread = Thread { [engine, body] in
                        continuation.resume(returning: Result { () throws(StreamError) -> StreamSummary in try body(engine) })
                    }
                    thread.name = "wasmton-stream"
                    thread.stackSize = 8 << 20
                    thread.start()
                }
            } onCancel: { [engine] in
                engine.shutdown()
            }
        } onGracefulShutdown: { [engine] in
            engine.shutdown()
        }
        let summary = try result.get()
        outcome.withLock { $0 = summary }
    }
}
