import Foundation
import WASI
// `@_spi(Fuzzing)`: `Store.resourceLimiter`, to install the ``MemoryLimiter`` (WasmKit 0.4.2,
// pinned exactly in Package.swift).
@_spi(Fuzzing) import WasmKit
import WasmKitWASI

/// A ``WasmInstance`` on WasmKit: its own engine and store, WASI and the socket extension linked
/// as WasmKit functions, fuel as the brake for both fuel limits and deadlines.
final class WasmKitInstance: EngineInstance {
    private let engine: Engine
    private let store: Store
    private let instance: Instance
    private let limiter: MemoryLimiter
    private let context: CallContext
    private let calibration: FuelCalibration
    private let limits: Limits
    /// The cached `memory` export and the context, for the host functions' closures.
    private let state: WasmKitCallState
    /// Exported functions looked up so far, by their index among the module's exports.
    ///
    /// This, ``argumentValues`` and ``resultValues`` skip the run-time exclusivity check (about
    /// 80 instructions an access, on every call): the instance runs one call at a time (its
    /// ``WasmInstance``'s lock), and each access is a read or a store that ends before anything
    /// else runs.
    @exclusivity(unchecked) private var functions: [Function?] = []
    /// The arguments of the call in progress, in an array kept between calls: WasmKit lets go of
    /// it when the call returns, so the next call fills it again without allocating.
    @exclusivity(unchecked) private var argumentValues: [Value] = []
    /// The results of the last call, reused like ``argumentValues`` once its caller let go.
    @exclusivity(unchecked) private var resultValues = ReusedValues()
    /// Whether the engine charges fuel: then every call gets a budget, `UInt64.max` when
    /// unlimited, so that ``fuelConsumed`` can be read off it.
    private let metersFuel: Bool
    private(set) var fuelConsumed: UInt64 = 0

    init(engine wasmKit: WasmKitEngine, setup: EngineInstanceSetup) throws(GuestError) {
        let limiter = MemoryLimiter(maxBytes: setup.sandbox.limits.maxMemoryPages.map { $0 * 65_536 })
        let engine = wasmKit.makeEngine()
        let store = Store(engine: engine)
        store.resourceLimiter = limiter
        let context = CallContext()
        let state = WasmKitCallState(context: context)

        var imports = Imports()
        if let wasi = setup.wasi {
            // Bound through Wasmton's own memory view rather than the bridge's `link`, so that a
            // bad guest pointer fails the call instead of stopping the process (``GuestMemoryFaults``).
            let functions: [String: WASIHostFunction<WasmKitMemory>] = wasi.hostFunctions(capabilities: WASICapability.all)
            var wrappers: [SocketImports<WasmKitMemory>.Definition] = []
            if let sockets = setup.sockets {
                wrappers = SocketImports<WasmKitMemory>.definitions(wasi: functions, table: sockets, context: context)
            }
            let preview1 = WASIFunction<WasmKitMemory>.preview1(wasi: functions, sockets: wrappers)
            for (name, function) in preview1 {
                imports.define(module: WASIModules.preview1, name: name, state.function(function, name: name, store: store))
            }
            if setup.module.imports.contains(where: { $0.module == WASIModules.snapshot0 }) {
                for (name, function) in WASISnapshot0.functions(over: preview1) {
                    imports.define(module: WASIModules.snapshot0, name: name, state.function(function, name: name, store: store))
                }
            }
        }
        for function in setup.hostFunctions {
            imports.define(module: function.module, name: function.name, state.wrap(function, store: store))
        }

        let budget = context.begin(limits: setup.sandbox.limits, calibration: wasmKit.calibration)
        Self.applyFuel(budget, to: store, metered: wasmKit.metersFuel)
        do {
            let instance = try setup.module.module.instantiate(store: store, imports: imports)
            state.memory = instance.exports[memory: "memory"]
            self.instance = instance
            functions = Array(repeating: nil, count: setup.module.exports.count)
        } catch {
            context.end()
            throw Self.classify(
                error, function: GuestError.instantiation, budget: budget, limiter: limiter, limits: setup.sandbox.limits)
        }
        context.end()
        self.engine = engine
        self.store = store
        self.limiter = limiter
        self.context = context
        self.calibration = wasmKit.calibration
        self.metersFuel = wasmKit.metersFuel
        self.limits = setup.sandbox.limits
        self.state = state
    }

