internal import CWasmtime
import Foundation
import WASI
import WasmKit

/// A ``WasmInstance`` on Wasmtime: a store of its own, host functions and WASI (WasmKit's
/// implementation, over ``WasmtimeMemory``) as Wasmtime functions, fuel when the runtime meters
/// it, and deadlines and time slices by epoch interruption.
final class WasmtimeInstance: EngineInstance {
    private let engine: WasmtimeEngine
    private let module: WasmModule
    private let api: UnsafePointer<cwasmtime_api>
    private let store: OpaquePointer
    let context: OpaquePointer
    private var instance = wasmtime_instance_t()
    private let callContext: CallContext
    private let limits: Limits
    private let maxMemoryBytes: Int?
    /// The memory limit its memories obey, and whether it refused a growth since the last call.
    private let memoryLimit: UnsafeMutablePointer<cwasmtime_memory_limit>
    /// The `memory` export, once instantiated.
    private(set) var memory: wasmtime_memory_t?
    /// Exported functions looked up so far, by their index among the module's exports, with
    /// their result counts (the array is made on the first lookup).
    ///
    /// This and ``results`` skip the run-time exclusivity check (about 80 instructions an
    /// access, on every call): the instance runs one call at a time (its ``WasmInstance``'s
    /// lock), and each access is a read or a store that ends before anything else runs.
    @exclusivity(unchecked) private var functions: [(function: wasmtime_func_t, results: Int)?] = []
    /// The results of the last call, in an array the next call fills again in place when its
    /// caller has let go of it (``ReusedValues``).
    @exclusivity(unchecked) private var results = ReusedValues()
    private(set) var fuelConsumed: UInt64 = 0
    /// Argument arrays of host calls, reused between calls.
    private let hostArguments = HostArguments()
    /// Out-of-bounds accesses of WASI calls, failed after the call (``GuestMemoryFaults``).
    private let wasiFaults = GuestMemoryFaults()
    /// Epoch ticks of the sandbox's timeout, worked out once (Duration arithmetic is not free).
    private let timeoutTicks: UInt64?
    /// The last time slice asked for, in ticks: a gateway asks the same slice on every call, and
    /// dividing durations costs more than the rest of starting one.
    private var sliceTicks: (slice: Duration, ticks: UInt64)?

    init(engine: WasmtimeEngine, setup: EngineInstanceSetup) throws(GuestError) {
        self.engine = engine
        module = setup.module
        api = engine.library.api
        let api = engine.library.api.pointee
        store = api.wasmtime_store_new(engine.engine, nil, nil)!
        context = api.wasmtime_store_context(store)!
        callContext = CallContext()
        limits = setup.sandbox.limits
        maxMemoryBytes = setup.sandbox.limits.maxMemoryPages.map { $0 * 65_536 }
        timeoutTicks = setup.sandbox.limits.timeout.map { engine.ticks(for: $0) }
        memoryLimit = .allocate(capacity: 1)
        memoryLimit.initialize(to: cwasmtime_memory_limit(max_bytes: maxMemoryBytes ?? Int.max, denied: false))
        // Memory is limited by Wasmton's memory creator (which records refusals); tables here.
        api.wasmtime_store_limiter(store, -1, 10_000_000, -1, -1, -1)

        // From here on `self` is whole: a throw runs `deinit`, which deletes the store.
        let imports = try makeImports(setup)
        let compiled: WasmtimeModule
        do {
            compiled = try setup.module.compiled.module(for: engine, binary: setup.module.bytes)
        } catch {
            throw .sandboxSetup("Wasmtime cannot compile \(setup.module.name): \(error.message)")
        }
        let budget = begin(slice: nil)
        var trap: OpaquePointer? = nil
        cwasmtime_set_instantiating_limit(memoryLimit)
        let error = imports.withUnsafeBufferPointer { buffer in
            api.wasmtime_instance_new(context, compiled.module, buffer.baseAddress, buffer.count, &instance, &trap)
        }
        cwasmtime_set_instantiating_limit(nil)
        callContext.end()
        if error != nil || trap != nil {
            let failure = error.map { WasmtimeFailure(taking: $0, api: api) } ?? WasmtimeFailure(takingTrap: trap!, api: api)
            throw classify(failure, function: GuestError.instantiation, budget: budget)
        }
        var export = wasmtime_extern_t()
        if api.wasmtime_instance_export_get(context, &instance, "memory", 6, &export), export.kind == 3 {
            memory = export.of.memory
        }
    }

