import Foundation

/// Items handed from any thread to consuming threads, which take what is queued in batches:
/// one lock and at most one wake-up per batch, not per item. The queue behind a ``WorkerLane``,
/// and the stream engine's inbox of completions.
public final class HandoffQueue<Item: Sendable>: @unchecked Sendable {
    // Why @unchecked Sendable is sound: `items`, `closed` and `waiting` are read and written only
    // while `condition` is locked.
    private let condition = NSCondition()
    private var items: [Item] = []
    private var closed = false
    /// Consumers blocked in ``take(into:limit:timeout:)``: a post wakes one only when one waits.
    private var waiting = 0

    public init() {}

    /// How many items wait to be taken.
    public var count: Int {
        condition.lock()
        defer { condition.unlock() }
        return items.count
    }

    /// Queues `item`; false (and nothing queued) once the queue is closed.
    @discardableResult
    public func post(_ item: Item) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !closed else { return false }
        items.append(item)
        if waiting > 0 { condition.signal() }
        return true
    }

    /// Queues `batch` in order, with one wake-up; false (and nothing queued) once closed.
    @discardableResult
    public func post(contentsOf batch: some Collection<Item>) -> Bool {
        var items = Array(batch)
        return post(taking: &items)
    }

    /// Queues `batch` like ``post(contentsOf:)`` and leaves `batch` empty: into an empty queue
    /// the array itself moves (its storage is swapped in, nothing is copied), and `batch` gets
    /// the queue's old storage to fill next time. False (and `batch` untouched) once closed.
    @discardableResult
    public func post(taking batch: inout [Item]) -> Bool {
        guard !batch.isEmpty else { return true }
        condition.lock()
        defer { condition.unlock() }
        guard !closed else { return false }
        if items.isEmpty {
            swap(&items, &batch)
        } else {
            items.append(contentsOf: batch)
            batch.removeAll(keepingCapacity: true)
        }
        if waiting > 0 { condition.signal() }
        return true
    }

    /// Moves what is queued, up to `limit` items from the front, into `batch` (which should be
    /// empty; its capacity is reused), waiting up to `timeout` for something to arrive (`nil`: as
    /// long as it takes). Returns false once the queue is closed and nothing is left to take.
    public func take(into batch: inout [Item], limit: Int = .max, timeout: Duration? = nil) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        if items.isEmpty && !closed {
            waiting += 1
            if let timeout {
                if timeout > .zero { _ = condition.wait(until: Date(timeIntervalSinceNow: timeout.seconds)) }
            } else {
                while items.isEmpty && !closed { condition.wait() }
            }
            waiting -= 1
        }
        if items.isEmpty { return !closed }
        if items.count <= limit {
            swap(&items, &batch)
        } else {
            batch.append(contentsOf: items[..<limit])
            items.removeFirst(limit)
            if waiting > 0 { condition.signal() }  // the rest is for another consumer
        }
        return true
    }

    /// Waits until something is queued, the queue is closed, or `timeout` passes; takes nothing.
    public func wait(timeout: Duration) {
        condition.lock()
        defer { condition.unlock() }
        if items.isEmpty && !closed && timeout > .zero {
            waiting += 1
            _ = condition.wait(until: Date(timeIntervalSinceNow: timeout.seconds))
            waiting -= 1
        }
    }

    /// Refuses further posts. With `droppingQueued`, what is queued is thrown away (and its count
    /// returned); otherwise it can still be taken.
    @discardableResult
    public func close(droppingQueued: Bool) -> Int {
        condition.lock()
        defer { condition.unlock() }
        closed = true
        let dropped = droppingQueued ? items.count : 0
        if droppingQueued { items.removeAll() }
        condition.broadcast()
        return dropped
    }
}
