import Foundation
import Synchronization
import Testing
import WasmtonRuntime

@Suite("Worker lanes")
struct WorkerLaneTests {
    /// Collects what a lane's thread saw, for the test thread to read.
    final class Seen: Sendable {
        let items = Mutex<[Int]>([])
        let batches = Mutex<Int>(0)
        let onLaneThread = Mutex<Bool>(true)
        let stopped = Mutex<Bool>(false)
    }

    private func lane(_ seen: Seen, started: DispatchSemaphore? = nil, gate: DispatchSemaphore? = nil) -> WorkerLane<Int> {
        WorkerLane(name: "test-lane") {
            WorkerLane.Worker(
                process: { item in
                    if item < 0 {
                        started?.signal()
                        gate?.wait()
                    }
                    seen.items.withLock { $0.append(item) }
                    seen.onLaneThread.withLock { $0 = $0 && WorkerLane<Int>.isLaneThread && GuestThreads.isGuestThread }
                },
                batchFinished: { seen.batches.withLock { $0 += 1 } },
                stopped: { seen.stopped.withLock { $0 = true } })
        }
    }

    @Test("items run one at a time in the order given, on the lane's own marked thread")
    func fifoOnOwnThread() {
        let seen = Seen()
        let lane = lane(seen)
        for start in stride(from: 0, to: 1_000, by: 100) {
            #expect(lane.enqueue(contentsOf: Array(start..<start + 100)))
        }
        lane.enqueue(1_000)
        lane.finishAndStop()
        lane.waitUntilStopped()
        #expect(seen.items.withLock { $0 } == Array(0...1_000))
        #expect(seen.onLaneThread.withLock { $0 })
        #expect(!WorkerLane<Int>.isLaneThread, "the test's own thread is not a lane")
        #expect(seen.stopped.withLock { $0 })
        #expect(seen.batches.withLock { $0 } >= 1)
        #expect(!lane.enqueue(5), "a stopped lane refuses work")
    }

    @Test("stop lets the item in progress finish and drops the queued ones")
    func stopDropsQueued() throws {
        let seen = Seen()
        let started = DispatchSemaphore(value: 0)
        let gate = DispatchSemaphore(value: 0)
        let lane = lane(seen, started: started, gate: gate)
        lane.enqueue(contentsOf: [-1, 1, 2, 3])
        // Once the blocking item is in progress, queue more behind it.
        #expect(started.wait(timeout: .now() + 10) == .success)
        #expect(lane.enqueue(contentsOf: [4, 5]), "a running lane takes more work")
        lane.stop()
        gate.signal()
        lane.waitUntilStopped()
        #expect(seen.items.withLock { $0 } == [-1], "only the item in progress ran")
        #expect(!lane.enqueue(6), "a stopped lane refuses work")
        #expect(seen.stopped.withLock { $0 })
    }

    @Test("a lane that never got work has no thread to wait for")
    func neverStarted() {
        let seen = Seen()
        let lane = lane(seen)
        lane.stop()
        lane.waitUntilStopped()
        #expect(!seen.stopped.withLock { $0 })
    }

    @Test("the hand-off queue gives everything posted at once, and waits with a timeout")
    func handoffQueue() {
        let queue = HandoffQueue<Int>()
        var batch: [Int] = []
        let clock = ContinuousClock()
        let start = clock.now
        #expect(queue.take(into: &batch, timeout: .milliseconds(20)))
        #expect(batch.isEmpty)
        #expect(clock.now - start >= .milliseconds(15))
        queue.post(1)
        queue.post(contentsOf: [2, 3])
        #expect(queue.take(into: &batch, timeout: .zero))
        #expect(batch == [1, 2, 3])
        batch.removeAll()
        queue.post(4)
        #expect(queue.close(droppingQueued: false) == 0)
        #expect(!queue.post(5))
        #expect(queue.take(into: &batch))
        #expect(batch == [4])
        batch.removeAll()
        #expect(!queue.take(into: &batch), "closed and drained")
    }
}
