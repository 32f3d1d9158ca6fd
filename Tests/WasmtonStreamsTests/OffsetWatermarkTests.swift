import Testing
import WasmtonStreams

@Suite("Out-of-order commit watermark")
struct OffsetWatermarkTests {
    @Test("the commit offset waits for the lowest pending record, whatever order records complete in")
    func outOfOrder() throws {
        var watermark = OffsetWatermark()
        for offset in Int64(10)...14 { try watermark.register(offset) }
        #expect(watermark.commitOffset == nil)
        try watermark.complete(12)
        try watermark.complete(11)
        #expect(watermark.commitOffset == nil, "10 is still pending")
        try watermark.complete(10)
        #expect(watermark.commitOffset == 13, "10, 11, 12 done: next to read is 13")
        #expect(watermark.pendingCount == 2)
        try watermark.complete(14)
        #expect(watermark.commitOffset == 13, "13 is still pending")
        try watermark.complete(13)
        #expect(watermark.commitOffset == 15)
        #expect(watermark.pendingCount == 0)
    }

    @Test("gaps in offsets (compaction, transaction markers) are not waited for")
    func gaps() throws {
        var watermark = OffsetWatermark()
        for offset: Int64 in [3, 7, 8, 20] { try watermark.register(offset) }
        try watermark.complete(7)
        try watermark.complete(3)
        #expect(watermark.commitOffset == 8)
        try watermark.complete(20)
        try watermark.complete(8)
        #expect(watermark.commitOffset == 21)
    }

    @Test("misuse is reported, not absorbed")
    func misuse() throws {
        var watermark = OffsetWatermark()
        try watermark.register(5)
        #expect(throws: WatermarkError.notIncreasing(offset: 5, after: 5)) { try watermark.register(5) }
        #expect(throws: WatermarkError.unknown(offset: 6)) { try watermark.complete(6) }
        try watermark.register(6)
        try watermark.complete(6)
        #expect(throws: WatermarkError.completedTwice(offset: 6)) { try watermark.complete(6) }
        try watermark.complete(5)
        #expect(throws: WatermarkError.notIncreasing(offset: 4, after: 6)) { try watermark.register(4) }
    }

    @Test("a long random completion order always commits exactly the completed prefix")
    func randomized() throws {
        var generator = SplitMix(seed: 42)
        var watermark = OffsetWatermark()
        let count: Int64 = 5_000
        for offset in 0..<count { try watermark.register(offset) }
        var order = Array(0..<count)
        order.shuffle(using: &generator)
        var done = Set<Int64>()
        for offset in order {
            try watermark.complete(offset)
            done.insert(offset)
            var prefix: Int64 = 0
            while done.contains(prefix) { prefix += 1 }
            #expect(watermark.commitOffset == (prefix == 0 ? nil : prefix))
        }
        #expect(watermark.commitOffset == count)
    }
}

@Suite("Key routing to sub-partitions")
struct KeyRouterTests {
    @Test("a key with records in flight stays on their lane; once they finish it may move")
    func keyStaysWhileInFlight() {
        var router = KeyRouter(lanes: 4)
        let key = Array("k".utf8)
        let first = router.lane(for: key)
        // Other keys load the lanes; the key still goes where its record is in flight.
        for index in 0..<12 { _ = router.lane(for: Array("other-\(index)".utf8)) }
        #expect(router.lane(for: key) == first)
        #expect(router.load(of: first) >= 2)
        // Once every lane has finished everything, the key goes to the least loaded lane again.
        for lane in 0..<4 { router.finished(router.load(of: lane), on: lane) }
        _ = router.lane(for: Array("busy".utf8))  // lane 0 now holds one record
        let moved = router.lane(for: key)
        #expect(moved != 0, "an idle key goes to an idle lane, not back to a busy one")
    }

    @Test("keys spread by load: 250 keys over 64 lanes leave no lane with more than its share")
    func spreadsByLoad() {
        var router = KeyRouter(lanes: 64)
        var rng = SplitMix(seed: 7)
        let keys = (0..<250).map { Array("key-\($0)".utf8) }
        var perLane = Array(repeating: 0, count: 64)
        for _ in 0..<6_400 {
            perLane[router.lane(for: keys[Int(rng.next() % 250)])] += 1
        }
        // A hash would give the busiest lane about three times the mean (100); routing by load
        // keeps every lane near it, so no lane idles while another queues.
        #expect(perLane.max()! <= 200, "busiest lane got \(perLane.max()!) of 6,400")
        #expect(perLane.min()! >= 50, "idlest lane got \(perLane.min()!) of 6,400")
    }

    @Test("records of one key never run on two lanes at once, whatever finishes when")
    func oneLanePerKeyInFlight() {
        var router = KeyRouter(lanes: 8)
        var rng = SplitMix(seed: 11)
        var queues = Array(repeating: [Int](), count: 8)  // key index per queued record, FIFO
        for _ in 0..<20_000 {
            let key = Int(rng.next() % 40)
            let lane = router.lane(for: Array("key-\(key)".utf8))
            for other in 0..<8 where other != lane {
                #expect(!queues[other].contains(key), "key \(key) in flight on lane \(other) and sent to \(lane)")
            }
            queues[lane].append(key)
            let finishing = Int(rng.next() % 8)
            let count = min(queues[finishing].count, Int(rng.next() % 3))
            queues[finishing].removeFirst(count)
            router.finished(count, on: finishing)
        }
    }

    @Test("keyless records go to the least loaded lane")
    func keylessLeastLoaded() {
        var router = KeyRouter(lanes: 3)
        #expect((0..<6).map { _ in router.lane(for: nil) } == [0, 1, 2, 0, 1, 2])
        router.finished(2, on: 1)
        #expect(router.lane(for: nil) == 1)
    }

    @Test("a concurrency of 0 or less means one lane")
    func atLeastOneLane() {
        var router = KeyRouter(lanes: 0)
        #expect(router.lanes == 1)
        #expect(router.lane(for: Array("k".utf8)) == 0)
    }
}

/// A seeded generator, so the randomized test is the same on every run.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
