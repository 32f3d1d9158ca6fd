/// What a guest may see and use: its WASI world and its limits.
///
/// Nothing is granted by default: no arguments, no environment, no directories, captured-away
/// stdio is opt-in, and limits are off until set. Every trigger builds one of these per module.
public struct Sandbox: Sendable, Equatable {
    /// The guest's `argv`, program name first.
    public var arguments: [String]
    /// The guest's environment.
    public var environment: [String: String]
    /// Host directories the guest may open, in the order WASI hands them out (fd 3 onwards).
    public var directories: [DirectoryGrant]
    /// Where the guest's stdin, stdout and stderr go.
    public var stdio: Stdio
    /// Memory, fuel, time and stack bounds.
    public var limits: Limits
    /// Which hosts and ports the guest may connect to (none by default), and its socket limits.
    public var network: NetworkPolicy

    public init(
        arguments: [String] = [],
        environment: [String: String] = [:],
        directories: [DirectoryGrant] = [],
        stdio: Stdio = .discard,
        limits: Limits = Limits(),
        network: NetworkPolicy = NetworkPolicy()
    ) {
        self.arguments = arguments
        self.environment = environment
        self.directories = directories
        self.stdio = stdio
        self.limits = limits
        self.network = network
    }
}

/// A host directory made visible to the guest under `guestPath`.
public struct DirectoryGrant: Sendable, Equatable {
    public var hostPath: String
    public var guestPath: String

    public init(hostPath: String, guestPath: String? = nil) {
        self.hostPath = hostPath
        self.guestPath = guestPath ?? hostPath
    }

    /// Parses wasmtime's `--dir HOST[::GUEST]` form.
    public init(parsing text: String) {
        if let range = text.range(of: "::") {
            self.init(hostPath: String(text[..<range.lowerBound]), guestPath: String(text[range.upperBound...]))
        } else {
            self.init(hostPath: text)
        }
    }
}

/// Where a guest's standard streams go.
public enum Stdio: Sendable, Equatable {
    /// The host process's own stdin, stdout and stderr (what `wasmton run` uses).
    case inherit
    /// Empty stdin, output collected per instance and readable through ``WasmInstance/takeOutput()``.
    case capture
    /// Empty stdin, output dropped.
    case discard
}

/// Bounds on what one instance may consume.
public struct Limits: Sendable, Equatable {
    /// The most linear memory the instance may have, in bytes (rounded down to whole 64 KiB pages).
    public var maxMemoryBytes: Int?
    /// Fuel per call: about one unit per executed Wasm operator. `nil` is unlimited.
    public var fuel: UInt64?
    /// Wall-clock time per call. An infinite loop that never calls the host still ends within it.
    public var timeout: Duration?

    public init(maxMemoryBytes: Int? = nil, fuel: UInt64? = nil, timeout: Duration? = nil) {
        self.maxMemoryBytes = maxMemoryBytes
        self.fuel = fuel
        self.timeout = timeout
    }

    /// The memory limit in whole Wasm pages.
    public var maxMemoryPages: Int? {
        maxMemoryBytes.map { $0 / 65_536 }
    }
}
