import HummingbirdCore
import Logging
import NIOCore

/// Runs each connection's request handling on the connection's own event loop, instead of
/// Swift concurrency's global pool.
///
/// Hummingbird hands every connection to a task on the global executor, so each request hops
/// from the event loop that read it to a pool thread and back to write the answer: with
/// short requests most of the CPU went to those thread switches (the kernel's
/// `finish_task_switch` led the profile). With the connection's task preferring its event loop
/// as executor, reading, routing, a guest call that runs in a time slice and writing happen on
/// one thread; guests that may block still go to the guest threads, which resume the request
/// on its loop.
struct EventLoopBoundChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value
    let base: Base

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        base.setup(channel: channel, logger: logger)
    }

    func handle(value: Value, logger: Logger) async {
        let executor = EventLoopTaskExecutor(eventLoop: value.channel.eventLoop)
        await withTaskExecutorPreference(executor) {
            await base.handle(value: value, logger: logger)
        }
    }
}

/// A `TaskExecutor` that runs jobs on one NIO event loop.
final class EventLoopTaskExecutor: TaskExecutor {
    let eventLoop: any EventLoop

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { [self] in
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}
