/// One MessagePack value: the data model of the MessagePack specification, as a Swift enum.
///
/// It is what `MessagePack.decode` returns and `MessagePack.encode` takes, and what the JSON
/// mapping (`fromJSON`, `jsonText()`) converts to and from. Maps keep their pairs in order and
/// allow keys of any type, as MessagePack does.
///
/// Equality is structural and follows the wire: integers compare by value whichever case holds
/// them (`.int(5) == .uint(5)`, since both encode alike), `float` and `double` compare by bit
/// pattern (so a NaN equals itself, `0.0` differs from `-0.0`, and `.float(1)` differs from
/// `.double(1)`), maps compare pair by pair in order. Hashing agrees with that equality.
public enum MessagePackValue: Sendable {
    /// The nil value (`0xc0`).
    case `nil`
    /// A boolean (`0xc2`, `0xc3`).
    case bool(Bool)
    /// A signed integer; decoding puts only negative integers here, so keep non-negative ones in `uint`.
    case int(Int64)
    /// A non-negative integer; decoding puts every integer from 0 to `UInt64.max` here, whatever its wire width.
    case uint(UInt64)
    /// A 32-bit IEEE 754 float, encoded as float 32 so it keeps its width.
    case float(Float)
    /// A 64-bit IEEE 754 float, encoded as float 64.
    case double(Double)
    /// A UTF-8 string (str family).
    case string(String)
    /// An opaque byte string (bin family).
    case binary([UInt8])
    /// An array of values.
    case array([MessagePackValue])
    /// A map: key/value pairs in order, keys of any type, duplicates kept as they come.
    case map([Pair])
    /// An extension value: an application-defined type code (negative codes are reserved by the
    /// specification; -1 is the timestamp) and its raw data.
    case `extension`(type: Int8, data: [UInt8])
}

extension MessagePackValue {
    /// The value of the first pair whose key is the string `key`, when this value is a map.
    ///
    /// Why: most maps on the wire are records with string keys; this reads one field without a
    /// pattern match. It is `nil` for a missing key and for a value that is not a map.
    public subscript(key: String) -> MessagePackValue? {
        guard case .map(let pairs) = self else { return nil }
        for pair in pairs {
            if case .string(let name) = pair.key, name == key { return pair.value }
        }
        return nil
    }
}

extension MessagePackValue: Hashable {
    /// Structural equality as MessagePack sees it: integers by value, floats by bit pattern.
    public static func == (lhs: MessagePackValue, rhs: MessagePackValue) -> Bool {
        switch (lhs, rhs) {
        case (.nil, .nil): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.int(let a), .int(let b)): return a == b
        case (.uint(let a), .uint(let b)): return a == b
        case (.int(let a), .uint(let b)), (.uint(let b), .int(let a)): return a >= 0 && UInt64(a) == b
        case (.float(let a), .float(let b)): return a.bitPattern == b.bitPattern
        case (.double(let a), .double(let b)): return a.bitPattern == b.bitPattern
        case (.string(let a), .string(let b)): return a == b
        case (.binary(let a), .binary(let b)): return a == b
        case (.array(let a), .array(let b)): return a == b
        case (.map(let a), .map(let b)): return a == b
        case (.extension(let typeA, let dataA), .extension(let typeB, let dataB)): return typeA == typeB && dataA == dataB
        default: return false
        }
    }

    /// Hashes consistently with `==`: a non-negative `.int` hashes like the equal `.uint`.
    public func hash(into hasher: inout Hasher) {
        switch self {
        case .nil:
            hasher.combine(0 as UInt8)
        case .bool(let value):
            hasher.combine(1 as UInt8)
            hasher.combine(value)
        case .int(let value) where value >= 0:
            hasher.combine(2 as UInt8)
            hasher.combine(UInt64(value))
        case .uint(let value):
            hasher.combine(2 as UInt8)
            hasher.combine(value)
        case .int(let value):
            hasher.combine(3 as UInt8)
            hasher.combine(value)
        case .float(let value):
            hasher.combine(4 as UInt8)
            hasher.combine(value.bitPattern)
        case .double(let value):
            hasher.combine(5 as UInt8)
            hasher.combine(value.bitPattern)
        case .string(let value):
            hasher.combine(6 as UInt8)
            hasher.combine(value)
        case .binary(let value):
            hasher.combine(7 as UInt8)
            hasher.combine(value)
        case .array(let value):
            hasher.combine(8 as UInt8)
            hasher.combine(value)
        case .map(let value):
            hasher.combine(9 as UInt8)
            hasher.combine(value)
        case .extension(let type, let data):
            hasher.combine(10 as UInt8)
            hasher.combine(type)
            hasher.combine(data)
        }
    }
}
