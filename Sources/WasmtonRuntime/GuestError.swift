/// Every way a call into a guest can fail, with what a user needs to fix it.
///
/// Contracts and triggers decide what a failure means (a retried record, a 500, an exit code);
/// the Runtime only says precisely what happened. `description` is the one line the CLI prints.
public enum GuestError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The guest executed an instruction that traps.
    case trap(TrapKind, function: String?)
    /// The call used up its fuel budget.
    case outOfFuel(budget: UInt64, function: String?)
    /// The call ran past its wall-clock deadline.
    case deadlineExceeded(seconds: Double, function: String?)
    /// The guest tried to grow (or start with) more linear memory than the sandbox allows.
    case memoryLimitExceeded(limitBytes: Int, function: String?)
    /// The guest called WASI `proc_exit`. Only the Command contract treats code 0 as success.
    case exited(code: Int32)
    /// The module imports something the host does not provide.
    case missingImport(module: String, name: String, kind: String)
    /// The module imports something the host provides with a different type.
    case incompatibleImport(module: String, name: String, reason: String)
    /// No export of that name exists (`available` lists the exported functions).
    case missingExport(name: String, available: [String])
    /// The export exists but is not a function.
    case notAFunction(name: String, kind: String)
    /// A module run as a WASI command exports no `_start` (`exported` lists its functions).
    case notACommand(exported: [String])
    /// A function the contract needs is exported with another signature.
    case incompatibleExport(name: String, expected: String, actual: String)
    /// The caller passed the wrong number of arguments.
    case argumentCount(function: String, expected: FunctionSignature, given: Int)
    /// The caller passed an argument of the wrong type, or text that does not parse as one.
    case argumentType(function: String, index: Int, expected: ValueKind, given: String)
    /// A guest pointer and length that fall outside its linear memory, found by a host function.
    case memoryAccessOutOfBounds(address: UInt64, length: UInt64, memorySize: Int)
    /// The guest exports no memory, but the contract needs one.
    case missingMemory
    /// A host function failed; `message` says why.
    case hostFunctionFailed(name: String, message: String)
    /// Setting up the sandbox failed (a preopened directory that does not exist, say).
    case sandboxSetup(String)

    public var description: String {
        switch self {
        case .trap(let kind, let function):
            return "wasm trap: \(kind)\(Self.in(function))"
        case .outOfFuel(let budget, let function):
            return "guest ran out of fuel (budget \(budget))\(Self.in(function))"
        case .deadlineExceeded(let seconds, let function):
            return "guest exceeded its deadline of \(Self.seconds(seconds))\(Self.in(function))"
        case .memoryLimitExceeded(let limit, let function):
            return "guest exceeded its memory limit of \(limit) bytes\(Self.in(function))"
        case .exited(let code):
            return "guest exited with code \(code)"
        case .missingImport(let module, let name, let kind):
            return "module imports \(module).\(name) (\(kind)), which the host does not provide"
        case .incompatibleImport(let module, let name, let reason):
            return "import \(module).\(name) does not match the host's: \(reason)"
        case .missingExport(let name, let available):
            let list = available.isEmpty ? "none" : available.joined(separator: ", ")
            return "module has no exported function '\(name)' (exported functions: \(list))"
        case .notAFunction(let name, let kind):
            return "export '\(name)' is a \(kind), not a function"
        case .notACommand(let exported):
            let list = exported.isEmpty ? "none" : exported.joined(separator: ", ")
            return "module is not a WASI command: it exports no _start (exported functions: \(list))"
        case .incompatibleExport(let name, let expected, let actual):
            return "export '\(name)' has signature \(actual), the contract needs \(expected)"
        case .argumentCount(let function, let expected, let given):
            return
                "'\(function)' takes \(expected.parameters.count) argument\(expected.parameters.count == 1 ? "" : "s") \(expected), \(given) given"
        case .argumentType(let function, let index, let expected, let given):
            return "argument \(index + 1) of '\(function)' must be \(expected), got '\(given)'"
        case .memoryAccessOutOfBounds(let address, let length, let size):
            return
                "wasm trap: out of bounds memory access: \(length) bytes at 0x\(String(address, radix: 16)) outside linear memory of \(size) bytes"
        case .missingMemory:
            return "module does not export a memory named 'memory'"
        case .hostFunctionFailed(let name, let message):
            return "host function \(name) failed: \(message)"
        case .sandboxSetup(let message):
            return "cannot set up the sandbox: \(message)"
        }
    }

    /// Whether the instance that raised this error must be thrown away rather than reused.
    ///
    /// After a trap, exhausted fuel or deadline, the guest stopped mid-function and its memory may
    /// hold a half-made state; argument and lookup errors never entered the guest.
    public var poisonsInstance: Bool {
        switch self {
        case .trap, .outOfFuel, .deadlineExceeded, .memoryLimitExceeded, .exited, .memoryAccessOutOfBounds,
            .hostFunctionFailed:
            return true
        case .missingImport, .incompatibleImport, .missingExport, .notAFunction, .notACommand, .incompatibleExport,
            .argumentCount,
            .argumentType,
            .missingMemory, .sandboxSetup:
            return false
        }
    }

    /// The `function` of failures that happen while instantiating (in the start function or
    /// while initializing memory), before any export is called.
    public static let instantiation = "(instantiation)"

    private static func `in`(_ function: String?) -> String {
        guard let function else { return "" }
        return function == instantiation ? " while instantiating" : " in '\(function)'"
    }

    private static func seconds(_ value: Double) -> String {
        value < 1 ? "\(Int((value * 1000).rounded())) ms" : "\(value) s"
    }
}

/// Why a guest trapped, named as the Wasm spec and wasmtime name it.
public enum TrapKind: Hashable, Sendable, CustomStringConvertible {
    case unreachable
    case memoryOutOfBounds
    case integerDivideByZero
    case integerOverflow
    case invalidConversionToInteger
    case stackExhausted
    case indirectCallToNull
    case indirectCallTypeMismatch
    case tableOutOfBounds
    case nullReference
    case unalignedAtomic
    case uncaughtException
    /// Anything the engine reports that has no name above; the text is the engine's.
    case other(String)

    public var description: String {
        switch self {
        case .unreachable: return "unreachable instruction executed"
        case .memoryOutOfBounds: return "out of bounds memory access"
        case .integerDivideByZero: return "integer divide by zero"
        case .integerOverflow: return "integer overflow"
        case .invalidConversionToInteger: return "invalid conversion to integer"
        case .stackExhausted: return "call stack exhausted"
        case .indirectCallToNull: return "indirect call to null table element"
        case .indirectCallTypeMismatch: return "indirect call type mismatch"
        case .tableOutOfBounds: return "undefined table element (out of bounds table access)"
        case .nullReference: return "null reference"
        case .unalignedAtomic: return "unaligned atomic access"
        case .uncaughtException: return "uncaught wasm exception"
        case .other(let text): return text
        }
    }
}
