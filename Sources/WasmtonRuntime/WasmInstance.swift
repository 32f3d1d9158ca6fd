import Foundation
import Synchronization
import WASI
@_spi(Fuzzing) import WasmKit
import WasmKitWASI

/// A live, sandboxed instance of a module: call its exports and move bytes in and out of its
/// memory, under the limits of its ``Sandbox``.
///
/// An instance serves one call at a time (calls from several threads queue on a lock), so a pool
/// can hand it from worker to worker. After a call fails with an error whose
/// ``GuestError/poisonsInstance`` is true, discard the instance: its memory may be half-written.
/// A host function must not call back into the instance it was called from.
public final class WasmInstance: @unchecked Sendable {
    // Why @unchecked Sendable is sound: WasmKit's `Store`, `Instance` and the WASI bridge are not
    // thread-safe, so every access to them, and to `context`, `sockets` and `isClosed`, happens inside
    // `lock.withLock`; the lets that are read outside it (`module`, `sandbox`, `runtime`) are
    // immutable and Sendable.
    public let module: WasmModule
    public let sandbox: Sandbox
    private let runtime: WasmRuntime
    private let lock = Mutex<Void>(())
    private let engine: Engine
    private let store: Store
    private let instance: Instance
    private let wasi: WASIBridgeToHost?
    private let stdio: StdioFiles
    private let limiter: MemoryLimiter
    private let context: CallContext
    private let sockets: SocketTable?
    private nonisolated(unsafe) var isClosed = false

    init(runtime: WasmRuntime, module: WasmModule, sandbox: Sandbox, hostFunctions: [HostFunction]) throws(GuestError) {
        self.runtime = runtime
        self.module = module
        self.sandbox = sandbox
        for grant in sandbox.directories {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: grant.hostPath, isDirectory: &isDirectory), isDirectory.boolValue
            else { throw .sandboxSetup("--dir \(grant.hostPath): no such directory") }
        }
        if !runtime.configuration.fuelMetering && (sandbox.limits.fuel != nil || sandbox.limits.timeout != nil) {
            throw .sandboxSetup(
                "fuel and timeout limits need a runtime with fuel metering (WasmRuntime.Configuration.fuelMetering)")
        }
        let stdio = try StdioFiles.make(sandbox.stdio)
        let limiter = MemoryLimiter(maxBytes: sandbox.limits.maxMemoryPages.map { $0 * 65_536 })
        let engine = runtime.makeEngine()
        let store = Store(engine: engine)
        store.resourceLimiter = limiter
        let context = CallContext()

        var imports = Imports()
        var wasi: WASIBridgeToHost? = nil
        let sockets = SocketImports.needed(by: module) ? SocketTable(policy: sandbox.network, module: module.name) : nil
        var hostFunctions = hostFunctions
        if let sockets { hostFunctions.append(SocketImports.resolveFunction(table: sockets)) }
        do {
            if module.usesWASI {
                let bridge = try WASIBridgeToHost(
                    args: sandbox.arguments, environment: sandbox.environment,
                    preopens: sandbox.directories.map { .init(guestPath: $0.guestPath, hostPath: $0.hostPath) },
                    stdin: stdio.stdin, stdout: stdio.stdout, stderr: stdio.stderr)
                bridge.link(to: &imports, store: store)
                if let sockets {
                    SocketImports.link(to: &imports, store: store, bridge: bridge, table: sockets, context: context)
                }
                wasi = bridge
            }
            try Self.checkImports(module: module, hostFunctions: hostFunctions)
            for function in hostFunctions {
                imports.define(module: function.module, name: function.name, context.wrap(function, store: store))
            }
        } catch {
            try? wasi?.close()
            stdio.close()
            if let error = error as? GuestError { throw error }
            throw .sandboxSetup("\(error)")
        }

