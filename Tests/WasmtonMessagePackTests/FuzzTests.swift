import Testing
import WasmtonMessagePack

/// Seeded fuzzing: every case is replayable from the seed its failure message prints
/// (`ValueGenerator(seed:)` and `SplitMix64(seed:)` in TestSupport.swift).
@Suite("MessagePack fuzz")
struct FuzzTests {
    static let iterations = 2000

    @Test("random values round-trip: encode → decode is equal, and re-encoding gives the same bytes")
    func messagePackRoundTrip() {
        for index in 0..<Self.iterations {
            let seed = 0x0001_0000_0000 &+ UInt64(index)
            var generator = ValueGenerator(seed: seed)
            let value = generator.value()
            let bytes = MessagePack.encode(value)
            do {
                let decoded = try MessagePack.decode(bytes)
                guard decoded == value, MessagePack.encode(decoded) == bytes else {
                    Issue.record("seed \(seed): \(value) decoded as \(decoded)")
                    return
                }
            } catch {
                Issue.record("seed \(seed): \(value) failed to decode: \(error)")
                return
            }
        }
    }

    @Test("random values round-trip through JSON, float 32 and non-finite floats through the tags")
    func jsonRoundTrip() {
        var options = ValueGenerator.Options()
        options.nanPayloads = false  // JSON has one NaN
        for index in 0..<Self.iterations {
            let seed = 0x0002_0000_0000 &+ UInt64(index)
            var generator = ValueGenerator(seed: seed, options: options)
            let value = generator.value()
            let json = value.jsonBytes()
            do {
                let read = try MessagePackValue.fromJSON(json)
                guard read == value else {
                    Issue.record("seed \(seed): \(value) came back from \(value.jsonText()) as \(read)")
                    return
                }
            } catch {
                Issue.record("seed \(seed): \(value.jsonText()) failed to read: \(error)")
                return
            }
        }
    }

    /// Decoding never traps; whatever decodes re-encodes to bytes that decode to the same value.
    private static func checkDecoding(_ bytes: [UInt8], seed: UInt64) -> Bool {
        guard let value = try? MessagePack.decode(bytes) else { return true }
        guard let again = try? MessagePack.decode(MessagePack.encode(value)), again == value else {
            Issue.record("seed \(seed): \(Hex.encode(bytes)) decoded as \(value), which does not round-trip")
            return false
        }
        do {
            let (prefix, next) = try MessagePack.decode(bytes, from: 0)
            guard prefix == value, next == bytes.count else {
                Issue.record("seed \(seed): decode(_:from:) disagrees with decode(_:) on \(Hex.encode(bytes))")
                return false
            }
        } catch {
            Issue.record("seed \(seed): decode(_:from:) threw \(error) where decode(_:) did not on \(Hex.encode(bytes))")
            return false
        }
        return true
    }

    @Test("random byte strings never trap")
    func randomBytes() {
        let heads: [UInt8] = Array(0x80...0x9f) + Array(0xc0...0xdf) + [0x00, 0x7f, 0xa0, 0xa3, 0xbf, 0xe0, 0xff]
        for index in 0..<(2 * Self.iterations) {
            let seed = 0x0003_0000_0000 &+ UInt64(index)
            var rng = SplitMix64(seed: seed)
            let count = Int(rng.next() % 48)
            let bytes = (0..<count).map { _ in
                rng.next() % 2 == 0 ? heads[Int(rng.next() % UInt64(heads.count))] : UInt8(truncatingIfNeeded: rng.next())
            }
            guard Self.checkDecoding(bytes, seed: seed) else { return }
        }
    }

