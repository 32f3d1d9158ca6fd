public import Logging
public import WasmtonRuntime

/// One instance of a waPC module, ready to serve operations: the host side of the protocol the
/// book's cuckoo-filter service and the official waPC guest SDKs (Rust, TinyGo, AssemblyScript,
/// Zig) speak.
///
/// Creating it instantiates the module and runs its start-up functions, `_start`, `_initialize`
/// and `wapc_init`, whichever exist, in that order (a WASI exit with code 0 there is a normal
/// end of `main`, as TinyGo's does). ``call(_:payload:)`` runs one operation. One guest serves
/// one call at a time; after an error whose ``WapcError/poisonsInstance`` is true, make a new one.
public final class WapcGuest: Sendable {
    /// The instance this guest drives.
    public let instance: WasmInstance
    private let state: WapcCallState
    /// The guest's `__guest_call`, found once: every operation goes through it.
    private let guestCall: GuestFunction

    /// The start-up functions, in the order they are called when exported.
    public static let startupFunctions = ["_start", "_initialize", "wapc_init"]

    /// Whether calls may run in a time slice on the caller's thread
    /// (``callInSlice(_:payload:slice:)``): the module imports no WASI function that blocks or
    /// acts outside the guest. `__host_call` and `__console_log` end a sliced call before acting.
    public var runsInSlices: Bool { instance.runsInSlices }

    /// Checks `module` is a waPC guest, instantiates it in `sandbox` with the `wapc` imports, and
    /// runs its start-up functions. Host calls go to `hostCalls`; `__console_log` to `logger`.
    public init(
        runtime: WasmRuntime, module: WasmModule, sandbox: Sandbox = Sandbox(), hostCalls: WapcHostCalls = WapcHostCalls(),
        logger: Logger = Logger(label: "wasmton.wapc")
    ) throws(WapcError) {
        guestCall = try Self.check(module)
        let state = WapcCallState()
        self.state = state
        do {
            instance = try runtime.instantiate(
                module, sandbox: sandbox,
                hostFunctions: WapcImports.functions(module: module, state: state, hostCalls: hostCalls, logger: logger))
        } catch {
            throw .startupFailed(function: GuestError.instantiation, error)
        }
        for name in Self.startupFunctions where module.signature(ofExport: name) == FunctionSignature(parameters: [], results: [])
        {
            do {
                try instance.call(name)
            } catch .exited(code: 0) {
                continue
            } catch {
                instance.close()
                throw .startupFailed(function: name, error)
            }
        }
    }

    /// Runs `operation` with `payload` and returns the guest's response (empty if it sent none).
    ///
    /// Throws ``WapcError/guestError(operation:message:)`` when the guest refuses with
    /// `__guest_error` or returns failure, and ``WapcError/guestFailed(operation:_:)`` when it
    /// traps or hits a limit.
    public func call(_ operation: String, payload: [UInt8]) throws(WapcError) -> [UInt8] {
        // Without a slice the call always finishes (or throws).
        try call(operation, payload: payload, slice: nil) ?? []
    }

    /// One `__guest_call`, in `slice` if given (`nil` when it was cut off).
    private func call(_ operation: String, payload: [UInt8], slice: Duration?) throws(WapcError) -> [UInt8]? {
        guard let operationLength = Int32(exactly: operation.utf8.count), let payloadLength = Int32(exactly: payload.count)
        else {
            throw .guestError(operation: operation, message: "payload of \(payload.count) bytes is too large for a 32-bit guest")
        }
        state.begin(operation: operation, payload: payload)
        let arguments: [WasmValue] = [.i32(operationLength), .i32(payloadLength)]
        let results: [WasmValue]
        do {
            if let slice {
                guard let finished = try instance.call(guestCall, arguments, slice: slice) else {
                    _ = state.end()
                    return nil
                }
                results = finished
            } else {
                results = try instance.call(guestCall, arguments)
            }
        } catch {
            _ = state.end()
            throw .guestFailed(operation: operation, error)
        }
        return try answer(to: operation, results: results, exchange: state.end())
    }

    /// The response of a finished `__guest_call`, or the error the guest reported.
    private func answer(
        to operation: String, results: [WasmValue], exchange: WapcCallState.Exchange
    ) throws(WapcError)
        -> [UInt8]
    {
        guard case .i32(1)? = results.first else {
            let message =
                exchange.guestError.map { String(decoding: $0, as: UTF8.self) }
                ?? "the guest reported failure without an error message"
            throw .guestError(operation: operation, message: message)
        }
        // Returned success but only reported an error: the reference hosts (wapc-rs, wapc-go)
        // treat that as a failure, and so do we.
        if exchange.guestResponse == nil, let error = exchange.guestError {
            throw .guestError(operation: operation, message: String(decoding: error, as: UTF8.self))
        }
        return exchange.guestResponse ?? []
    }

    /// Runs `operation` like ``call(_:payload:)``, but only for about `slice` and without waiting
    /// on the host (`WasmInstance.call(_:_:slice:)`): `nil` when the guest needed longer or
    /// asked for a host call, and then this guest must be closed (it stopped part-way) and the
    /// call run again elsewhere with ``call(_:payload:)`` on a fresh one. Nothing outside the
    /// guest has happened by then.
    public func callInSlice(_ operation: String, payload: [UInt8], slice: Duration) throws(WapcError) -> [UInt8]? {
        try call(operation, payload: payload, slice: slice)
    }

    /// Releases the instance.
    public func close() {
        instance.close()
    }

    /// Checks `module` is a waPC guest, and returns its `__guest_call`.
    private static func check(_ module: WasmModule) throws(WapcError) -> GuestFunction {
        let expected = FunctionSignature(parameters: [.i32, .i32], results: [.i32])
        guard let guestCall = try? module.function("__guest_call") else {
            throw .notAWapcModule(
                "\(module.name) does not export __guest_call (exported functions: \(module.exportedFunctions.joined(separator: ", ")))"
            )
        }
        guard guestCall.signature == expected else {
            throw .notAWapcModule("\(module.name) exports __guest_call as \(guestCall.signature), waPC needs \(expected)")
        }
        guard module.exports.contains(where: { $0.name == "memory" && $0.kind == .memory }) else {
            throw .notAWapcModule("\(module.name) exports no memory named 'memory'")
        }
        return guestCall
    }
}
