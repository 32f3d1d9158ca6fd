/// Which input a replay result is about: a stream record (where it came from and its key) or a
/// waPC request (its position in the capture, module and operation).
public enum ReplaySubject: Sendable, Equatable {
    /// A stream record: where it came from, and its key.
    case record(topic: String, partition: Int32, offset: Int64, key: [UInt8]?)
    /// A captured waPC request: its position in the capture (from 1), module and operation.
    case request(index: Int, module: String, operation: String)
}
