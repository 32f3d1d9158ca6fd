/// A network policy that cannot be built as written.
public enum NetworkPolicyError: Error, Equatable, Sendable, CustomStringConvertible {
    /// An `--allow-connect` entry that does not parse; the second value says why.
    case badRule(String, String)

    public var description: String {
        switch self {
        case .badRule(let rule, let reason):
            return
                "--allow-connect '\(rule)': \(reason) (examples: localhost:8080, 127.0.0.1:8000-8100, 10.0.0.0/8:5432, *.internal:443)"
        }
    }
}
