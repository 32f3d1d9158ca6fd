/// Chooses the sub-partition (worker lane) of each record of a partition.
///
/// A key with records still in flight goes to the lane that holds them, so the records of one
/// key are processed one at a time and in offset order. A key with nothing in flight, and every
/// keyless record, goes to the lane with the least work outstanding. Keys are thus spread by
/// load rather than by a hash, and a few hot keys cannot leave lanes idle while others queue
/// (with 250 keys over 64 lanes a hash leaves the busiest lane with about three times the
/// average). Lanes are FIFO, so counting what each lane was given and has finished tells
/// whether a key's last record is done without remembering every record.
public struct KeyRouter: Sendable {
    /// The number of lanes (partition concurrency), at least 1.
    public let lanes: Int
    /// Records given to each lane since the router was made.
    private var given: [Int]
    /// Records each lane has finished (lanes finish in the order they are given).
    private var finished: [Int]
    /// Where each recently seen key went, and its position in that lane's order.
    private var keys: [[UInt8]: Placement] = [:]
    /// Size of `keys` at which finished keys are swept out.
    private var sweepAt = Self.minimumSweep

    private struct Placement: Sendable {
        var lane: Int
        var position: Int
    }

    private static let minimumSweep = 4096

    public init(lanes: Int) {
        self.lanes = max(1, lanes)
        given = Array(repeating: 0, count: self.lanes)
        finished = given
    }

    /// The lane for the next record with `key`, counted as given to it, or `nil` (and nothing
    /// counted) when that lane already holds `maxLoad` records or more: the record waits, so
    /// that a key is not bound to a lane long before the lane can run it.
    public mutating func lane(for key: [UInt8]?, maxLoad: Int) -> Int? {
        guard lanes > 1 else {
            guard given[0] - finished[0] < maxLoad else { return nil }
            given[0] += 1
            return 0
        }
        let index = key.flatMap { keys.index(forKey: $0) }
        let pinned = index.map { keys.values[$0] }.flatMap { $0.position > finished[$0.lane] ? $0.lane : nil }
        let lane = pinned ?? leastLoaded()
        guard given[lane] - finished[lane] < maxLoad else { return nil }
        given[lane] += 1
        let placement = Placement(lane: lane, position: given[lane])
        if let index {
            keys.values[index] = placement
        } else if let key {
            keys[key] = placement
            if keys.count >= sweepAt { sweep() }
        }
        return lane
    }

    /// The lane for the next record with `key` (`nil` for keyless), counted as given to it,
    /// however much the lane holds.
    public mutating func lane(for key: [UInt8]?) -> Int {
        // With no bound on the load there is always a lane.
        lane(for: key, maxLoad: .max)!
    }

    /// Notes that `lane` finished `count` more of the records it was given.
    public mutating func finished(_ count: Int, on lane: Int) {
        finished[lane] = min(given[lane], finished[lane] + count)
    }

    /// Records given to `lane` and not finished.
    public func load(of lane: Int) -> Int {
        given[lane] - finished[lane]
    }

    private func leastLoaded() -> Int {
        var best = 0
        var bestLoad = given[0] - finished[0]
        var lane = 1
        while lane < lanes && bestLoad > 0 {
            let load = given[lane] - finished[lane]
            if load < bestLoad {
                best = lane
                bestLoad = load
            }
            lane += 1
        }
        return best
    }

    /// Forgets keys with nothing in flight, which keeps the table as small as what is pending.
    private mutating func sweep() {
        let finished = self.finished
        keys = keys.filter { $0.value.position > finished[$0.value.lane] }
        sweepAt = max(Self.minimumSweep, keys.count * 2)
    }
}
