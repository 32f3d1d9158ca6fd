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

    /// Whether `arguments` fit the signature (count and kinds). A method, so the signature is
    /// read in place: copying it out for the check cost a retain and a release per call.
    func accepts(_ arguments: [WasmValue]) -> Bool {
        let parameters = signature.parameters
        guard parameters.count == arguments.count else { return false }
        for index in arguments.indices where parameters[index] != arguments[index].kind { return false }
        return true
    }

    /// The error for `arguments` that ``accepts(_:)`` refused.
    func mismatch(_ arguments: [WasmValue]) -> GuestError {
        guard signature.parameters.count == arguments.count else {
            return .argumentCount(function: name, expected: signature, given: arguments.count)
        }
        let index = arguments.indices.first { signature.parameters[$0] != arguments[$0].kind } ?? 0
        let argument = arguments[index]
        return .argumentType(
            function: name, index: index, expected: signature.parameters[index], given: "\(argument) (\(argument.kind))")
    }
}
