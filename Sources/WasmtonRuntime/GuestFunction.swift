/// An exported function of a module, found by name once (``WasmModule/function(_:)``): an
/// instance of that module calls it (`WasmInstance.call(_:_:)` with it) without
/// looking the name up again. For triggers that call the same export for every record or
/// request, where the lookup is a noticeable part of a short call.
public struct GuestFunction: Sendable {
    let export: ExportedFunction
    /// The module it was found in: an instance of another module refuses it.
    let module: ObjectIdentifier

    init(export: ExportedFunction, module: WasmModule) {
        self.export = export
        self.module = ObjectIdentifier(module)
    }

    /// The export's name.
    public var name: String { export.name }
    /// The export's parameter and result kinds.
    public var signature: FunctionSignature { export.signature }
}
