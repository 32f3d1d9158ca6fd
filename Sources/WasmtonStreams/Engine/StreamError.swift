/// Why the stream engine, a source or a sink could not go on. Failures of single records are not
/// errors: they go to the retry and dead-letter paths.
public enum StreamError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The input file cannot be opened or read.
    case unreadableInput(path: String, reason: String)
    /// A line of a JSON-lines input is not a record (`line` counts from 1).
    case malformedInput(path: String, line: Int, reason: String)
    /// An output or dead-letter file cannot be written.
    case unwritableOutput(path: String, reason: String)
    /// The Kafka client failed in a way the engine cannot recover from.
    case kafka(String)
    /// The processor module cannot be instantiated for the contract (checked before consuming).
    case processor(String)
    /// Settings that contradict each other or are out of range.
    case invalidSettings(String)
    /// A state store cannot be opened, read or written, or restored from its changelog.
    case state(String)

    public var description: String {
        switch self {
        case .unreadableInput(let path, let reason): return "cannot read input \(path): \(reason)"
        case .malformedInput(let path, let line, let reason): return "\(path):\(line): \(reason)"
        case .unwritableOutput(let path, let reason): return "cannot write \(path): \(reason)"
        case .kafka(let message): return "kafka: \(message)"
        case .processor(let message): return message
        case .invalidSettings(let message): return message
        case .state(let message): return message
        }
    }
}
