/// An exported function as a ``WasmInstance`` resolved it once by name: its index among the
/// module's exports (also the instance's export index on both engines), so that an engine finds
/// its own handle by position rather than looking the name up a second time.
struct ExportedFunction {
    let name: String
    let index: Int
    let signature: FunctionSignature
}
