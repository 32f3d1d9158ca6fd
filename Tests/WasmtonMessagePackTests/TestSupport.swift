import WasmtonMessagePack

/// SplitMix64: a tiny seeded generator, so every fuzz failure can be replayed from its seed.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

/// Random `MessagePackValue`s with a bias toward format boundaries.
struct ValueGenerator {
    /// What the values may contain.
    struct Options {
        var maximumDepth = 4
        var float32 = true
        var float64 = true
        /// Random float bit patterns may be NaNs with payloads; off keeps only the canonical NaN.
        var nanPayloads = true
        /// Map keys of any type (with duplicates); off keeps distinct strings, integers, binaries and nil.
        var anyKeys = true
        /// Extension type codes that may appear.
        var extensionTypes: ClosedRange<Int8> = Int8.min...Int8.max
    }

    var rng: SplitMix64
    var options: Options

    init(seed: UInt64, options: Options = Options()) {
        rng = SplitMix64(seed: seed)
        self.options = options
    }

    mutating func value(depth: Int = 0) -> MessagePackValue {
        let containers = depth < options.maximumDepth
        switch rng.next() % (containers ? 13 : 10) {
        case 0: return .nil
        case 1: return .bool(rng.next() & 1 == 0)
        case 2: return .uint(unsigned())
        case 3: return .int(negative())
        case 4: return options.float32 ? .float(float()) : .uint(unsigned())
        case 5: return options.float64 ? .double(double()) : .int(negative())
        case 6, 7: return .string(string())
        case 8: return .binary(bytes(count: length()))
        case 9:
            let type = Int8(Int(options.extensionTypes.lowerBound) + Int(rng.next() % UInt64(options.extensionTypes.count)))
            let sizes = [0, 1, 2, 3, 4, 5, 8, 15, 16, 17]
            let count = rng.next() % 4 == 0 ? length() : sizes[Int(rng.next() % UInt64(sizes.count))]
            return .extension(type: type, data: bytes(count: count))
        case 10, 11:
            return .array((0..<count()).map { _ in value(depth: depth + 1) })
        default:
            var pairs: [MessagePackValue.Pair] = []
            var seen = Set<MessagePackValue>()
            for _ in 0..<count() {
                let key = options.anyKeys ? value(depth: depth + 1) : simpleKey()
                if !options.anyKeys, !seen.insert(key).inserted { continue }
                pairs.append(.init(key: key, value: value(depth: depth + 1)))
            }
            return .map(pairs)
        }
    }

    /// A key Python's msgpack keeps distinct in a dict (no bools or floats, which equal integers there).
    private mutating func simpleKey() -> MessagePackValue {
        switch rng.next() % 5 {
        case 0: return .uint(unsigned())
        case 1: return .int(negative())
        case 2: return .binary(bytes(count: Int(rng.next() % 4)))
        case 3: return .nil
        default: return .string(string())
        }
    }

    /// Element counts around the fixarray/fixmap limit, sometimes 0.
    private mutating func count() -> Int {
        switch rng.next() % 8 {
        case 0: return 0
        case 1: return 15 + Int(rng.next() % 3)
        default: return 1 + Int(rng.next() % 5)
        }
    }

    /// Byte lengths around the fix/8-bit/16-bit format limits.
    private mutating func length() -> Int {
        switch rng.next() % 10 {
        case 0: return 30 + Int(rng.next() % 4)
        case 1: return 254 + Int(rng.next() % 4)
        case 2: return rng.next() % 32 == 0 ? 65534 + Int(rng.next() % 4) : 300
        default: return Int(rng.next() % 12)
        }
    }

    private mutating func unsigned() -> UInt64 {
        let boundaries: [UInt64] = [0, 127, 128, 255, 256, 65535, 65536, 0xffff_ffff, 0x1_0000_0000, UInt64.max]
        if rng.next() % 3 == 0 { return boundaries[Int(rng.next() % UInt64(boundaries.count))] }
        return rng.next() >> (rng.next() % 64)
    }

