/// Why a module could not be loaded: the file, its format or its validation.
///
/// Each case carries what a user needs to find the problem (path, section, byte offset,
/// line and column), and `description` is the one line the CLI prints.
public enum ModuleError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The path names no file.
    case fileNotFound(path: String)
    /// The file exists but could not be read.
    case unreadable(path: String, reason: String)
    /// The bytes are neither a Wasm binary (no `\0asm` magic) nor WebAssembly text.
    case notWasm(path: String, reason: String)
    /// A Wasm binary that stops in the middle of a section.
    case truncated(path: String, section: String?, offset: Int?)
    /// A malformed or invalid Wasm binary; `section` and `offset` say where, when known.
    case invalid(path: String, reason: String, section: String?, offset: Int?)
    /// A `.wat` file that does not assemble; `line` and `column` are 1-based.
    case invalidText(path: String, reason: String, line: Int?, column: Int?)

    public var description: String {
        switch self {
        case .fileNotFound(let path):
            return "\(path): no such file"
        case .unreadable(let path, let reason):
            return "\(path): cannot read file: \(reason)"
        case .notWasm(let path, let reason):
            return "\(path): not a WebAssembly module: \(reason)"
        case .truncated(let path, let section, let offset):
            return "\(path): truncated module: unexpected end\(Self.place(section, offset))"
        case .invalid(let path, let reason, let section, let offset):
            return "\(path): invalid module: \(reason)\(Self.place(section, offset))"
        case .invalidText(let path, let reason, let line, let column):
            var location = ""
            if let line {
                location = ":\(line)"
                if let column { location += ":\(column)" }
            }
            return "\(path)\(location): invalid WebAssembly text: \(reason)"
        }
    }

    private static func place(_ section: String?, _ offset: Int?) -> String {
        var parts: [String] = []
        if let section { parts.append("in \(section) section") }
        if let offset { parts.append("at offset 0x\(String(offset, radix: 16))") }
        return parts.isEmpty ? "" : " (" + parts.joined(separator: " ") + ")"
    }
}