        let budget = context.begin(limits: sandbox.limits, calibration: runtime.calibration, store: store)
        do {
            let instance = try module.module.instantiate(store: store, imports: imports)
            context.memory = instance.exports[memory: "memory"]
            self.instance = instance
        } catch {
            context.end()
            try? wasi?.close()
            stdio.close()
            throw Self.classify(
                error, function: GuestError.instantiation, budget: budget, limiter: limiter, limits: sandbox.limits)
        }
        context.end()
        self.engine = engine
        self.store = store
        self.wasi = wasi
        self.stdio = stdio
        self.limiter = limiter
        self.context = context
        self.sockets = sockets
    }

    deinit {
        close()
    }

    /// Calls the exported function `name` with `arguments`, checked against its signature.
    @discardableResult
    public func call(_ name: String, _ arguments: [WasmValue] = []) throws(GuestError) -> [WasmValue] {
        // Without a slice the call is never cut off, so there is always a result.
        try call(name, arguments, within: nil) ?? []
    }

    /// Calls `name` like ``call(_:_:)``, but cuts it off once it has run for about `slice`
    /// (measured in fuel, as deadlines are) or calls a host function that does not run in a
    /// slice (``HostFunction/runsInSlice``): then the result is `nil` and the instance must be
    /// closed, since the guest stopped part-way, but nothing outside the guest has happened. For
    /// running short calls on a thread that must not be held for long, and moving the others
    /// elsewhere. Without ``runsInSlices`` the result is always `nil` and nothing runs.
    public func call(_ name: String, _ arguments: [WasmValue] = [], slice: Duration) throws(GuestError) -> [WasmValue]? {
        guard runsInSlices else { return nil }
        return try call(name, arguments, within: slice)
    }

    /// Whether calls can run in time slices (``WasmRuntime/runsInSlices(_:)``).
    public var runsInSlices: Bool {
        runtime.runsInSlices(module)
    }

    private func call(_ name: String, _ arguments: [WasmValue], within slice: Duration?) throws(GuestError) -> [WasmValue]? {
        try lock.withLock { _ throws(GuestError) -> [WasmValue]? in
            guard !isClosed else { throw .sandboxSetup("instance of \(module.name) is closed") }
            let function = try exportedFunction(name)
            let type = function.type
            guard type.parameters.count == arguments.count else {
                throw .argumentCount(function: name, expected: FunctionSignature(type), given: arguments.count)
            }
            var values: [Value] = []
            values.reserveCapacity(arguments.count)
            for (index, argument) in arguments.enumerated() {
                guard ValueKind(type.parameters[index]) == argument.kind else {
                    throw .argumentType(
                        function: name, index: index, expected: ValueKind(type.parameters[index]),
                        given: "\(argument) (\(argument.kind))")
                }
                values.append(argument.engineValue)
            }
            guard let results = try run(function, values, name: name, slice: slice) else { return nil }
            return try results.map { value throws(GuestError) in
                guard let converted = WasmValue(value) else {
                    throw .hostFunctionFailed(name: name, message: "returns a \(value) value, which Wasmton cannot pass on")
                }
                return converted
            }
        }
    }

    /// Whether the instance exports a function called `name`.
    public func hasFunction(_ name: String) -> Bool {
        lock.withLock { _ in instance.exports[function: name] != nil }
    }

    /// Runs `body` with the instance's exported `memory`, between calls.
    public func withMemory<R>(_ body: (LinearMemory) throws(GuestError) -> R) throws(GuestError) -> R {
        try lock.withLock { _ throws(GuestError) -> R in
            guard let memory = instance.exports[memory: "memory"] else { throw .missingMemory }
            return try body(LinearMemory(memory))
        }
    }

    /// What the guest wrote to stdout and stderr since the last call of this method, when the
    /// sandbox captures output; empty otherwise.
    public func takeOutput() -> (stdout: [UInt8], stderr: [UInt8]) {
        lock.withLock { _ in
            guard !isClosed else { return ([], []) }
            return (stdio.take(stdio.stdout), stdio.take(stdio.stderr))
        }
    }

    /// Releases the instance's files and descriptors. Further calls fail. Called by `deinit` too.
    public func close() {
        lock.withLock { _ in
            guard !isClosed else { return }
            isClosed = true
            context.memory = nil
            sockets?.closeAll()
            try? wasi?.close()
            stdio.close()
        }
    }

    // MARK: - Calling

    private func exportedFunction(_ name: String) throws(GuestError) -> Function {
        if let function = instance.exports[function: name] { return function }
        _ = try module.requireFunction(name)  // throws the error that names what is exported
        throw .missingExport(name: name, available: module.exportedFunctions)
    }

    /// Runs `function`; `nil` when `slice` ran out first.
    private func run(_ function: Function, _ values: [Value], name: String, slice: Duration?) throws(GuestError) -> [Value]? {
        let budget = context.begin(limits: sandbox.limits, calibration: runtime.calibration, store: store, slice: slice)
        defer { context.end() }
        _ = limiter.takeDenied()
        do {
            let results = try ExecutionStackCache.withStack(engine: engine) { stack in
                try function.invoke(values, on: &stack)
            }
            return results
        } catch {
            // A failed call may have left a request half-sent: no later call should read its answer.
            sockets?.closeAll()
            if slice != nil, context.nestedFailure == nil,
                context.leftSlice || (budget.sliceIsTighter && Self.reason(of: error) == "out of fuel")
            {
                return nil
            }
            throw Self.classify(
                context.nestedFailure ?? error, function: name, budget: budget, limiter: limiter, limits: sandbox.limits)
        }
    }

    // MARK: - Errors

    static func classify(
        _ error: any Error, function: String, budget: CallContext.Budget, limiter: MemoryLimiter, limits: Limits
    ) -> GuestError {
        let denied = limiter.takeDenied()
        if let exit = error as? WASIExitCode {
            return .exited(code: Int32(bitPattern: exit.code))
        }
        if let guestError = error as? GuestError {
            switch guestError {
            case .trap(let kind, let name):
                if denied { return .memoryLimitExceeded(limitBytes: limiter.maxBytes ?? 0, function: function) }
                return .trap(kind, function: name ?? function)
            case .deadlineExceeded(let seconds, nil):
                return .deadlineExceeded(seconds: seconds, function: function)
            default:
                return guestError
            }
        }
        let text = Self.reason(of: error)
        if text == "out of fuel" {
            if budget.deadlineIsTighter, let timeout = limits.timeout {
                return .deadlineExceeded(seconds: timeout.seconds, function: function)
            }
            return .outOfFuel(budget: limits.fuel ?? budget.fuel, function: function)
        }
        if text.hasPrefix("initial memory size exceeds the resource limit") {
            return .memoryLimitExceeded(limitBytes: limiter.maxBytes ?? 0, function: function)
        }
        if text.hasPrefix("unknown import ") {
            let (module, name) = splitQualified(text.dropFirst("unknown import ".count))
            return .missingImport(module: module, name: name, kind: "an entity")
        }
        if text.hasPrefix("incompatible import type") {
            // WasmKit: "incompatible import type: function type for MODULE.NAME, expected …, got …"
            var qualified = ""
            var reason = text
            if let forRange = text.range(of: " for "), let comma = text[forRange.upperBound...].firstIndex(of: ",") {
                qualified = String(text[forRange.upperBound..<comma])
                reason = String(text[text.index(after: comma)...]).trimmingCharacters(in: .whitespaces)
            }
            let (module, name) = splitQualified(Substring(qualified))
            return .incompatibleImport(module: module, name: name, reason: reason)
        }
        if denied { return .memoryLimitExceeded(limitBytes: limiter.maxBytes ?? 0, function: function) }
        if error is Trap || error is WasmKitError || error is WasmKitException {
            return .trap(TrapKind(engineText: text), function: function)
        }
        return .hostFunctionFailed(name: function, message: text)
    }

    /// `MODULE.NAME` as WasmKit prints an import.
    private static func splitQualified(_ text: Substring) -> (module: String, name: String) {
        let parts = text.split(separator: ".", maxSplits: 1).map(String.init)
        return (parts.first ?? "", parts.count > 1 ? parts[1] : "")
    }

    private static func reason(of error: any Error) -> String {
        var text = "\(error)"
        if text.hasPrefix("Trap: ") { text.removeFirst("Trap: ".count) }
        if let newline = text.firstIndex(of: "\n") { text = String(text[..<newline]) }
        return text
    }

    private static func checkImports(module: WasmModule, hostFunctions: [HostFunction]) throws(GuestError) {
        for entry in module.imports where entry.module != "wasi_snapshot_preview1" {
            guard case .function(let wanted) = entry.kind else {
                throw .missingImport(module: entry.module, name: entry.name, kind: entry.kind.description)
            }
            guard let offered = hostFunctions.first(where: { $0.module == entry.module && $0.name == entry.name }) else {
                throw .missingImport(module: entry.module, name: entry.name, kind: "function \(wanted)")
            }
            guard offered.signature == wanted else {
                throw .incompatibleImport(
                    module: entry.module, name: entry.name,
                    reason: "the module expects \(wanted), the host provides \(offered.signature)")
            }
        }
    }
}

