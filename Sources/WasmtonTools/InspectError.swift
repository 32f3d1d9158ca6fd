public import WasmtonRuntime

/// Why `inspect` could not report on a module or disassemble a function.
public enum InspectError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file is missing, unreadable, not Wasm, truncated or malformed (see `ModuleError`).
    case module(ModuleError)
    /// `--disassemble FUNC` named no function with code: `available` lists some that exist.
    case unknownFunction(name: String, path: String, available: [String], total: Int)
    /// `--disassemble FUNC` named an imported function, which has no code to show.
    case importedFunction(name: String, path: String)

    public var description: String {
        switch self {
        case .module(let error):
            return error.description
        case .unknownFunction(let name, let path, let available, let total):
            guard total > 0 else {
                return "\(path): no function \"\(name)\": the module defines no functions"
            }
            var list = available.joined(separator: ", ")
            if total > available.count { list += ", … (\(total) in all)" }
            return "\(path): no function \"\(name)\" (give an export name, a name-section name or an index): \(list)"
        case .importedFunction(let name, let path):
            return "\(path): function \"\(name)\" is imported and has no code to disassemble"
        }
    }
}
