/// The life cycle of a ``StreamEngine``, logged on every transition (Decaton's state listener).
public enum EngineState: String, Sendable, Equatable {
    case initializing
    case running
    case rebalancing
    case shuttingDown = "shutting down"
    case terminated
}
