/// The module (and, with a baseline, its earlier version) a replay runs every input through.
public enum ReplayModules {
    /// PollTask processors, for stream records.
    case pollTask(candidate: PollTaskReplayer, baseline: PollTaskReplayer?)
    /// waPC modules, for captured requests.
    case wapc(candidate: WapcReplayer, baseline: WapcReplayer?)

    var hasBaseline: Bool {
        switch self {
        case .pollTask(_, let baseline): return baseline != nil
        case .wapc(_, let baseline): return baseline != nil
        }
    }

    /// Releases the instances.
    public func close() {
        switch self {
        case .pollTask(let candidate, let baseline):
            candidate.close()
            baseline?.close()
        case .wapc(let candidate, let baseline):
            candidate.close()
            baseline?.close()
        }
    }
}
