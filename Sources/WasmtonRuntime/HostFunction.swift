import WasmKit

/// A function the host offers to guests as an import, written without engine types.
///
/// Contracts build their ABI (PollTask's `decaton.poll_task`, waPC's `__host_call`…) from these.
/// The body runs on the guest's worker thread while the guest waits; it may block, and it may
/// throw ``GuestError`` (or any error) to fail the guest's call.
public struct HostFunction {
    public typealias Body = (inout HostCall, [WasmValue]) throws -> [WasmValue]

    public var module: String
    public var name: String
    public var signature: FunctionSignature
    public var body: Body

    public init(module: String, name: String, signature: FunctionSignature, body: @escaping Body) {
        self.module = module
        self.name = name
        self.signature = signature
        self.body = body
    }
}

/// What a host function can reach while a guest calls it.
public struct HostCall {
    /// The calling instance's exported `memory`, if it has one.
    public let memory: LinearMemory?
    /// The wall-clock deadline of the guest call in progress, if one was set. Host functions that
    /// block should not wait past it.
    public let deadline: ContinuousClock.Instant?

    /// The calling instance's memory, or ``GuestError/missingMemory`` when it exports none.
    public func requireMemory() throws(GuestError) -> LinearMemory {
        guard let memory else { throw .missingMemory }
        return memory
    }
}
