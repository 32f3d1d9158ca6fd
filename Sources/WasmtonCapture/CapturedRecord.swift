public import WasmtonContracts

/// One stream record as a capture file keeps it: everything a PollTask guest can read (key,
/// value bytes, headers, topic, partition, offset) and the record's timestamp.
public struct CapturedRecord: Sendable, Equatable {
    /// The record as the stream engine hands it to a processor.
    public var task: StreamTask
    /// Create or log-append time in milliseconds since 1970, when known.
    public var timestampMilliseconds: Int64?

    /// A record with its timestamp.
    public init(task: StreamTask, timestampMilliseconds: Int64? = nil) {
        self.task = task
        self.timestampMilliseconds = timestampMilliseconds
    }
}
