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
    /// Whether the function may run while a call runs in a time slice
    /// (`WasmInstance.call(_:_:slice:)`): true only for functions that neither block nor act
    /// outside the guest, so that a call cut off at the slice can run again elsewhere without
    /// repeating anything. Any other host function, called in a slice, ends the call there
    /// (before its body runs) and the call's result is `nil`.
    public var runsInSlice: Bool
    public var body: Body

    public init(
        module: String, name: String, signature: FunctionSignature, runsInSlice: Bool = false, body: @escaping Body
    ) {
        self.module = module
        self.name = name
        self.signature = signature
        self.runsInSlice = runsInSlice
        self.body = body
    }
}

/// What a host function can reach while a guest calls it.
public struct HostCall {
    /// The calling instance's exported `memory`, if it has one.
    public let memory: LinearMemory?
    /// The wall-clock deadline of the guest call in progress, if one was set. Host functions that
    /// block should not wait past it.
    public var deadline: ContinuousClock.Instant? { context?.takeUnretainedValue().deadline }
    /// The call in progress, for ``callGuest(_:_:)`` and ``deadline``. Unretained: a host call
    /// never outlives the guest call that made it, and the call context outlives every call.
    private let context: Unmanaged<CallContext>?
    /// How to reach the calling instance, for ``callGuest(_:_:)``.
    let reentry: GuestReentry?

    init(memory: consuming LinearMemory?, context: CallContext? = nil, reentry: GuestReentry? = nil) {
        self.memory = memory
        self.context = context.map { Unmanaged.passUnretained($0) }
        self.reentry = reentry
    }

    /// Calls the calling instance's exported function `name` from inside this host function, for
    /// ABIs whose host must ask the guest for memory (proxy-wasm's `proxy_on_memory_allocate`).
    ///
    /// The nested call shares the outer call's fuel and deadline. If it fails, the outer call
    /// fails with the nested call's error, as if the guest had failed there itself.
    public func callGuest(_ name: String, _ arguments: [WasmValue] = []) throws(GuestError) -> [WasmValue] {
        guard let context, let reentry else {
            throw .hostFunctionFailed(name: name, message: "no calling instance to call into")
        }
        return try context.takeUnretainedValue().reenter(reentry, name, arguments)
    }

    /// The calling instance's memory, or ``GuestError/missingMemory`` when it exports none.
    public func requireMemory() throws(GuestError) -> LinearMemory {
        guard let memory else { throw .missingMemory }
        return memory
    }
}

/// A ``HostFunction`` as an engine binds it: the function and its qualified name, shared by
/// reference so that a host call copies neither.
final class PreparedHostFunction {
    let function: HostFunction
    /// `module.name`, as errors name the function.
    let qualifiedName: String

    init(_ function: HostFunction) {
        self.function = function
        qualifiedName = "\(function.module).\(function.name)"
    }
}

/// The argument array of an engine's host calls, reused from call to call so that a host call
/// allocates none. Taken out while a call runs, so a nested host call makes its own.
final class HostArguments {
    private var spare: [WasmValue] = []

    /// Runs `body` with the arguments `fill` appends to an empty, reused array.
    func with<R>(
        _ fill: (inout [WasmValue]) -> Void, _ body: ([WasmValue]) throws(GuestError) -> R
    ) throws(GuestError) -> R {
        var values = spare
        spare = []
        values.removeAll(keepingCapacity: true)
        fill(&values)
        defer { spare = values }
        return try body(values)
    }
}
