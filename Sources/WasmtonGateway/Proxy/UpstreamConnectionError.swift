/// Why an upstream connection ended under an exchange.
enum UpstreamConnectionError: Error, CustomStringConvertible {
    case closed
    case shuttingDown

    var description: String {
        switch self {
        case .closed: return "the upstream closed the connection before it answered"
        case .shuttingDown: return "the proxy is shutting down"
        }
    }
}