    deinit {
        // The store's memories point at the limit: delete them first.
        api.pointee.wasmtime_store_delete(store)
        memoryLimit.deallocate()
    }

    var exportedMemory: LinearMemory? {
        memory.map { LinearMemory(WasmtimeMemory(api: api, context: context, memory: $0)) }
    }

    /// Nothing to let go of early: the store (memories, host functions) goes with the instance.
    func close() {}

    // MARK: - Calls

    func call(_ export: ExportedFunction, _ arguments: [WasmValue], slice: Duration?) throws(GuestError) -> [WasmValue]? {
        var (function, resultCount) = try exportedFunction(export)
        // A slice this engine could not keep is declined before anything runs.
        if slice != nil && !engine.interruptible { return nil }
        let budget = begin(slice: slice)
        defer {
            callContext.end()
            if engine.consumesFuel { countFuel(from: budget) }
        }
        memoryLimit.pointee.denied = false
        let outcome = invoke(&function, arguments, resultCount: resultCount)
        switch outcome {
        case .success(let results):
            return results
        case .failure(let failure):
            if slice != nil, callContext.nestedFailure == nil,
                callContext.leftSlice || (budget.sliceIsTighter && failure.trapCode == Self.interruptCode)
            {
                return nil
            }
            throw classify(failure, function: export.name, budget: budget)
        }
    }

    /// A host function's call back into this instance (``HostCall/callGuest(_:_:)``): shares
    /// the outer call's fuel and deadline; fails with the error classified as the outer call
    /// would report it.
    func reenter(_ name: String, _ arguments: [WasmValue]) throws(GuestError) -> [WasmValue] {
        guard let export = module.exportedFunction(named: name) else {
            throw .missingExport(name: name, available: module.exportedFunctions)
        }
        var (function, count) = try exportedFunction(export)
        switch invoke(&function, arguments, resultCount: count) {
        case .success(let results): return results
        case .failure(let failure):
            throw classify(
                failure, function: name, budget: CallContext.Budget(fuel: 0, isLimited: false, deadlineIsTighter: true))
        }
    }

    /// The handle of `export`: found by its index among the exports (the module's declaration
    /// order, which is Wasmtime's instance export order), which spares hashing the name inside
    /// Wasmtime; by name if the entry at that index is not the one expected.
    private func exportedFunction(_ export: ExportedFunction) throws(GuestError) -> (function: wasmtime_func_t, results: Int) {
        if functions.isEmpty { functions = Array(repeating: nil, count: module.exports.count) }
        if let known = functions[export.index] { return known }
        let name = export.name
        var found = wasmtime_extern_t()
        var exportName: UnsafeMutablePointer<CChar>? = nil
        var exportNameLength = 0
        let byIndex =
            api.pointee.wasmtime_instance_export_nth(context, &instance, export.index, &exportName, &exportNameLength, &found)
            && found.kind == 0 && exportName.map { Self.equal($0, exportNameLength, name) } ?? false
        if !byIndex {
            guard api.pointee.wasmtime_instance_export_get(context, &instance, name, name.utf8.count, &found), found.kind == 0
            else { throw .missingExport(name: name, available: module.exportedFunctions) }
        }
        let entry = (function: found.of.func, results: export.signature.results.count)
        functions[export.index] = entry
        return entry
    }

    /// Whether the `length` bytes at `bytes` spell `name`.
    private static func equal(_ bytes: UnsafeMutablePointer<CChar>, _ length: Int, _ name: String) -> Bool {
        var name = name
        return name.withUTF8 { utf8 in
            utf8.count == length && (length == 0 || memcmp(utf8.baseAddress!, bytes, length) == 0)
        }
    }

