internal import CWasmtime
import Foundation
import Synchronization

/// Wasmtime's side of a ``WasmRuntime``: one Wasmtime engine (Cranelift's compiled code, the
/// settings every store shares) and the thread that advances its epoch, which is how a call's
/// deadline interrupts a guest whatever it runs.
final class WasmtimeEngine: @unchecked Sendable {
    // Why @unchecked Sendable is sound: `wasm_engine_t` is thread-safe (Wasmtime's `Engine` is
    // `Send + Sync`); the other stored properties are immutable.
    let library: WasmtimeLibrary
    let engine: OpaquePointer
    /// Unique among the process's engines (an address may be reused once an engine is gone).
    let serial: UInt64
    private static let serials = Atomic<UInt64>(0)
    /// Stores count fuel (only when the runtime meters fuel: it costs speed, and deadlines do
    /// not need it here).
    let consumesFuel: Bool
    /// Calls can be cut off by the epoch (deadlines, time slices): compiled in, and the engine
    /// is advanced by ``EpochTicker``.
    let interruptible: Bool
    /// Compiled modules on disk, when the runtime names a directory.
    let cache: WasmtimeModuleCache?
    /// How often the epoch advances: the granularity of deadlines and time slices.
    static let tick = Duration.milliseconds(1)
    /// `wasm_functype_t`s by signature (as bit patterns), made once and kept for the engine's
    /// life: Wasmtime registers a function type with its engine the first time a host function
    /// of that type is made, and caches it in the type object, so a type made afresh per import
    /// and per instance was registered again each time. Wasmtime guards that cache with a lock,
    /// so one type object may serve instances on any thread.
    private let functionTypes = Mutex<[FunctionSignature: UInt]>([:])

    var api: cwasmtime_api { library.api.pointee }

    init(library: WasmtimeLibrary, configuration: WasmRuntime.Configuration) {
        self.library = library
        serial = Self.serials.wrappingAdd(1, ordering: .relaxed).newValue
        let api = library.api.pointee
        let config = api.wasm_config_new()
        api.wasmtime_config_consume_fuel_set(config, configuration.fuelMetering)
        api.wasmtime_config_epoch_interruption_set(config, configuration.interruptible)
        api.wasmtime_config_max_wasm_stack_set(config, configuration.stackSize ?? Self.defaultStack)
        cwasmtime_use_limited_memories(library.api, config)
        // The engine takes ownership of the configuration.
        engine = api.wasm_engine_new_with_config(config)!
        consumesFuel = configuration.fuelMetering
        interruptible = configuration.interruptible
        cache = configuration.moduleCacheDirectory.map {
            WasmtimeModuleCache(
                directory: $0, library: library,
                settings:
                    "fuel=\(configuration.fuelMetering) stack=\(configuration.stackSize ?? Self.defaultStack)"
                    + (configuration.interruptible ? "" : " epoch=false"))
        }
        if interruptible { EpochTicker.shared.add(engine, library: library) }
    }

    deinit {
        for type in functionTypes.withLock({ Array($0.values) }) {
            api.wasm_functype_delete(OpaquePointer(bitPattern: type))
        }
        if interruptible { EpochTicker.shared.remove(engine) }
        // Modules and stores made from the engine hold their own reference to it.
        api.wasm_engine_delete(engine)
    }

    /// The function type of `signature`, for defining host functions; `nil` for a value kind
    /// Wasmton cannot pass (reference types).
    func functionType(_ signature: FunctionSignature) -> OpaquePointer? {
        if let known = functionTypes.withLock({ $0[signature] }) { return OpaquePointer(bitPattern: known) }
        let api = api
        let kinds = signature.parameters + signature.results
        guard kinds.allSatisfy({ $0.wasmtimeKind != nil }) else { return nil }
        func vector(_ kinds: [ValueKind]) -> wasm_valtype_vec_t {
            var types = kinds.map { api.wasm_valtype_new($0.wasmtimeKind!) }
            var vector = wasm_valtype_vec_t()
            types.withUnsafeMutableBufferPointer { api.wasm_valtype_vec_new(&vector, $0.count, $0.baseAddress) }
            return vector
        }
        var parameters = vector(signature.parameters)
        var results = vector(signature.results)
        guard let type = api.wasm_functype_new(&parameters, &results) else { return nil }
        let kept = functionTypes.withLock { types -> UInt in
            if let raced = types[signature] { return raced }
            types[signature] = UInt(bitPattern: type)
            return UInt(bitPattern: type)
        }
        if kept != UInt(bitPattern: type) { api.wasm_functype_delete(type) }
        return OpaquePointer(bitPattern: kept)
    }

