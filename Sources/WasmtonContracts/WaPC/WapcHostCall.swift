/// One `__host_call` from a guest: the capability it names and the bytes it sends.
///
/// waPC names a capability by binding (which configured instance, usually `"default"`),
/// namespace (which kind, e.g. `"wasmton:kv"`) and operation; payloads are MessagePack by
/// convention but opaque to the host.
public struct WapcHostCall: Sendable, Equatable {
    /// The module whose guest made the call, so a capability can keep per-module state.
    public var module: String
    public var binding: String
    public var namespace: String
    public var operation: String
    public var payload: [UInt8]
    /// The deadline of the guest call that makes this host call, if it has one: a handler that
    /// waits should not wait past it.
    public var deadline: ContinuousClock.Instant?

    public init(
        module: String, binding: String, namespace: String, operation: String, payload: [UInt8],
        deadline: ContinuousClock.Instant? = nil
    ) {
        self.module = module
        self.binding = binding
        self.namespace = namespace
        self.operation = operation
        self.payload = payload
        self.deadline = deadline
    }
}

/// A failure a host capability reports to the guest through `__host_error`: the guest sees
/// `__host_call` return 0 and reads `message`.
public struct WapcHostCallError: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
