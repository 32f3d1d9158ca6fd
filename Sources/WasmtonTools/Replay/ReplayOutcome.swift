public import WasmtonContracts
public import WasmtonRuntime

/// What one module did with one replayed record or request.
public enum ReplayOutcome: Sendable, Equatable, Hashable {
    /// Processed (PollTask status ok), or a waPC response.
    case ok
    /// The processor asked to drop the record (status discard).
    case discard
    /// The processor asked for a retry (status retry).
    case retry
    /// The waPC guest answered with its own error (`__guest_error`); the text is the guest's.
    case guestError(String)
    /// The guest trapped; the text names the trap kind.
    case trap(String)
    /// The call used up its fuel budget (`--fuel`).
    case outOfFuel
    /// The call ran past its deadline (`--timeout`).
    case deadline
    /// The guest tried to grow past `--max-memory`.
    case memoryLimit
    /// Any other failure (instantiation, a host function, a bad module); the text says what.
    case failed(String)

    /// The outcome of a PollTask status.
    public init(status: TaskStatus) {
        switch status {
        case .ok: self = .ok
        case .retry: self = .retry
        case .discard: self = .discard
        }
    }

    /// The outcome of a failed call.
    public init(failure: GuestError) {
        switch failure {
        case .trap(let kind, _): self = .trap(kind.description)
        case .memoryAccessOutOfBounds: self = .trap(TrapKind.memoryOutOfBounds.description)
        case .outOfFuel: self = .outOfFuel
        case .deadlineExceeded: self = .deadline
        case .memoryLimitExceeded: self = .memoryLimit
        default: self = .failed(failure.description)
        }
    }

    /// The name outcomes are counted under: `ok`, `discard`, `retry`, `guest error`, `trap: KIND`,
    /// `out of fuel`, `deadline`, `memory limit`, `failed`.
    public var label: String {
        switch self {
        case .ok: return "ok"
        case .discard: return "discard"
        case .retry: return "retry"
        case .guestError: return "guest error"
        case .trap(let kind): return "trap: \(kind)"
        case .outOfFuel: return "out of fuel"
        case .deadline: return "deadline"
        case .memoryLimit: return "memory limit"
        case .failed: return "failed"
        }
    }

    /// The label with the failure's own text, where there is one (for the list of differences).
    public var detail: String {
        switch self {
        case .guestError(let message): return "guest error: \(message)"
        case .failed(let message): return "failed: \(message)"
        default: return label
        }
    }
}