    /// Wasm stack per call. Guest code runs on Wasmton's own threads (8 MiB stacks) or on event
    /// loop threads; 256 KiB leaves the host room below it on any of them.
    static let defaultStack = 256 << 10

    /// Epoch ticks that cover `duration` from now, whole ticks and one more (the tick in
    /// progress), before the epoch's lag behind the clock is added (``deadlineTicks(_:)``).
    func ticks(for duration: Duration) -> UInt64 {
        let ticks = (duration / Self.tick).rounded(.up)
        return ticks >= Double(UInt64.max / 4) ? UInt64.max / 4 : UInt64(max(ticks, 0)) + 1
    }

    /// The epoch deadline, relative to the engine's current epoch, for `ticks` from now: the
    /// epoch may lag the clock (the ticker thread was not scheduled for a while and will catch
    /// up in one go), and that lag is added so that a catch-up never ends a call early. Without
    /// it a 2 ms time slice on a saturated machine was often over as soon as it began.
    func deadlineTicks(_ ticks: UInt64) -> UInt64 {
        ticks >= UInt64.max / 4 ? ticks : ticks + EpochTicker.shared.lag()
    }

    /// Compiles `binary` (already validated) to machine code, or reads it from the cache.
    func compile(_ binary: [UInt8]) throws(WasmtimeFailure) -> WasmtimeModule {
        if let cache, let serialized = cache.load(binary) {
            var module: OpaquePointer? = nil
            let error = serialized.withUnsafeBufferPointer { buffer in
                api.wasmtime_module_deserialize(engine, buffer.baseAddress, buffer.count, &module)
            }
            if let error {
                // Another Wasmtime's entry, say: compile afresh and replace it.
                _ = WasmtimeFailure(taking: error, api: api)
            } else if let module {
                return WasmtimeModule(library: library, module: module)
            }
        }
        let module = try compileFresh(binary)
        if let cache {
            var bytes = wasm_byte_vec_t()
            if let error = api.wasmtime_module_serialize(module.module, &bytes) {
                _ = WasmtimeFailure(taking: error, api: api)
            } else if let data = bytes.data {
                cache.store(Array(UnsafeRawBufferPointer(start: data, count: bytes.size)), for: binary)
                api.wasm_byte_vec_delete(&bytes)
            }
        }
        return module
    }

    private func compileFresh(_ binary: [UInt8]) throws(WasmtimeFailure) -> WasmtimeModule {
        var module: OpaquePointer? = nil
        let error = binary.withUnsafeBufferPointer { buffer in
            api.wasmtime_module_new(engine, buffer.baseAddress, buffer.count, &module)
        }
        if let error { throw WasmtimeFailure(taking: error, api: api) }
        return WasmtimeModule(library: library, module: module!)
    }
}

/// A module's compiled code, per Wasmtime engine; engines that go away leave their entries to
/// be dropped with the module.
final class WasmtimeCompilations: Sendable {
    private let modules = Mutex<[UInt64: WasmtimeModule]>([:])

    init() {}

    /// The module compiled by `engine`, compiling `binary` on first use.
    func module(for engine: WasmtimeEngine, binary: [UInt8]) throws(WasmtimeFailure) -> WasmtimeModule {
        let key = engine.serial
        if let module = modules.withLock({ $0[key] }) { return module }
        let module = try engine.compile(binary)
        modules.withLock { $0[key] = module }
        return module
    }
}

/// A module compiled by Wasmtime, deleted with its last reference.
final class WasmtimeModule: @unchecked Sendable {
    // Why @unchecked Sendable is sound: Wasmtime's `Module` is `Send + Sync` and immutable.
    let library: WasmtimeLibrary
    /// Only the engine that compiled it may instantiate it (``WasmtimeCompilations`` keeps them apart).
    let module: OpaquePointer

    init(library: WasmtimeLibrary, module: OpaquePointer) {
        self.library = library
        self.module = module
    }

    deinit {
        library.api.pointee.wasmtime_module_delete(module)
    }
}

/// The message of a `wasmtime_error_t` or `wasm_trap_t`, with its exit status and trap code.
struct WasmtimeFailure: Error, CustomStringConvertible {
    var message: String
    /// A WASI exit (`proc_exit`) that Wasmtime reports as an error.
    var exitStatus: Int32?
    var trapCode: UInt8?

