/// What a capture file holds, named in its first line.
public enum CaptureKind: String, Sendable, Equatable, CaseIterable {
    /// Stream records (`wasmton capture`): replayed through PollTask processors.
    case records
    /// waPC requests (`wasmton serve --capture`): replayed through waPC modules.
    case wapc
}
