/// Why a set of host-call links cannot start: a spec that does not parse, a linked module that
/// cannot serve, or links that could call each other in a circle.
public enum WapcLinkError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A `--link` spec that is not `[BINDING@]NAMESPACE[/OPERATION]=TARGET`.
    case badSpec(String, reason: String)
    /// Two links with the same `[BINDING@]NAMESPACE[/OPERATION]`.
    case duplicate(key: String)
    /// A linked module that is not a waPC module or fails at start-up; `path` as the link names it.
    case moduleFailed(path: String, reason: String)
    /// Links that could lead from a module back to itself: `path` lists the modules in order,
    /// the first again at the end, each step with the links that lead to its module.
    case cycle(path: [String], links: [String])

    public var description: String {
        switch self {
        case .badSpec(let spec, let reason):
            return
                "--link '\(spec)': \(reason) (expected [BINDING@]NAMESPACE[/OPERATION]=TARGET, TARGET being PATH.wasm[#OP], http(s)://… or echo)"
        case .duplicate(let key):
            return "--link \(key) is given twice: give each [BINDING@]NAMESPACE[/OPERATION] one target"
        case .moduleFailed(let path, let reason):
            return "linked module \(path) cannot serve: \(reason)"
        case .cycle(let path, let links):
            return
                "link cycle \(path.joined(separator: " → ")): a module that imports __host_call may use any link, so \(links.joined(separator: ", ")) could call back into a module already on the way; remove one of them"
        }
    }
}