extension TrapKind {
    /// Names WasmKit's trap message.
    init(engineText text: String) {
        switch text {
        case "unreachable": self = .unreachable
        case "out of bounds memory access": self = .memoryOutOfBounds
        case "integer divide by zero": self = .integerDivideByZero
        case "integer overflow": self = .integerOverflow
        case "invalid conversion to integer": self = .invalidConversionToInteger
        case "call stack exhausted": self = .stackExhausted
        case "null function reference", "null reference": self = .nullReference
        case "unaligned atomic": self = .unalignedAtomic
        default:
            if text.hasPrefix("indirect call to null") {
                self = .indirectCallToNull
            } else if text.hasPrefix("indirect call type mismatch") {
                self = .indirectCallTypeMismatch
            } else if text.hasPrefix("out of bounds table access") {
                self = .tableOutOfBounds
            } else if text.hasPrefix("wasm exception") {
                self = .uncaughtException
            } else {
                self = .other(text)
            }
        }
    }
}

extension WasmValue {
    var engineValue: Value {
        switch self {
        case .i32(let value): return .i32(UInt32(bitPattern: value))
        case .i64(let value): return .i64(UInt64(bitPattern: value))
        case .f32(let value): return .f32(value.bitPattern)
        case .f64(let value): return .f64(value.bitPattern)
        }
    }

    init?(_ value: Value) {
        switch value {
        case .i32(let bits): self = .i32(Int32(bitPattern: bits))
        case .i64(let bits): self = .i64(Int64(bitPattern: bits))
        case .f32(let bits): self = .f32(Float(bitPattern: bits))
        case .f64(let bits): self = .f64(Double(bitPattern: bits))
        case .v128, .ref: return nil
        }
    }
}
