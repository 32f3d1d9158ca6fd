import CSQLite

/// Why a state store cannot be used. Each is one line naming the file and what to do; the engine
/// stops on any of them rather than lose or guess state.
public enum StateStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file is not a SQLite database, or SQLite found it damaged.
    case corrupt(path: String, reason: String)
    /// Another process (or connection) holds the store.
    case locked(path: String)
    /// The directory or file cannot be created, read or written.
    case unusable(path: String, reason: String)

    public var description: String {
        switch self {
        case .corrupt(let path, let reason):
            return "state store \(path) is corrupt (\(reason)): restore it from a backup or the changelog (remove the file)"
        case .locked(let path):
            return "state store \(path) is locked by another process: one wasmton per --state-dir"
        case .unusable(let path, let reason):
            return "state store \(path): \(reason)"
        }
    }

    /// The error for SQLite result `code`.
    static func classify(code: Int32, path: String, message: String) -> StateStoreError {
        switch code & 0xff {
        case SQLITE_CORRUPT, SQLITE_NOTADB: return .corrupt(path: path, reason: message)
        case SQLITE_BUSY, SQLITE_LOCKED: return .locked(path: path)
        default: return .unusable(path: path, reason: message)
        }
    }
}