    /// The `memory` export looked up at instantiation (contracts ask for it on every call).
    var exportedMemory: LinearMemory? {
        state.memory.map(LinearMemory.init)
    }

    func close() {
        state.memory = nil
    }

    func call(_ export: ExportedFunction, _ arguments: [WasmValue], slice: Duration?) throws(GuestError) -> [WasmValue]? {
        let function: Function
        if let known = functions[export.index] {
            function = known
        } else {
            guard let found = instance.exports[function: export.name] else {
                throw .missingExport(name: export.name, available: [])
            }
            function = found
            functions[export.index] = found
        }
        var values = argumentValues
        argumentValues = []
        values.refill(with: arguments)
        defer { argumentValues = values }
        let budget = context.begin(limits: limits, calibration: calibration, slice: slice)
        let fuel = Self.applyFuel(budget, to: store, metered: metersFuel)
        defer {
            context.end()
            if metersFuel { fuelConsumed &+= fuel &- (store.fuel?.remaining ?? fuel) }
        }
        _ = limiter.takeDenied()
        let results: [Value]
        do {
            results = try ExecutionStackCache.withStack(engine: engine) { stack in
                try function.invoke(values, on: &stack)
            }
        } catch {
            if slice != nil, context.nestedFailure == nil,
                context.leftSlice || (budget.sliceIsTighter && Self.reason(of: error) == "out of fuel")
            {
                return nil
            }
            throw Self.classify(
                context.nestedFailure ?? error, function: export.name, budget: budget, limiter: limiter, limits: limits)
        }
        if results.isEmpty { return [] }
        for value in results where WasmValue(value) == nil {
            throw .hostFunctionFailed(name: export.name, message: "returns a \(value) value, which Wasmton cannot pass on")
        }
        var converted = resultValues.take(count: results.count)
        for index in results.indices { converted[index] = WasmValue(results[index])! }
        resultValues.keep(converted)
        return converted
    }

    /// Sets the store's budget for a call and returns it: on a metering engine always a number
    /// (`UInt64.max` when unlimited, which no call can exhaust), so the fuel burned can be read
    /// off what remains.
    @discardableResult
    private static func applyFuel(_ budget: CallContext.Budget, to store: Store, metered: Bool) -> UInt64 {
        let fuel = budget.isLimited ? budget.fuel : UInt64.max
        if metered || budget.isLimited {
            store.fuel = Fuel(remaining: fuel)
        } else if store.fuel != nil {
            store.fuel = nil
        }
        return fuel
    }

    /// A host function's call back into `instance` (``HostCall/callGuest(_:_:)``), sharing the
    /// outer call's stack, fuel and deadline.
    static func reenter(_ instance: Instance?, _ name: String, _ arguments: [WasmValue]) throws -> [WasmValue] {
        guard let function = instance?.exports[function: name] else {
            throw GuestError.missingExport(name: name, available: [])
        }
        return try function.invoke(arguments.map(\.engineValue)).compactMap(WasmValue.init)
    }

    // MARK: - Errors

    /// Turns what WasmKit threw into a ``GuestError``.
    ///
    /// WasmKit 0.4.2 has no typed cause for running out of fuel, a memory above the limit at
    /// instantiation, link failures or most trap kinds: their text is the only detail, so they
    /// are matched here and in ``TrapKind/init(engineText:)``. Every text matched is pinned by
    /// `WasmKitErrorTextTests`, which fails, naming the text, if an upgrade rewords one.
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

    static func reason(of error: any Error) -> String {
        var text = "\(error)"
        if text.hasPrefix("Trap: ") { text.removeFirst("Trap: ".count) }
        if let newline = text.firstIndex(of: "\n") { text = String(text[..<newline]) }
        return text
    }
}