    /// Adds what the call burned of the fuel ``begin(slice:)`` set to ``fuelConsumed``.
    private func countFuel(from budget: CallContext.Budget) {
        let start = budget.isLimited ? budget.fuel : UInt64.max
        var remaining = start
        if let error = api.pointee.wasmtime_context_get_fuel(context, &remaining) {
            api.pointee.wasmtime_error_delete(error)
            return
        }
        fuelConsumed &+= start &- min(remaining, start)
    }

    /// Sets the call's fuel and epoch deadline.
    private func begin(slice: Duration?) -> CallContext.Budget {
        var budget = callContext.begin(limits: limits, calibration: nil, slice: slice)
        if engine.consumesFuel {
            _ = api.pointee.wasmtime_context_set_fuel(context, budget.isLimited ? budget.fuel : UInt64.max)
        }
        var ticks = timeoutTicks
        if let slice, limits.timeout.map({ slice < $0 }) ?? true {
            if let known = sliceTicks, known.slice == slice {
                ticks = known.ticks
            } else {
                let made = engine.ticks(for: slice)
                sliceTicks = (slice, made)
                ticks = made
            }
            budget.sliceIsTighter = true
        } else if limits.timeout != nil {
            budget.deadlineIsTighter = true
        }
        if engine.interruptible {
            api.pointee.wasmtime_context_set_epoch_deadline(context, engine.deadlineTicks(ticks ?? UInt64.max / 4))
        }
        return budget
    }

    private func invoke(
        _ function: inout wasmtime_func_t, _ arguments: [WasmValue], resultCount: Int
    ) -> Result<[WasmValue], WasmtimeFailure> {
        // Arguments and results live on the stack for the call: no allocation per call.
        withUnsafeTemporaryAllocation(of: wasmtime_val_t.self, capacity: max(arguments.count + resultCount, 1)) { buffer in
            for index in arguments.indices { buffer[index] = arguments[index].wasmtimeValue }
            let results = buffer.baseAddress! + arguments.count
            var trap: OpaquePointer? = nil
            let error = api.pointee.wasmtime_func_call(
                context, &function, buffer.baseAddress, arguments.count, results, resultCount, &trap)
            if let error { return .failure(WasmtimeFailure(taking: error, api: api.pointee)) }
            if let trap { return .failure(WasmtimeFailure(takingTrap: trap, api: api.pointee)) }
            if resultCount == 0 { return .success([]) }
            var values = self.results.take(count: resultCount)
            for index in 0..<resultCount {
                guard let value = WasmValue(results[index]) else {
                    // A reference or vector result, which Wasmton does not pass on: left out.
                    return .success((0..<resultCount).compactMap { WasmValue(results[$0]) })
                }
                values[index] = value
            }
            self.results.keep(values)
            return .success(values)
        }
    }

    // MARK: - Errors

    static let interruptCode: UInt8 = 10
    static let outOfFuelCode: UInt8 = 11

    private func classify(_ failure: WasmtimeFailure, function: String, budget: CallContext.Budget) -> GuestError {
        if let nested = callContext.nestedFailure as? GuestError { return nested }
        if let host = callContext.hostFailure {
            if let exit = host as? WASIExitCode { return .exited(code: Int32(bitPattern: exit.code)) }
            if let guestError = host as? GuestError {
                if case .deadlineExceeded(let seconds, nil) = guestError {
                    return .deadlineExceeded(seconds: seconds, function: function)
                }
                return guestError
            }
            return .hostFunctionFailed(name: function, message: "\(host)")
        }
        if let status = failure.exitStatus { return .exited(code: status) }
        if failure.trapCode == Self.interruptCode {
            return .deadlineExceeded(seconds: limits.timeout?.seconds ?? 0, function: function)
        }
        if failure.trapCode == Self.outOfFuelCode {
            return .outOfFuel(budget: limits.fuel ?? budget.fuel, function: function)
        }
        // A trap (or a failed instantiation) after a refused growth is the memory limit.
        if memoryLimit.pointee.denied {
            return .memoryLimitExceeded(limitBytes: maxMemoryBytes ?? 0, function: function)
        }
        if let code = failure.trapCode {
            return .trap(TrapKind(wasmtimeCode: code, message: failure.message), function: function)
        }
        let text = failure.message
        if let range = text.range(of: "unknown import: `") {
            let qualified = text[range.upperBound...].prefix { $0 != "`" }
            let parts = qualified.split(separator: "::", maxSplits: 1).map(String.init)
            return .missingImport(module: parts.first ?? "", name: parts.count > 1 ? parts[1] : "", kind: "an entity")
        }
        return .hostFunctionFailed(name: function, message: text)
    }

