public import WasmtonRuntime

/// Every way a waPC call can fail, so a trigger can tell the guest's own refusal from a broken
/// guest: an HTTP gateway answers the first with the guest's status and message, the second 500.
public enum WapcError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The guest answered the operation with `__guest_error`, or returned 0 (failure) from
    /// `__guest_call`; `message` is the guest's own text.
    case guestError(operation: String, message: String)
    /// The guest failed while running: a trap, fuel, deadline, memory limit, an out-of-bounds
    /// pointer handed to the host, or a WASI exit.
    case guestFailed(operation: String, GuestError)
    /// Instantiation or one of the start-up functions (`_start`, `_initialize`, `wapc_init`) failed.
    case startupFailed(function: String, GuestError)
    /// The module is not a waPC guest: it lacks `__guest_call` or `memory`, or exports them with
    /// other types.
    case notAWapcModule(String)

    public var description: String {
        switch self {
        case .guestError(let operation, let message):
            return "guest error in operation '\(operation)': \(message)"
        case .guestFailed(let operation, let error):
            return "operation '\(operation)' failed: \(error)"
        case .startupFailed(let function, let error):
            return "waPC start-up failed in \(function): \(error)"
        case .notAWapcModule(let reason):
            return "not a waPC module: \(reason)"
        }
    }

    /// Whether the instance that raised this error must be discarded rather than reused: true
    /// after the guest stopped mid-call; false after it answered with an error of its own.
    public var poisonsInstance: Bool {
        switch self {
        case .guestError, .notAWapcModule: return false
        case .guestFailed(_, let error): return error.poisonsInstance
        case .startupFailed: return true
        }
    }

    /// The guest's error message if the guest itself refused the operation.
    public var guestMessage: String? {
        if case .guestError(_, let message) = self { return message }
        return nil
    }

    /// Whether the guest refused because it has no handler for the operation. The waPC SDKs
    /// report this only as text, so this recognises their wordings (Rust, TinyGo,
    /// AssemblyScript, Zig and Wasmton's C kit).
    public var isUnknownOperation: Bool {
        guard let message = guestMessage?.lowercased() else { return false }
        return Self.unknownOperationWordings.contains { message.contains($0) }
    }

    static let unknownOperationWordings = [
        "unknown operation", "no handler registered", "could not find function", "no handler for",
        "function not found", "unknown function", "not registered",
    ]
}
