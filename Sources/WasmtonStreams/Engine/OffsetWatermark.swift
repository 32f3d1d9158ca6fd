/// Tracks which offsets of one partition have completed, in any order, and says which offset is
/// safe to commit: the highest one below which every record is done (Decaton's out-of-order
/// commit).
///
/// Records are registered in offset order as they are fetched, and may complete in any order
/// (several sub-partitions work at once). Gaps in the offsets (compacted topics, transaction
/// markers) are fine: only registered offsets are waited for. Not thread-safe by itself; the
/// partition that owns it serializes access.
public struct OffsetWatermark: Sendable {
    /// Registered offsets not yet completed, plus completed ones above the first pending one,
    /// in offset order. Completed entries at the front are dropped as the watermark advances.
    private var window: [(offset: Int64, done: Bool)] = []
    private var head = 0
    /// The highest offset known complete with everything before it complete, if any.
    public private(set) var highestContiguous: Int64?

    public init() {}

    /// How many registered records have not completed yet.
    public private(set) var pendingCount = 0

    /// The offset to commit in Kafka's convention: the next offset to read (highest done + 1),
    /// or `nil` when nothing has completed since the start.
    public var commitOffset: Int64? {
        highestContiguous.map { $0 + 1 }
    }

    /// The highest offset registered so far (the partition's consumed position), if any.
    public var lastRegistered: Int64? {
        window.last?.offset ?? highestContiguous
    }

    /// Registers a fetched record. Offsets must increase.
    public mutating func register(_ offset: Int64) throws(WatermarkError) {
        if let last = lastRegistered, offset <= last {
            throw .notIncreasing(offset: offset, after: last)
        }
        window.append((offset, false))
        pendingCount += 1
    }

    /// Marks a registered record done and advances the watermark past every completed prefix.
    public mutating func complete(_ offset: Int64) throws(WatermarkError) {
        guard let index = position(of: offset) else { throw .unknown(offset: offset) }
        guard !window[index].done else { throw .completedTwice(offset: offset) }
        window[index].done = true
        pendingCount -= 1
        while head < window.count, window[head].done {
            highestContiguous = window[head].offset
            head += 1
        }
        if head > 512, head * 2 > window.count {
            window.removeFirst(head)
            head = 0
        }
    }

    /// Where `offset` sits among the live entries: found at once when the offsets since the
    /// head have no gaps (the common case), else by binary search (offsets are increasing).
    private func position(of offset: Int64) -> Int? {
        if head < window.count, offset >= window[head].offset {
            let distance = offset - window[head].offset
            if distance < Int64(window.count - head) {
                let guess = head + Int(distance)
                if window[guess].offset == offset { return guess }
            }
        }
        var low = head
        var high = window.count - 1
        while low <= high {
            let middle = (low + high) / 2
            let value = window[middle].offset
            if value == offset { return middle }
            if value < offset { low = middle + 1 } else { high = middle - 1 }
        }
        return nil
    }
}

/// A misuse of ``OffsetWatermark``: a bug in the engine, reported rather than ignored.
public enum WatermarkError: Error, Equatable, Sendable, CustomStringConvertible {
    case notIncreasing(offset: Int64, after: Int64)
    case unknown(offset: Int64)
    case completedTwice(offset: Int64)

    public var description: String {
        switch self {
        case .notIncreasing(let offset, let after): return "offset \(offset) registered after \(after)"
        case .unknown(let offset): return "offset \(offset) completed but never registered (or already committed)"
        case .completedTwice(let offset): return "offset \(offset) completed twice"
        }
    }
}
