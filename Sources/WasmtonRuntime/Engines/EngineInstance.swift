import WASI

/// One engine's side of a ``WasmInstance``: its store, instance and imports. Used only under
/// the `WasmInstance`'s lock, one call at a time.
protocol EngineInstance: AnyObject {
    /// Runs the exported function `export` (its arguments already checked against its
    /// signature); `nil` when `slice` ran out first or a host function refused to run in it.
    func call(_ export: ExportedFunction, _ arguments: [WasmValue], slice: Duration?) throws(GuestError) -> [WasmValue]?
    /// The exported `memory`, if any.
    var exportedMemory: LinearMemory? { get }
    /// The fuel every call so far burned, summed (instantiation not included); stays 0 on a
    /// runtime without fuel metering.
    var fuelConsumed: UInt64 { get }
    /// Drops the engine's hold on host functions and memory.
    func close()
}

/// What both engines link an instance with: the host functions (contract ABI, socket lookup),
/// the WASI bridge and socket table the ``WasmInstance`` set up, and the limits to apply.
struct EngineInstanceSetup {
    let module: WasmModule
    let sandbox: Sandbox
    let hostFunctions: [HostFunction]
    let wasi: WASIBridgeToHost?
    let sockets: SocketTable?
}

/// The engine a ``WasmRuntime`` runs its instances on, with its per-engine state.
enum RuntimeBackend: Sendable {
    case wasmKit(WasmKitEngine)
    case wasmtime(WasmtimeEngine)
}