    @Test("mutated encodings (bit flips, truncations, huge lengths, splices) never trap")
    func mutatedBytes() {
        let hugeHeads: [[UInt8]] = [[0xdb], [0xc6], [0xc9], [0xdd], [0xdf], [0xda], [0xdc], [0xde], [0xc5], [0xc8]]
        for index in 0..<(2 * Self.iterations) {
            let seed = 0x0004_0000_0000 &+ UInt64(index)
            var generator = ValueGenerator(seed: seed)
            var bytes = MessagePack.encode(generator.value())
            var rng = SplitMix64(seed: ~seed)
            for _ in 0...(rng.next() % 3) {
                let position = Int(rng.next() % UInt64(bytes.count + 1))
                switch rng.next() % 6 {
                case 0:
                    if position < bytes.count { bytes[position] ^= 1 << (rng.next() % 8) }
                case 1:
                    bytes.removeSubrange(position...)
                case 2:
                    for offset in position..<Swift.min(position + 4, bytes.count) { bytes[offset] = 0xff }
                case 3:
                    let head = hugeHeads[Int(rng.next() % UInt64(hugeHeads.count))]
                    bytes.insert(
                        contentsOf: head + [0xff, 0xff, 0xff, 0xff].prefix(head == [0xdb] ? 4 : 2 + Int(rng.next() % 3)),
                        at: position)
                case 4:
                    if position < bytes.count { bytes[position] = UInt8(truncatingIfNeeded: rng.next()) }
                default:
                    let end = Swift.min(bytes.count, position + Int(rng.next() % 8))
                    bytes.insert(contentsOf: Array(bytes[position..<end]), at: Int(rng.next() % UInt64(bytes.count + 1)))
                }
            }
            guard Self.checkDecoding(bytes, seed: seed) else { return }
        }
    }

    @Test("mutated and random JSON never traps; whatever reads back round-trips")
    func mutatedJSON() {
        let alphabet = Array(#"[]{}",:-+0123456789eE.tfnrul$\ bfx"#.utf8) + [0x0a, 0xc3, 0xa9, 0xff]
        for index in 0..<(2 * Self.iterations) {
            let seed = 0x0005_0000_0000 &+ UInt64(index)
            var generator = ValueGenerator(seed: seed)
            var rng = SplitMix64(seed: ~seed)
            var json: [UInt8]
            if index % 4 == 0 {
                json = (0..<(rng.next() % 24)).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }
            } else {
                json = generator.value().jsonBytes()
                for _ in 0...(rng.next() % 2) {
                    let position = Int(rng.next() % UInt64(json.count + 1))
                    let byte = alphabet[Int(rng.next() % UInt64(alphabet.count))]
                    switch rng.next() % 4 {
                    case 0: json.insert(byte, at: position)
                    case 1: if position < json.count { json.remove(at: position) }
                    case 2: if position < json.count { json[position] = byte }
                    default: json.removeSubrange(position...)
                    }
                }
            }
            guard let value = try? MessagePackValue.fromJSON(json) else { continue }
            guard let again = try? MessagePackValue.fromJSON(value.jsonBytes()), again == value,
                let decoded = try? MessagePack.decode(MessagePack.encode(value)), decoded == value
            else {
                Issue.record("seed \(seed): \(String(decoding: json, as: UTF8.self)) read as \(value), which does not round-trip")
                return
            }
        }
    }

    @Test("100,000 nested arrays throw 'too deep' instead of overflowing the stack")
    func deepNesting() {
        #expect(throws: MessagePackError.tooDeep(offset: MessagePack.maximumDepth)) {
            try MessagePack.decode([UInt8](repeating: 0x91, count: 100_000))
        }
        #expect(throws: MessagePackError.tooDeep(offset: 3 * MessagePack.maximumDepth)) {
            try MessagePack.decode((0..<100_000).flatMap { _ in [0xdc, 0x00, 0x01] as [UInt8] })
        }
        let json = [UInt8](repeating: UInt8(ascii: "["), count: 100_000)
        #expect(throws: MessagePackError.self) { try MessagePackValue.fromJSON(json) }
        do {
            _ = try MessagePackValue.fromJSON(json)
        } catch {
            #expect(error.description.contains("nesting deeper than 512"))
        }
    }
}
