import WasmtonContracts
import WasmtonRuntime

/// The module (and, with a baseline, its earlier version) a replay runs every input through.
public enum ReplayModules {
    /// PollTask processors, for stream records.
    case pollTask(candidate: PollTaskReplayer, baseline: PollTaskReplayer?)
    /// waPC modules, for captured requests.
    case wapc(candidate: WapcReplayer, baseline: WapcReplayer?)

    /// Whether a baseline module is compared with.
    var hasBaseline: Bool {
        switch self {
        case .pollTask(_, let baseline): return baseline != nil
        case .wapc(_, let baseline): return baseline != nil
        }
    }

    /// Makes every module's first instance, failing for a module of the wrong contract.
    public func check() throws(ReplayError) {
        switch self {
        case .pollTask(let candidate, let baseline):
            for (replayer, path) in [(candidate, "candidate")] + (baseline.map { [($0, "baseline")] } ?? []) {
                do throws(GuestError) {
                    try replayer.check()
                } catch {
                    throw .module("\(replayer.factory.module.name) (\(path)) is not a PollTask processor: \(error)")
                }
            }
        case .wapc(let candidate, let baseline):
            for (replayer, path) in [(candidate, "candidate")] + (baseline.map { [($0, "baseline")] } ?? []) {
                do throws(WapcError) {
                    try replayer.check()
                } catch {
                    throw .module("\(replayer.module.name) (\(path)): \(error)")
                }
            }
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
