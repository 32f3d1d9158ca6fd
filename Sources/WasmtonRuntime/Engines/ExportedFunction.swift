/// An exported function as a ``WasmInstance`` resolved it once by name: its index among the
/// module's exports (also the instance's export index on both engines), so that an engine finds
/// its own handle by position rather than looking the name up a second time.
///
/// A class, not a struct: a call passes it on and the instance's cache hands it out on every
/// call, and one reference costs one retain where a struct's name and two signature arrays cost
/// three (the per-call path is a few hundred instructions, so that shows).
final class ExportedFunction: Sendable {
    let name: String
    let index: Int
    let signature: FunctionSignature

    init(name: String, index: Int, signature: FunctionSignature) {
        self.name = name
        self.index = index
        self.signature = signature
    }
}
