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
    @Test("a key always goes to the same lane, and keys spread over all lanes")
    func stableAndSpread() {
        var router = KeyRouter(lanes: 8)
        var used = Set<Int>()
        for index in 0..<200 {
            let key = Array("key-\(index)".utf8)
            let lane = router.lane(for: key)
            #expect((0..<8).contains(lane))
            #expect(router.lane(for: key) == lane)
            #expect(KeyRouter.lane(forKey: key, lanes: 8) == lane, "the same in every router and process")
            used.insert(lane)
        }
        #expect(used.count == 8)
    }

    @Test("keyless records go round-robin")
    func keylessRoundRobin() {
        var router = KeyRouter(lanes: 3)
        #expect((0..<7).map { _ in router.lane(for: nil) } == [0, 1, 2, 0, 1, 2, 0])
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
