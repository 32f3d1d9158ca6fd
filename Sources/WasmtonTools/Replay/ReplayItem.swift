public import WasmtonCapture

/// One input of a replay: a stream record, or a waPC request.
public enum ReplayItem: Sendable, Equatable {
    case record(CapturedRecord)
    case request(CapturedRequest)
}