    private mutating func negative() -> Int64 {
        let boundaries: [Int64] = [-1, -32, -33, -128, -129, -32768, -32769, Int64(Int32.min), Int64(Int32.min) - 1, Int64.min]
        if rng.next() % 3 == 0 { return boundaries[Int(rng.next() % UInt64(boundaries.count))] }
        return -1 - Int64(rng.next() >> (1 + rng.next() % 63))
    }

    private mutating func float() -> Float {
        let number: Float
        switch rng.next() % 4 {
        case 0:
            number =
                [0, -0.0, 1.5, .infinity, -.infinity, .nan, .leastNonzeroMagnitude, .greatestFiniteMagnitude][Int(rng.next() % 8)]
        case 1: number = Float(Int32(truncatingIfNeeded: rng.next())) / 1024
        default: number = Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()))
        }
        return number.isNaN && !options.nanPayloads ? .nan : number
    }

    private mutating func double() -> Double {
        let number: Double
        switch rng.next() % 4 {
        case 0:
            number =
                [0, -0.0, 0.1, 1e300, .infinity, -.infinity, .nan, .leastNonzeroMagnitude, .greatestFiniteMagnitude][
                    Int(rng.next() % 9)]
        case 1: number = Double(Int64(bitPattern: rng.next())) / 1e6
        default: number = Double(bitPattern: rng.next())
        }
        return number.isNaN && !options.nanPayloads ? .nan : number
    }

    mutating func string() -> String {
        let count = rng.next() % 6 == 0 ? length() : Int(rng.next() % 10)
        if count > 300 {
            // Long strings repeat a short random one: cheap, and still every kind of character.
            let piece = string(count: 4)
            let repeats = count / piece.utf8.count
            return String(repeating: piece, count: repeats) + String(repeating: "x", count: count - repeats * piece.utf8.count)
        }
        return string(count: count)
    }

    private mutating func string(count: Int) -> String {
        var scalars = String.UnicodeScalarView()
        for _ in 0..<count {
            let value: UInt32
            switch rng.next() % 10 {
            case 0: value = UInt32(rng.next() % 0x20)  // control characters
            case 1: value = [0x22, 0x5c, 0x2f, 0x24, 0x7f][Int(rng.next() % 5)]  // " \ / $ DEL
            case 2: value = 0x80 + UInt32(rng.next() % 0x780)  // two UTF-8 bytes
            case 3: value = 0x800 + UInt32(rng.next() % 0xd000)  // three bytes (below the surrogates)
            case 4: value = 0x10000 + UInt32(rng.next() % 0x100000)  // four bytes
            default: value = 0x20 + UInt32(rng.next() % 0x5f)
            }
            scalars.append(Unicode.Scalar(value) ?? "?")
        }
        return String(scalars)
    }

    mutating func bytes(count: Int) -> [UInt8] {
        guard count <= 300 else { return [UInt8](repeating: UInt8(truncatingIfNeeded: rng.next()), count: count) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count)
        while bytes.count < count {
            var random = rng.next()
            for _ in 0..<Swift.min(8, count - bytes.count) {
                bytes.append(UInt8(truncatingIfNeeded: random))
                random >>= 8
            }
        }
        return bytes
    }
}

/// Lower-case hex of bytes, and back; for expected encodings and the exchange with Python.
enum Hex {
    static func encode(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    static func decode(_ text: some StringProtocol) -> [UInt8] {
        let digits = Array(text.utf8).filter { $0 != UInt8(ascii: " ") }
        precondition(digits.count % 2 == 0, "odd hex string")
        func nibble(_ digit: UInt8) -> UInt8 {
            switch digit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return digit - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return digit - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return digit - UInt8(ascii: "A") + 10
            default: preconditionFailure("not a hex digit: \(digit)")
            }
        }
        return stride(from: 0, to: digits.count, by: 2).map { nibble(digits[$0]) << 4 | nibble(digits[$0 + 1]) }
    }
}