/// What WasmKit host-function closures share with their instance: the call context and the
/// cached `memory` export.
final class WasmKitCallState {
    let context: CallContext
    var memory: Memory?
    /// Argument arrays of host calls, reused between calls.
    private let hostArguments = HostArguments()
    /// The results handed back to WasmKit, in an array reused between host calls (WasmKit copies
    /// them out and lets go of it before the next one).
    private var hostResults: [Value] = []
    /// Out-of-bounds accesses of WASI calls, failed after the call (``GuestMemoryFaults``).
    let wasiFaults = GuestMemoryFaults()

    init(context: CallContext) {
        self.context = context
    }

    /// The calling instance's exported `memory`: the cached handle, else looked up on the caller.
    func memory(of caller: borrowing Caller) -> Memory? {
        if let memory { return memory }
        if case .memory(let exported)? = caller.instance?.export("memory") { return exported }
        return nil
    }

    /// Wraps a ``HostFunction`` as a WasmKit function (``CallContext/invoke(_:memory:reentry:arguments:)``).
    func wrap(_ function: HostFunction, store: Store) -> Function {
        let parameters = function.signature.parameters.compactMap(\.valueType)
        let results = function.signature.results.compactMap(\.valueType)
        let prepared = PreparedHostFunction(function)
        let qualifiedName = prepared.qualifiedName
        // `weak`: WasmKit's store owns this closure, and the state holds a handle into that
        // store (`memory`); a strong reference would keep every instance's memory alive forever.
        return Function(store: store, parameters: parameters, results: results) { [weak self] caller, arguments in
            guard let self else { throw GuestError.hostFunctionFailed(name: qualifiedName, message: "instance is closed") }
            let memory = memory(of: caller).map(LinearMemory.init)
            let produced = try hostArguments.with({ values in
                for argument in arguments {
                    if let value = WasmValue(argument) { values.append(value) }
                }
            }) { values throws(GuestError) in
                try context.invoke(prepared, memory: memory, reentry: .wasmKit(caller.instance), arguments: values)
            }
            var results = hostResults
            hostResults = []
            results.refill(with: produced)
            hostResults = results
            return results
        }
    }

    /// A WASI function (the bridge's, or one Wasmton layers over it) as a WasmKit function: its
    /// I/O vectors checked first (``WASIPointerChecks``), and a bad pointer it meets failing
    /// the call (``GuestMemoryFaults``).
    ///
    /// In a time slice, a function that blocks or acts outside the guest is refused before it
    /// runs (the call then moves to a guest thread), as Wasmtime's trampoline does.
    func function(_ function: WASIFunction<WasmKitMemory>, name: String, store: Store) -> Function {
        let body = function.body
        let faults = wasiFaults
        let context = context
        let runsInSlice = WasmModule.sliceSafeWASI.contains(name)
        return Function(store: store, type: function.type) { [weak self] caller, arguments in
            guard let self else { throw GuestError.hostFunctionFailed(name: name, message: "instance is closed") }
            try context.refuseInSlice(name, runsInSlice: runsInSlice)
            guard let memory = memory(of: caller) else { throw GuestError.missingMemory }
            try WASIPointerChecks.check(name, arguments: arguments, memory: LinearMemory(memory))
            return try faults.failing { try body(WasmKitMemory(memory: memory, faults: faults), arguments) }
        }
    }
}

extension TrapKind {
    /// Names WasmKit's trap message.
    /// The kind of a WasmKit trap, from its text (see ``WasmKitInstance/classify(_:function:budget:limiter:limits:)``
    /// for why text, and `WasmKitErrorTextTests` for the test that pins each one).
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

extension Array where Element == Value {
    /// Makes the array hold `values` as WasmKit values, in the storage it has: overwritten in
    /// place when the count matches (the same export or host function again, as contracts call
    /// them), else emptied and refilled; `removeAll(keepingCapacity:)` alone costs more than the
    /// few values of a call.
    mutating func refill(with values: [WasmValue]) {
        if count == values.count {
            for index in values.indices { self[index] = values[index].engineValue }
        } else {
            removeAll(keepingCapacity: true)
            for value in values { append(value.engineValue) }
        }
    }
}
