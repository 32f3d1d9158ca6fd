public import WasmtonCapture

/// One input of a replay: a stream record, or a waPC request.
public enum ReplayItem: Sendable, Equatable {
    /// A stream record, for PollTask processors.
    case record(CapturedRecord)
    /// A waPC request, for waPC modules.
    case request(CapturedRequest)
}