    // MARK: - Imports

    private func makeImports(_ setup: EngineInstanceSetup) throws(GuestError) -> [wasmtime_extern_t] {
        var wasiFunctions: [String: WASIHostFunction<WasmtimeMemory>] = [:]
        var socketWrappers: [String: SocketImports<WasmtimeMemory>.Definition] = [:]
        var snapshot0: [String: WASIFunction<WasmtimeMemory>] = [:]
        if let wasi = setup.wasi {
            wasiFunctions = wasi.hostFunctions(capabilities: WASICapability.all)
            var wrappers: [SocketImports<WasmtimeMemory>.Definition] = []
            if let sockets = setup.sockets {
                wrappers = SocketImports<WasmtimeMemory>.definitions(wasi: wasiFunctions, table: sockets, context: callContext)
                for wrapper in wrappers { socketWrappers[wrapper.name] = wrapper }
            }
            if setup.module.imports.contains(where: { $0.module == WASIModules.snapshot0 }) {
                snapshot0 = WASISnapshot0.functions(
                    over: WASIFunction<WasmtimeMemory>.preview1(wasi: wasiFunctions, sockets: wrappers))
            }
        }
        var externs: [wasmtime_extern_t] = []
        for entry in setup.module.imports {
            guard case .function(let signature) = entry.kind else {
                throw .missingImport(module: entry.module, name: entry.name, kind: entry.kind.description)
            }
            let binding: WasmtimeHostBinding
            if entry.module == WASIModules.snapshot0 {
                guard let function = snapshot0[entry.name] else {
                    throw .missingImport(module: entry.module, name: entry.name, kind: "function \(signature)")
                }
                guard FunctionSignature(function.type) == signature else {
                    throw .incompatibleImport(
                        module: entry.module, name: entry.name,
                        reason: "the module expects \(signature), WASI defines \(FunctionSignature(function.type))")
                }
                binding = WasmtimeHostBinding(instance: self, name: entry.name, kind: .snapshot0(function))
            } else if entry.module == WASIModules.preview1 {
                if let function = wasiFunctions[entry.name], FunctionSignature(function.type) != signature {
                    throw .incompatibleImport(
                        module: entry.module, name: entry.name,
                        reason: "the module expects \(signature), WASI defines \(FunctionSignature(function.type))")
                }
                if let wrapper = socketWrappers[entry.name] {
                    binding = WasmtimeHostBinding(instance: self, name: entry.name, kind: .socket(wrapper))
                } else if let function = wasiFunctions[entry.name] {
                    binding = WasmtimeHostBinding(instance: self, name: entry.name, kind: .wasi(function))
                } else {
                    throw .missingImport(module: entry.module, name: entry.name, kind: "function \(signature)")
                }
            } else if let function = setup.hostFunctions.first(where: { $0.module == entry.module && $0.name == entry.name }) {
                let prepared = PreparedHostFunction(function)
                binding = WasmtimeHostBinding(instance: self, name: prepared.qualifiedName, kind: .host(prepared))
            } else {
                throw .missingImport(module: entry.module, name: entry.name, kind: "function \(signature)")
            }
            externs.append(try define(binding, signature: signature))
        }
        return externs
    }

