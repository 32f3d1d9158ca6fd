import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A thread of Wasmton's own (or a few sharing one queue) that works through the items given to
/// it, one at a time and in the order given: a stream partition's sub-partition, or the
/// ``GuestThreads`` of an HTTP pool.
///
/// Guest code runs only on such threads, never on Swift concurrency's cooperative pool (one
/// thread per core), so a guest that blocks on a socket or loops until its deadline stalls its
/// own lane and nothing else. Items are handed over and taken in batches (a ``HandoffQueue``):
/// one lock and one wake-up per batch, not per item, as swift-nio's `NIOThreadPool` takes its
/// work. The thread starts with the first item.
///
/// With several threads, each takes one item at a time from the shared queue, so an idle thread
/// always takes the next item (items start in order; they may finish in any order).
public final class WorkerLane<Item: Sendable>: Sendable {
    /// What the lane's thread does with its items. Built on that thread, so its state (an
    /// instance, a buffer of results) never leaves it.
    public struct Worker {
        /// Runs one item.
        public var process: (Item) -> Void
        /// Runs after each batch taken from the queue, before the thread waits again (for
        /// example to report the batch's results).
        public var batchFinished: () -> Void
        /// Runs once when the thread ends.
        public var stopped: () -> Void

        public init(
            process: @escaping (Item) -> Void, batchFinished: @escaping () -> Void = {}, stopped: @escaping () -> Void = {}
        ) {
            self.process = process
            self.batchFinished = batchFinished
            self.stopped = stopped
        }
    }

    /// The thread's name, as debuggers show it.
    public let name: String
    private let makeWorker: @Sendable () -> Worker
    private let queue = HandoffQueue<Item>()
    private let started = Atomic<Bool>(false)
    private let stopping = Atomic<Bool>(false)
    /// Entered when the thread starts, left when it ends.
    private let running = DispatchGroup()

    /// How many threads take from the queue.
    public let threads: Int

    /// A lane whose thread (or `threads` threads), once started, runs the worker that
    /// `makeWorker` builds on each.
    public init(name: String, threads: Int = 1, worker makeWorker: @escaping @Sendable () -> Worker) {
        self.name = name
        self.threads = max(1, threads)
        self.makeWorker = makeWorker
    }

    /// Queues one item; false (and nothing queued) once the lane is stopping.
    @discardableResult
    public func enqueue(_ item: Item) -> Bool {
        startIfNeeded()
        return queue.post(item)
    }

    /// Queues `items` in order behind what is queued already, with one wake-up; false (and
    /// nothing queued) once the lane is stopping.
    @discardableResult
    public func enqueue(contentsOf items: some Collection<Item>) -> Bool {
        startIfNeeded()
        return queue.post(contentsOf: items)
    }

    /// Queues `items` like ``enqueue(contentsOf:)`` and leaves `items` empty (its storage moves
    /// to the queue when the queue is empty, so nothing is copied); false once the lane is stopping.
    @discardableResult
    public func enqueue(taking items: inout [Item]) -> Bool {
        startIfNeeded()
        return queue.post(taking: &items)
    }

    /// Asks the thread to stop: the item in progress finishes, the others are dropped. Returns
    /// at once; ``waitUntilStopped()`` waits.
    public func stop() {
        stopping.store(true, ordering: .relaxed)
        queue.close(droppingQueued: true)
    }

    /// Lets everything queued run, then ends the thread; later enqueues return false.
    public func finishAndStop() {
        queue.close(droppingQueued: false)
    }

    /// Waits until the thread has ended (at once if it never started).
    public func waitUntilStopped() {
        running.wait()
    }

    /// Whether the calling thread is a lane's (one of Wasmton's guest-running threads).
    public static var isLaneThread: Bool {
        pthread_getspecific(laneThreadMarker) != nil
    }

    /// Starts the thread before the first item is posted, so ``waitUntilStopped()`` never misses
    /// it; a thread started for a queue already closed ends at once.
    private func startIfNeeded() {
        guard !started.load(ordering: .relaxed),
            started.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged
        else { return }
        for index in 0..<threads {
            running.enter()
            let thread = Thread { [self] in
                pthread_setspecific(laneThreadMarker, UnsafeRawPointer(bitPattern: 1))
                run()
                running.leave()
            }
            thread.name = threads == 1 ? name : "\(name)-\(index)"
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    private func run() {
        let worker = makeWorker()
        var batch: [Item] = []
        let limit = threads == 1 ? Int.max : 1
        while queue.take(into: &batch, limit: limit) {
            for item in batch {
                if stopping.load(ordering: .relaxed) { break }
                worker.process(item)
            }
            batch.removeAll(keepingCapacity: true)
            worker.batchFinished()
        }
        worker.stopped()
    }
}

/// The thread-specific key that marks lane threads (a generic type cannot hold a static one).
private let laneThreadMarker: pthread_key_t = {
    var key = pthread_key_t()
    precondition(pthread_key_create(&key, nil) == 0, "pthread_key_create failed")
    return key
}()
