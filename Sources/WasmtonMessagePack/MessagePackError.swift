/// Why MessagePack or JSON input could not be read.
///
/// Every case says where: a byte offset into MessagePack input (0-based), or a line and column
/// into JSON text (1-based; the column counts Unicode characters). `description` is one line,
/// fit for an `error:` message or an HTTP 400 body.
public enum MessagePackError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The value starting at `offset` needs more bytes than the input has (a cut-off message, or
    /// a length or count field larger than what follows it).
    case truncated(offset: Int)
    /// The byte at `offset` is `0xc1`, which the specification reserves and never uses.
    case reservedByte(offset: Int)
    /// The string starting at `offset` is not valid UTF-8.
    case invalidUTF8(offset: Int)
    /// The array or map starting at `offset` is nested deeper than `MessagePack.maximumDepth`.
    case tooDeep(offset: Int)
    /// A whole value ended at `offset`, but more bytes follow it.
    case trailingBytes(offset: Int)
    /// The JSON text is malformed at `line`, `column`; `reason` says what was expected or found.
    case invalidJSON(line: Int, column: Int, reason: String)
    /// The JSON number at `line`, `column` does not fit: an integer outside `Int64.min...UInt64.max`,
    /// or a number with a fraction or exponent beyond the range of a double (or a float, under `$f32`).
    case numberOutOfRange(line: Int, column: Int)
    /// The JSON object at `line`, `column` uses the reserved key `tag` (such as `$bin`) with a
    /// value that does not have that tag's shape; `reason` says which shape it needs.
    case badTaggedValue(tag: String, line: Int, column: Int, reason: String)

    /// A one-line message naming the problem and where it is.
    public var description: String {
        switch self {
        case .truncated(let offset):
            return "truncated MessagePack input: the value at byte \(offset) runs past the end of the input"
        case .reservedByte(let offset):
            return "invalid MessagePack input: reserved byte 0xc1 at byte \(offset)"
        case .invalidUTF8(let offset):
            return "invalid MessagePack input: the string at byte \(offset) is not valid UTF-8"
        case .tooDeep(let offset):
            return
                "invalid MessagePack input: the container at byte \(offset) is nested deeper than \(MessagePack.maximumDepth) levels"
        case .trailingBytes(let offset):
            return "invalid MessagePack input: unexpected bytes after the value, from byte \(offset)"
        case .invalidJSON(let line, let column, let reason):
            return "invalid JSON at line \(line), column \(column): \(reason)"
        case .numberOutOfRange(let line, let column):
            return "invalid JSON at line \(line), column \(column): number out of range"
        case .badTaggedValue(let tag, let line, let column, let reason):
            return "invalid JSON at line \(line), column \(column): bad \(tag) value: \(reason)"
        }
    }
}