    private func define(_ binding: WasmtimeHostBinding, signature: FunctionSignature) throws(GuestError) -> wasmtime_extern_t {
        let api = api.pointee
        guard let type = engine.functionType(signature) else {
            let kind = (signature.parameters + signature.results).first { $0.wasmtimeKind == nil }
            throw .incompatibleImport(
                module: "", name: binding.name, reason: "\(kind.map { "\($0)" } ?? "these") values are not supported")
        }
        var function = wasmtime_func_t()
        api.wasmtime_func_new(
            context, type, wasmtimeHostTrampoline, Unmanaged.passRetained(binding).toOpaque(),
            { env in if let env { Unmanaged<WasmtimeHostBinding>.fromOpaque(env).release() } }, &function)
        var external = wasmtime_extern_t()
        external.kind = 0
        external.of.func = function
        return external
    }

    /// Runs `binding` for the guest; returns a trap to hand back to Wasmtime, or `nil`.
    fileprivate func run(
        _ binding: WasmtimeHostBinding, caller: OpaquePointer?, arguments: UnsafeBufferPointer<wasmtime_val_t>,
        results: UnsafeMutableBufferPointer<wasmtime_val_t>
    ) -> OpaquePointer? {
        do {
            let memory = callerMemory(caller)
            if case .host(let function) = binding.kind {
                let produced = try hostArguments.with({ values in
                    for argument in arguments {
                        if let value = WasmValue(argument) { values.append(value) }
                    }
                }) { values throws(GuestError) in
                    try callContext.invoke(
                        function, memory: memory.map(LinearMemory.init), reentry: .wasmtime(WasmtimeCaller(instance: self)),
                        arguments: values)
                }
                for index in produced.indices where index < results.count {
                    results[index] = produced[index].wasmtimeValue
                }
                return nil
            }
            // WASI (preview 1 or snapshot 0) or a socket wrapper: the socket wrappers refuse time
            // slices themselves (``SocketImports``); a bad pointer fails the call (``GuestMemoryFaults``).
            if binding.refusesSlices { try callContext.refuseInSlice(binding.name, runsInSlice: binding.runsInSlice) }
            guard var memory else { throw GuestError.missingMemory }
            let values = arguments.map(\.wasmKitValue)
            try WASIPointerChecks.check(binding.name, arguments: values, memory: memory.linear)
            memory.unretainedFaults = Unmanaged.passUnretained(wasiFaults)
            let produced: [Value] = try wasiFaults.failing {
                switch binding.kind {
                case .wasi(let function): return try function.implementation(memory, values)
                case .snapshot0(let function): return try function.body(memory, values)
                case .socket(let wrapper): return [.i32(UInt32(bitPattern: try wrapper.body(memory, values)))]
                case .host: return []
                }
            }
            for (index, value) in produced.enumerated() where index < results.count {
                results[index] = WasmValue(value)?.wasmtimeValue ?? wasmtime_val_t()
            }
            return nil
        } catch {
            callContext.hostFailure = error
            let message = "\(binding.name): \(error)"
            return message.withCString { api.pointee.wasmtime_trap_new($0, strlen($0)) }
        }
    }

    /// The calling instance's memory: the cached export, else looked up through the caller
    /// (during instantiation, before the export is known).
    private func callerMemory(_ caller: OpaquePointer?) -> WasmtimeMemory? {
        if let memory { return WasmtimeMemory(api: api, context: context, memory: memory) }
        guard let caller else { return nil }
        var export = wasmtime_extern_t()
        guard api.pointee.wasmtime_caller_export_get(caller, "memory", 6, &export), export.kind == 3 else { return nil }
        return WasmtimeMemory(api: api, context: api.pointee.wasmtime_caller_context(caller)!, memory: export.of.memory)
    }
}

/// The instance a Wasmtime host function was called from, for calls back into it.
struct WasmtimeCaller {
    /// `unowned(unsafe)`: a host call, and so this caller, never outlives the instance running it.
    unowned(unsafe) let instance: WasmtimeInstance

