/// The MessagePack codec: bytes to `MessagePackValue` and back, and the JSON conversions.
///
/// Encoding always picks the smallest format, byte for byte as Python's
/// `msgpack.packb(value, use_bin_type=True)` does, so equal values encode to equal bytes.
/// Decoding accepts every format of the specification, normalizes integers (non-negative ones
/// become `.uint`, negative ones `.int`), checks strings are UTF-8, and never traps or
/// over-allocates on hostile input: every length is checked against the bytes that remain and
/// nesting is bounded by `maximumDepth`.
public enum MessagePack {
    /// The deepest nesting of arrays and maps that decoding (and `fromJSON`) accepts; a top-level
    /// array is at depth 1. Deeper input is rejected with `MessagePackError.tooDeep`, so hostile
    /// input cannot exhaust memory or the stack of whoever walks the value afterwards.
    public static let maximumDepth = 512

    /// Encodes `value` in the smallest MessagePack format for each part.
    ///
    /// A string, binary, extension, array or map of 2³² or more bytes or elements has no
    /// MessagePack format; encoding one stops the program.
    public static func encode(_ value: MessagePackValue) -> [UInt8] {
        var writer = MessagePackWriter()
        writer.write(value)
        return writer.bytes
    }

    /// Decodes the single value that makes up all of `bytes`.
    ///
    /// Throws `MessagePackError.trailingBytes` when bytes follow the value; use
    /// `decode(_:from:)` to read one value of several.
    public static func decode(_ bytes: [UInt8]) throws(MessagePackError) -> MessagePackValue {
        let (value, next) = try decode(bytes, from: 0)
        guard next == bytes.count else { throw .trailingBytes(offset: next) }
        return value
    }

    /// Decodes the value that starts at byte `offset` of `bytes` and returns it with the offset
    /// just past it, so a stream of concatenated values can be read one at a time.
    ///
    /// `offset` must be within `0...bytes.count`; at `bytes.count` this throws `.truncated`.
    public static func decode(_ bytes: [UInt8], from offset: Int) throws(MessagePackError) -> (value: MessagePackValue, next: Int)
    {
        precondition(offset >= 0 && offset <= bytes.count, "MessagePack.decode: offset \(offset) outside the input")
        var reader = MessagePackReader(bytes: bytes, position: offset)
        let value = try reader.readValue()
        return (value, reader.position)
    }

    /// The UTF-8 text of `bytes` when they are exactly one MessagePack string, read in place
    /// (checked to be UTF-8, as `decode` checks it); nil for any other value, or invalid input.
    /// For answers that pass a string on as it is, without making a `String` of it first.
    public static func stringBytes(_ bytes: [UInt8]) -> ArraySlice<UInt8>? {
        guard let first = bytes.first else { return nil }
        var start = 1
        var length = 0
        switch first {
        case 0xa0...0xbf: length = Int(first & 0x1f)
        case 0xd9, 0xda, 0xdb:
            start += 1 << Int(first - 0xd9)
            guard bytes.count >= start else { return nil }
            for byte in bytes[1..<start] { length = length << 8 | Int(byte) }
        default: return nil
        }
        guard bytes.count - start == length else { return nil }
        let text = bytes[start...]
        return text.withUnsafeBufferPointer(UTF8Text.isValid) ? text : nil
    }

    /// Converts JSON text to MessagePack bytes, with the mapping of `MessagePackValue.fromJSON(_:)`:
    /// the bytes of `encode(try MessagePackValue.fromJSON(json))`, written straight from the text
    /// for everyday shapes (small objects and arrays, plain strings, integers).
    public static func fromJSON(_ json: [UInt8]) throws(MessagePackError) -> [UInt8] {
        if let bytes = JSONTranscoder.messagePack(json) { return bytes }
        return encode(try MessagePackValue.fromJSON(json))
    }

    /// Converts one MessagePack value (all of `bytes`) to compact JSON text, UTF-8 encoded, with
    /// the mapping of `MessagePackValue.fromJSON(_:)`.
    public static func toJSON(_ bytes: [UInt8]) throws(MessagePackError) -> [UInt8] {
        try decode(bytes).jsonBytes()
    }
}
