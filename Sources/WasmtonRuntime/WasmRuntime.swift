import Foundation
import Synchronization
import WasmKit

/// The entry point of the Runtime layer: loads modules once, and makes sandboxed instances.
///
/// One runtime holds one engine configuration and a module cache keyed by content, so loading
/// the same bytes again (a pool refilling, a reload of an unchanged file) costs a hash and a
/// comparison, not a parse and validation. Safe to share between threads.
public final class WasmRuntime: Sendable {
    /// Engine settings that apply to every instance of this runtime.
    public struct Configuration: Sendable {
        /// How out-of-bounds guest memory accesses are caught.
        public enum BoundsChecking: Sendable {
            /// WasmKit's platform default: guard pages reserved around each memory and `mprotect`.
            case automatic
            /// An explicit check on every load and store. The default: in WasmKit 0.4.2 it measured
            /// as fast or faster (Benchmarks/), and it reserves no guard region per instance, which
            /// matters when pools hold many instances.
            case software
        }

        /// Count fuel, needed for ``Limits/fuel`` and ``Limits/timeout``. Costs some speed.
        public var fuelMetering: Bool
        public var boundsChecking: BoundsChecking
        /// Bytes of guest stack per call; deeper recursion traps with `stackExhausted`.
        public var stackSize: Int?
        /// The engine that runs the guests.
        public var engine: WasmEngine
        /// Where Wasmtime keeps compiled modules between runs (`nil`: compile every time). Not
        /// used by WasmKit, which interprets.
        public var moduleCacheDirectory: String?
        /// Whether Wasmtime can cut a call off by the clock: a ``Limits/timeout`` or a time slice.
        /// The default. It compiles an epoch check into every loop and function entry, which costs
        /// tight compute loops 15–40% (Benchmarks/), so a runtime whose sandboxes never set a
        /// timeout may turn it off; such a runtime refuses a sandbox with a timeout, and declines
        /// time slices. WasmKit cuts calls by fuel (``fuelMetering``) and ignores it.
        public var interruptible: Bool

        public init(
            fuelMetering: Bool = true, boundsChecking: BoundsChecking = .software, stackSize: Int? = nil,
            engine: WasmEngine = .wasmKit, moduleCacheDirectory: String? = nil, interruptible: Bool = true
        ) {
            self.fuelMetering = fuelMetering
            self.boundsChecking = boundsChecking
            self.stackSize = stackSize
            self.engine = engine
            self.moduleCacheDirectory = moduleCacheDirectory
            self.interruptible = interruptible
        }
    }

    public let configuration: Configuration
    let backend: RuntimeBackend
    private let validationEngine: Engine
    private let cache = Mutex<[ContentHash: [WasmModule]]>([:])

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        switch configuration.engine {
        case .wasmKit:
            backend = .wasmKit(WasmKitEngine(configuration: configuration))
        case .wasmtime(let library):
            backend = .wasmtime(WasmtimeEngine(library: library, configuration: configuration))
        }
        validationEngine = Engine(
            configuration: EngineConfiguration(
                compilationMode: .eager, features: WasmtonFeatures.parser, memoryBoundsChecking: .software))
    }

    /// Whether making an instance costs microseconds (compiled code, as on Wasmtime) rather than
    /// milliseconds (WasmKit builds its interpreter state per instance): a caller may then make
    /// one where a request arrives instead of on a guest thread.
    public var instantiatesCheaply: Bool {
        if case .wasmtime = backend { return true }
        return false
    }

    /// Whether instances of `module` can run calls in time slices (`WasmInstance.call(_:_:slice:)`):
    /// this runtime can cut a call off (WasmKit with fuel metering, a slice being a fuel budget;
    /// Wasmtime always, by its epoch), and the module imports nothing but functions.
    ///
    /// On both engines every WASI call goes through Wasmton's own binding, which refuses the
    /// blocking or effectful ones in a slice (ending the call there before they act, as host
    /// functions do), so a call moves to a guest thread only if it really reaches such a function.
    public func runsInSlices(_ module: WasmModule) -> Bool {
        let cuts: Bool
        switch backend {
        case .wasmKit: cuts = configuration.fuelMetering
        case .wasmtime: cuts = configuration.interruptible
        }
        guard cuts else { return false }
        return module.imports.allSatisfy { if case .function = $0.kind { true } else { false } }
    }

    /// Loads, validates and caches the module in the file at `path` (`.wasm` or `.wat`).
    public func load(path: String) throws(ModuleError) -> WasmModule {
        let bytes = try ModuleFile.read(path: path)
        let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        return try load(binary: bytes, name: name, path: path)
    }

    /// Loads, validates and caches a module from memory; `bytes` may be a binary or WAT text.
    public func load(bytes: [UInt8], name: String) throws(ModuleError) -> WasmModule {
        let binary = try ModuleFile.binary(from: bytes, path: name)
        return try load(binary: binary, name: name, path: name)
    }

    /// How many distinct modules the cache holds.
    public var cachedModuleCount: Int {
        cache.withLock { $0.values.reduce(0) { $0 + $1.count } }
    }

    private func load(binary: [UInt8], name: String, path: String) throws(ModuleError) -> WasmModule {
        let hash = ContentHash(binary)
        if let hit = cache.withLock({ $0[hash]?.first { $0.bytes == binary } }) {
            return hit.name == name ? hit : hit.renamed(name)
        }
        let module = try ModuleValidation.validate(bytes: binary, name: name, path: path, engine: validationEngine)
        if case .wasmtime(let wasmtime) = backend {
            do {
                _ = try module.compiled.module(for: wasmtime, binary: binary)
            } catch {
                throw .invalid(path: path, reason: "Wasmtime: \(error.message)", section: nil, offset: nil)
            }
        }
        // Another thread may have loaded the same bytes meanwhile: keep one entry, theirs.
        let cached = cache.withLock { cache -> WasmModule in
            if let winner = cache[hash]?.first(where: { $0.bytes == binary }) { return winner }
            cache[hash, default: []].append(module)
            return module
        }
        return cached.name == name ? cached : cached.renamed(name)
    }

    /// Makes a new instance of `module` in `sandbox`, with `hostFunctions` as imports besides WASI.
    ///
    /// The module's start function (and nothing else) runs here, under the sandbox's limits.
    public func instantiate(
        _ module: WasmModule, sandbox: Sandbox = Sandbox(), hostFunctions: [HostFunction] = []
    ) throws(GuestError) -> WasmInstance {
        try WasmInstance(runtime: self, module: module, sandbox: sandbox, hostFunctions: hostFunctions)
    }
}

extension WasmModule {
    func renamed(_ name: String) -> WasmModule {
        WasmModule(name: name, bytes: bytes, module: module, contentHash: contentHash, exports: exports, compiled: compiled)
    }
}

/// The engine a ``WasmRuntime`` runs guests on.
public enum WasmEngine: Sendable {
    /// WasmKit, an interpreter in Swift: the default, nothing to install.
    case wasmKit
    /// Wasmtime, compiling to machine code with Cranelift, through its C library loaded at run
    /// time (``WasmtimeLibrary/load(path:)``).
    case wasmtime(WasmtimeLibrary)

    /// `wasmkit` or `wasmtime`, as `--engine` spells it.
    public var name: String {
        switch self {
        case .wasmKit: return "wasmkit"
        case .wasmtime: return "wasmtime"
        }
    }
}