    func call(_ name: String, _ arguments: [WasmValue]) throws(GuestError) -> [WasmValue] {
        try instance.reenter(name, arguments)
    }
}

/// One import of a Wasmtime instance: what it runs, and the instance it belongs to. Owned by
/// the store (released by its finalizer when the store is deleted).
final class WasmtimeHostBinding {
    enum Kind {
        case host(PreparedHostFunction)
        case wasi(WASIHostFunction<WasmtimeMemory>)
        /// A `wasi_unstable` function, translated onto preview 1 (``WASISnapshot0``).
        case snapshot0(WASIFunction<WasmtimeMemory>)
        case socket(SocketImports<WasmtimeMemory>.Definition)
    }

    /// Unowned: the instance owns the store, which owns this binding.
    unowned let instance: WasmtimeInstance
    let name: String
    let kind: Kind
    /// A WASI function that neither blocks nor acts outside the guest (``WasmModule/sliceSafeWASI``).
    let runsInSlice: Bool
    /// Whether the binding itself refuses time slices (WASI functions); host functions and socket
    /// wrappers refuse in their own shared code.
    let refusesSlices: Bool

    init(instance: WasmtimeInstance, name: String, kind: Kind) {
        self.instance = instance
        self.name = name
        self.kind = kind
        switch kind {
        case .wasi, .snapshot0:
            runsInSlice = WasmModule.sliceSafeWASI.contains(name)
            refusesSlices = true
        case .host, .socket:
            runsInSlice = false
            refusesSlices = false
        }
    }
}

/// The C entry point of every Wasmton host function on Wasmtime.
private let wasmtimeHostTrampoline: wasmtime_func_callback_t = { env, caller, arguments, argumentCount, results, resultCount in
    let binding = Unmanaged<WasmtimeHostBinding>.fromOpaque(env!).takeUnretainedValue()
    return binding.instance.run(
        binding, caller: caller, arguments: UnsafeBufferPointer(start: arguments, count: argumentCount),
        results: UnsafeMutableBufferPointer(start: results, count: resultCount))
}

extension TrapKind {
    /// Names a Wasmtime trap code (`wasmtime_trap_code_t`).
    init(wasmtimeCode code: UInt8, message: String) {
        switch code {
        case 0: self = .stackExhausted
        case 1: self = .memoryOutOfBounds
        case 2: self = .unalignedAtomic
        case 3: self = .tableOutOfBounds
        case 4: self = .indirectCallToNull
        case 5: self = .indirectCallTypeMismatch
        case 6: self = .integerOverflow
        case 7: self = .integerDivideByZero
        case 8: self = .invalidConversionToInteger
        case 9: self = .unreachable
        case 13: self = .nullReference
        case 19: self = .uncaughtException
        default: self = .other(message)
        }
    }
}

extension WasmValue {
    var wasmtimeValue: wasmtime_val_t {
        var value = wasmtime_val_t()
        switch self {
        case .i32(let bits):
            value.kind = 0
            value.of.i32 = bits
        case .i64(let bits):
            value.kind = 1
            value.of.i64 = bits
        case .f32(let float):
            value.kind = 2
            value.of.f32 = float
        case .f64(let double):
            value.kind = 3
            value.of.f64 = double
        }
        return value
    }

    init?(_ value: wasmtime_val_t) {
        switch value.kind {
        case 0: self = .i32(value.of.i32)
        case 1: self = .i64(value.of.i64)
        case 2: self = .f32(value.of.f32)
        case 3: self = .f64(value.of.f64)
        default: return nil
        }
    }
}

extension wasmtime_val_t {
    /// The value as WasmKit's WASI implementation takes it.
    var wasmKitValue: Value {
        WasmValue(self)?.engineValue ?? .i32(0)
    }
}

extension ValueKind {
    /// `wasm_valkind_t` of a number type.
    var wasmtimeKind: UInt8? {
        switch self {
        case .i32: return 0
        case .i64: return 1
        case .f32: return 2
        case .f64: return 3
        default: return nil
        }
    }
}