    var description: String { message }

    /// Reads and deletes `error`.
    init(taking error: OpaquePointer, api: cwasmtime_api) {
        message = Self.firstLine(api) { api.wasmtime_error_message(error, &$0) }
        var status: Int32 = 0
        exitStatus = api.wasmtime_error_exit_status(error, &status) ? status : nil
        api.wasmtime_error_delete(error)
    }

    /// Reads and deletes `trap`.
    init(takingTrap trap: OpaquePointer, api: cwasmtime_api) {
        message = Self.firstLine(api) { api.wasm_trap_message(trap, &$0) }
        var code: UInt8 = 0
        trapCode = api.wasmtime_trap_code(trap, &code) ? code : nil
        api.wasm_trap_delete(trap)
    }

    /// The first line of the message `fill` writes into a byte vector (which it then frees).
    private static func firstLine(_ api: cwasmtime_api, _ fill: (inout wasm_byte_vec_t) -> Void) -> String {
        var bytes = wasm_byte_vec_t()
        fill(&bytes)
        defer { api.wasm_byte_vec_delete(&bytes) }
        guard let data = bytes.data, bytes.size > 0 else { return "" }
        var text = String(decoding: UnsafeRawBufferPointer(start: data, count: bytes.size), as: UTF8.self)
        if text.last == "\0" { text.removeLast() }
        if let newline = text.firstIndex(of: "\n") { text = String(text[..<newline]) }
        return text
    }
}

/// Advances the epoch of every live Wasmtime engine every ``WasmtimeEngine/tick``, on one thread
/// for the process (started with the first engine).
final class EpochTicker: Sendable {
    static let shared = EpochTicker()

    /// The engines and the library function that advances them. Engines leave this list (under
    /// its lock) before they are deleted, so the thread never touches a deleted one.
    private let engines = Mutex<[(engine: EngineHandle, increment: @convention(c) (OpaquePointer?) -> Void)]>([])
    private let started = Atomic<Bool>(false)
    /// Ticks applied to the engines so far, counted from `startNanos` on the monotonic clock.
    private let ticked = Atomic<UInt64>(0)
    private let startNanos = EpochTicker.monotonicNanos()
    private static let tickNanos = UInt64(WasmtimeEngine.tick / .nanoseconds(1))

    private static func monotonicNanos() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }

    /// How many ticks the engines' epochs are behind the clock right now.
    func lag() -> UInt64 {
        let due = (Self.monotonicNanos() - startNanos) / Self.tickNanos
        let done = ticked.load(ordering: .acquiring)
        return due > done ? due - done : 0
    }

    /// An engine pointer; `wasm_engine_t` may be used from any thread.
    struct EngineHandle: @unchecked Sendable, Equatable {
        let pointer: OpaquePointer
    }

    func add(_ engine: OpaquePointer, library: WasmtimeLibrary) {
        let increment = library.api.pointee.wasmtime_engine_increment_epoch
        engines.withLock { $0.append((EngineHandle(pointer: engine), increment)) }
        if started.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged { start() }
    }

    func remove(_ engine: OpaquePointer) {
        engines.withLock { engines in engines.removeAll { $0.engine.pointer == engine } }
    }

    /// Advances the epochs by the ticks that passed on the clock, not by one per wake-up: a sleep
    /// of one tick lasts longer than that (timer slack, scheduling), and counting wake-ups made a
    /// 300 ms deadline fire after 333 ms.
    private func start() {
        let nanoseconds = Int(Self.tickNanos)
        let thread = Thread { [self] in
            var interval = timespec(tv_sec: nanoseconds / 1_000_000_000, tv_nsec: nanoseconds % 1_000_000_000)
            while true {
                nanosleep(&interval, nil)
                let due = (Self.monotonicNanos() - startNanos) / Self.tickNanos
                let done = ticked.load(ordering: .relaxed)
                guard due > done else { continue }
                let steps = min(due - done, 1_000)
                engines.withLock { engines in
                    for entry in engines {
                        for _ in 0..<steps { entry.increment(entry.engine.pointer) }
                    }
                }
                // Published after the increments: a reader that sees it sees epochs at least this far.
                ticked.store(done + steps, ordering: .releasing)
            }
        }
        thread.name = "wasmtime-epoch"
        thread.stackSize = 256 << 10
        thread.start()
    }
}
