/// What a guest may reach over the network: nothing unless an ``ConnectRule`` allows it, within
/// per-instance socket and time limits.
///
/// The socket extension (`sock_connect`, `wasmton.resolve`) checks every destination against
/// ``allowed`` before it touches the network; a denied one answers `EACCES` to the guest and is
/// logged and counted. The default policy allows nothing.
public struct NetworkPolicy: Sendable, Equatable {
    /// The destinations the guest may connect to. Empty means no network at all.
    public var allowed: [ConnectRule]
    /// The most sockets one instance may hold open at once; the next connect gets `EMFILE`.
    public var maxSockets: Int
    /// How long a connect may take before it fails with `ETIMEDOUT`.
    public var connectTimeout: Duration
    /// How long one send, receive or poll may wait before it fails with `ETIMEDOUT`. A call's own
    /// deadline (``Limits/timeout``), when shorter, fails the call instead.
    public var ioTimeout: Duration
    /// The module name that denials and traffic are logged and counted under; `nil` uses the
    /// module's own. `serve` sets the name a module is served under (`NAME=PATH`).
    public var moduleLabel: String?

    public init(
        allowed: [ConnectRule] = [], maxSockets: Int = 16, connectTimeout: Duration = .seconds(5),
        ioTimeout: Duration = .seconds(30), moduleLabel: String? = nil
    ) {
        self.allowed = allowed
        self.maxSockets = maxSockets
        self.connectTimeout = connectTimeout
        self.ioTimeout = ioTimeout
        self.moduleLabel = moduleLabel
    }

    /// Parses `--allow-connect` entries into a policy with the default limits.
    public init(allowing rules: [String]) throws(NetworkPolicyError) {
        var parsed: [ConnectRule] = []
        for rule in rules { parsed.append(try ConnectRule(parsing: rule)) }
        self.init(allowed: parsed)
    }

    /// Whether any destination is allowed at all.
    public var allowsAnything: Bool { !allowed.isEmpty }
}
