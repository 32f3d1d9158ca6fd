/// Why a capture file cannot be read or written; `description` is one line naming the file.
public enum CaptureError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file cannot be opened, read or written.
    case unreadable(path: String, reason: String)
    /// The first line is not a Wasmton capture header.
    case notACapture(path: String)
    /// A line that is not a valid entry of the file's kind.
    case malformed(path: String, line: Int, reason: String)
    /// The file holds another kind of entry than the caller needs.
    case wrongKind(path: String, found: CaptureKind, expected: CaptureKind)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason):
            return "cannot use capture file \(path): \(reason)"
        case .notACapture(let path):
            return
                "\(path) is not a Wasmton capture file (its first line must be {\"kind\":\"records\"|\"wapc\",\"wasmton-capture\":1}; write one with `wasmton capture` or `serve --capture`)"
        case .malformed(let path, let line, let reason):
            return "\(path):\(line): \(reason)"
        case .wrongKind(let path, let found, let expected):
            return "\(path) holds \(found.rawValue) entries, but \(expected.rawValue) entries are needed here"
        }
    }
}
