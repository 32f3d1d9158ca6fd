/// JSON text of the everyday shapes converted straight to MessagePack bytes, without building a
/// `MessagePackValue` in between: the bytes `MessagePack.encode(MessagePackValue.fromJSON(json))`
/// gives, for a fraction of the work (a request's `{"name":"foo"}` took more instructions to
/// convert than the guest took to answer it).
///
/// It takes objects and arrays of up to 15 members nested up to 32 deep, strings of printable
/// ASCII without escapes (up to 255 bytes; object keys not starting with `$`, so no tag is
/// read), integers of up to 18 digits, `true`, `false` and `null`. For anything else (a longer
/// container, an escape, other text, a fraction or exponent, a tag, invalid JSON) it returns nil,
/// and `JSONReader` does the whole conversion and words any error.
struct JSONTranscoder {
    private let json: UnsafeBufferPointer<UInt8>
    private var position = 0
    private var writer = MessagePackWriter()

    private static let maximumDepth = 32

    /// The MessagePack bytes of `json`, or nil when it is not of a shape this reads.
    static func messagePack(_ json: [UInt8]) -> [UInt8]? {
        json.withUnsafeBufferPointer { json in
            var transcoder = JSONTranscoder(json: json)
            guard transcoder.value(depth: 0) else { return nil }
            transcoder.skipWhitespace()
            return transcoder.position == json.count ? transcoder.writer.bytes : nil
        }
    }

    private init(json: UnsafeBufferPointer<UInt8>) {
        self.json = json
        writer.bytes.reserveCapacity(json.count)
    }

    private mutating func value(depth: Int) -> Bool {
        skipWhitespace()
        guard position < json.count else { return false }
        switch json[position] {
        case UInt8(ascii: "{"): return container(object: true, depth: depth)
        case UInt8(ascii: "["): return container(object: false, depth: depth)
        case UInt8(ascii: "\""): return string(isKey: false)
        case UInt8(ascii: "t"): return literal("true", 0xc3)
        case UInt8(ascii: "f"): return literal("false", 0xc2)
        case UInt8(ascii: "n"): return literal("null", 0xc0)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return integer()
        default: return false
        }
    }

    /// An array or object (at its bracket), written as a fixarray or fixmap whose count is
    /// filled in at its end.
    private mutating func container(object: Bool, depth: Int) -> Bool {
        guard depth < Self.maximumDepth else { return false }
        let close = UInt8(ascii: object ? "}" : "]")
        position += 1
        let header = writer.bytes.count
        writer.bytes.append(object ? 0x80 : 0x90)
        skipWhitespace()
        if position < json.count, json[position] == close {
            position += 1
            return true
        }
        var count: UInt8 = 0
        while count < 15 {
            if object {
                skipWhitespace()
                guard position < json.count, json[position] == UInt8(ascii: "\""), string(isKey: true) else { return false }
                skipWhitespace()
                guard position < json.count, json[position] == UInt8(ascii: ":") else { return false }
                position += 1
            }
            guard value(depth: depth + 1) else { return false }
            count += 1
            skipWhitespace()
            guard position < json.count else { return false }
            if json[position] == UInt8(ascii: ",") {
                position += 1
                continue
            }
            guard json[position] == close else { return false }
            position += 1
            writer.bytes[header] |= count
            return true
        }
        return false
    }

    /// A string (at its opening quote) of printable ASCII without escapes, up to 255 bytes.
    private mutating func string(isKey: Bool) -> Bool {
        let start = position + 1
        var end = start
        while end < json.count {
            let byte = json[end]
            if byte == UInt8(ascii: "\"") { break }
            guard byte >= 0x20, byte < 0x7f, byte != UInt8(ascii: "\\") else { return false }
            end += 1
        }
        let length = end - start
        guard end < json.count, length <= 255, !(isKey && length > 0 && json[start] == UInt8(ascii: "$")) else {
            return false
        }
        writer.writeString(utf8: UnsafeBufferPointer(rebasing: json[start..<end]))
        position = end + 1
        return true
    }

    private mutating func literal(_ text: StaticString, _ byte: UInt8) -> Bool {
        let count = text.utf8CodeUnitCount
        guard json.count - position >= count else { return false }
        for offset in 0..<count where json[position + offset] != text.utf8Start[offset] { return false }
        position += count
        writer.bytes.append(byte)
        return true
    }

    /// An integer without leading zeros, fraction or exponent, of at most 18 digits (so it
    /// cannot overflow); `-0` is 0, as `JSONReader` reads it.
    private mutating func integer() -> Bool {
        let negative = json[position] == UInt8(ascii: "-")
        if negative { position += 1 }
        let start = position
        var magnitude: Int64 = 0
        while position < json.count, json[position] &- UInt8(ascii: "0") < 10 {
            guard position - start < 18 else { return false }
            magnitude = magnitude * 10 + Int64(json[position] &- UInt8(ascii: "0"))
            position += 1
        }
        let digits = position - start
        guard digits > 0, !(digits > 1 && json[start] == UInt8(ascii: "0")) else { return false }
        if position < json.count {
            let next = json[position]
            if next == UInt8(ascii: ".") || next == UInt8(ascii: "e") || next == UInt8(ascii: "E") { return false }
        }
        writer.write(negative && magnitude != 0 ? .int(-magnitude) : .uint(UInt64(magnitude)))
        return true
    }

    private mutating func skipWhitespace() {
        while position < json.count {
            switch json[position] {
            case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"): position += 1
            default: return
            }
        }
    }
}
