public import WasmtonCapture
public import WasmtonKafka
public import WasmtonStreams

/// Why a replay or capture could not read its input; `description` is one line.
public enum ReplayError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A capture file that cannot be read or written.
    case capture(CaptureError)
    /// A `--input` file that cannot be read.
    case input(StreamError)
    /// Kafka could not be read.
    case kafka(KafkaError)
    /// A module that cannot be replayed as the contract asks (not a PollTask processor, not a
    /// waPC guest).
    case module(String)
    /// The input holds the wrong kind of entries for the modules (records for waPC modules, say).
    case mismatch(String)

    public var description: String {
        switch self {
        case .capture(let error): return error.description
        case .input(let error): return error.description
        case .kafka(let error): return error.description
        case .mismatch(let message): return message
        case .module(let message): return message
        }
    }
}
