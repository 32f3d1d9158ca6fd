import Foundation
import Synchronization
import WASI

/// A live, sandboxed instance of a module: call its exports and move bytes in and out of its
/// memory, under the limits of its ``Sandbox``.
///
/// An instance serves one call at a time (calls from several threads queue on a lock), so a pool
/// can hand it from worker to worker. After a call fails with an error whose
/// ``GuestError/poisonsInstance`` is true, discard the instance: its memory may be half-written.
/// A host function must not call back into the instance it was called from.
///
/// The same type runs on either engine of its runtime (``WasmRuntime/Configuration/engine``):
/// what differs lives in an `EngineInstance`; the sandbox, its files, WASI and sockets are
/// set up here once for both.
public final class WasmInstance: @unchecked Sendable {
    // Why @unchecked Sendable is sound: the engine's instance, the WASI bridge and the socket
    // table are not thread-safe, so every access to them, and to `context`, `isClosed` and
    // `called`, happens inside `lock.withLock`; the lets read outside it (`module`,
    // `sandbox`, `runtime`) are immutable and Sendable.
    public let module: WasmModule
    public let sandbox: Sandbox
    private let runtime: WasmRuntime
    private let lock = Mutex<Void>(())
    private let engineInstance: any EngineInstance
    private let wasi: WASIBridgeToHost?
    private let stdio: StdioFiles
    private let sockets: SocketTable?
    private nonisolated(unsafe) var isClosed = false
    /// The export last called by name and its signature: callers by name tend to call the same
    /// one again, and comparing a short name costs less than hashing it (triggers that call one
    /// export per record or request hold a ``GuestFunction`` instead). Unchecked exclusivity:
    /// only read and written under `lock`, never across a call.
    @exclusivity(unchecked) private nonisolated(unsafe) var called = RecentExports<ExportedFunction>()

    init(runtime: WasmRuntime, module: WasmModule, sandbox: Sandbox, hostFunctions: [HostFunction]) throws(GuestError) {
        self.runtime = runtime
        self.module = module
        self.sandbox = sandbox
        for grant in sandbox.directories {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: grant.hostPath, isDirectory: &isDirectory), isDirectory.boolValue
            else { throw .sandboxSetup("--dir \(grant.hostPath): no such directory") }
        }
        if !runtime.configuration.fuelMetering && sandbox.limits.fuel != nil {
            throw .sandboxSetup("fuel limits need a runtime with fuel metering (WasmRuntime.Configuration.fuelMetering)")
        }
        if let timeout = sandbox.limits.timeout {
            switch runtime.backend {
            case .wasmKit where !runtime.configuration.fuelMetering:
                throw .sandboxSetup(
                    "fuel and timeout limits need a runtime with fuel metering (WasmRuntime.Configuration.fuelMetering)")
            case .wasmtime where !runtime.configuration.interruptible:
                throw .sandboxSetup(
                    "a timeout (\(timeout)) needs a runtime that can interrupt calls (WasmRuntime.Configuration.interruptible)")
            default: break
            }
        }
        let stdio = try StdioFiles.make(sandbox.stdio)
        let sockets = SocketExtension.needed(by: module) ? SocketTable(policy: sandbox.network, module: module.name) : nil
        var hostFunctions = hostFunctions
        if let sockets { hostFunctions.append(SocketExtension.resolveFunction(table: sockets)) }
        var wasi: WASIBridgeToHost? = nil
        do {
            if module.usesWASI {
                wasi = try WASIBridgeToHost(
                    args: sandbox.arguments, environment: sandbox.environment,
                    preopens: sandbox.directories.map { .init(guestPath: $0.guestPath, hostPath: $0.hostPath) },
                    stdin: stdio.stdin, stdout: stdio.stdout, stderr: stdio.stderr)
            }
            try Self.checkImports(module: module, hostFunctions: hostFunctions)
            let setup = EngineInstanceSetup(
                module: module, sandbox: sandbox, hostFunctions: hostFunctions, wasi: wasi, sockets: sockets)
            switch runtime.backend {
            case .wasmKit(let wasmKit):
                engineInstance = try WasmKitInstance(engine: wasmKit, setup: setup)
            case .wasmtime(let wasmtime):
                engineInstance = try WasmtimeInstance(engine: wasmtime, setup: setup)
            }
        } catch {
            sockets?.closeAll()
            try? wasi?.close()
            stdio.close()
            if let error = error as? GuestError { throw error }
            throw .sandboxSetup("\(error)")
        }
        self.wasi = wasi
        self.stdio = stdio
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

    /// Calls `name` like `call(_:_:)`, but cuts it off once it has run for about `slice`
    /// (measured in fuel on WasmKit, by the epoch clock on Wasmtime) or calls a host function
    /// that does not run in a slice (``HostFunction/runsInSlice``): then the result is `nil`
    /// and the instance must be closed, since the guest stopped part-way, but nothing outside
    /// the guest has happened. For running short calls on a thread that must not be held for
    /// long, and moving the others elsewhere. Without ``runsInSlices`` the result is always `nil`
    /// and nothing runs.
    public func call(_ name: String, _ arguments: [WasmValue] = [], slice: Duration) throws(GuestError) -> [WasmValue]? {
        guard runsInSlices else { return nil }
        return try call(name, arguments, within: slice)
    }

    /// Whether calls can run in time slices (``WasmRuntime/runsInSlices(_:)``).
    public var runsInSlices: Bool {
        runtime.runsInSlices(module)
    }

    /// Calls `function` (an export of this instance's module, found once with
    /// ``WasmModule/function(_:)``) like `call(_:_:)` by name, without finding it by name.
    @discardableResult
    public func call(_ function: GuestFunction, _ arguments: [WasmValue] = []) throws(GuestError) -> [WasmValue] {
        try call(function, arguments, within: nil) ?? []
    }

    /// `call(_:_:slice:)` by name for a function found once (``WasmModule/function(_:)``).
    public func call(
        _ function: GuestFunction, _ arguments: [WasmValue] = [], slice: Duration
    ) throws(GuestError)
        -> [WasmValue]?
    {
        guard runsInSlices else { return nil }
        return try call(function, arguments, within: slice)
    }

    private func call(_ name: String, _ arguments: [WasmValue], within slice: Duration?) throws(GuestError) -> [WasmValue]? {
        try lock.withLock { _ throws(GuestError) -> [WasmValue]? in
            guard !isClosed else { throw .sandboxSetup("instance of \(module.name) is closed") }
            let export: ExportedFunction
            if let known = called.value(for: name) {
                export = known
            } else {
                let found = try module.requireExportedFunction(name)
                export = found
                called.remember(found, for: name)
            }
            return try call(export, arguments, within: slice)
        }
    }

    private func call(
        _ function: GuestFunction, _ arguments: [WasmValue], within slice: Duration?
    ) throws(GuestError)
        -> [WasmValue]?
    {
        try lock.withLock { _ throws(GuestError) -> [WasmValue]? in
            guard !isClosed else { throw .sandboxSetup("instance of \(module.name) is closed") }
            guard function.module == ObjectIdentifier(module) else {
                throw .sandboxSetup("function \(function.name) was found in another module than \(module.name)")
            }
            return try call(function.export, arguments, within: slice)
        }
    }

    /// A call of `export`, its arguments checked against its signature; under `lock`.
    private func call(
        _ export: ExportedFunction, _ arguments: [WasmValue], within slice: Duration?
    ) throws(GuestError)
        -> [WasmValue]?
    {
        guard export.accepts(arguments) else { throw export.mismatch(arguments) }
        do throws(GuestError) {
            return try engineInstance.call(export, arguments, slice: slice)
        } catch {
            // A failed call may have left a request half-sent: no later call should read its answer.
            sockets?.closeAll()
            throw error
        }
    }

    /// The fuel (about one unit per Wasm operator executed) all calls on this instance burned so
    /// far, failed and cut-off calls included, instantiation not; `nil` when the runtime does not
    /// meter fuel (``WasmRuntime/Configuration/fuelMetering``). Read it before and after a call
    /// to know what that call cost, for accounting and for comparing two versions of a module.
    public var fuelConsumed: UInt64? {
        guard runtime.configuration.fuelMetering else { return nil }
        return lock.withLock { _ in engineInstance.fuelConsumed }
    }

    /// The size of the exported `memory` in bytes (0 without one, or once closed). Linear memory
    /// only grows, so this is also the largest it has been: the instance's high-water mark.
    public var memoryBytes: Int {
        lock.withLock { _ in isClosed ? 0 : engineInstance.exportedMemory?.byteCount ?? 0 }
    }

    /// Whether the instance exports a function called `name`.
    public func hasFunction(_ name: String) -> Bool {
        module.signature(ofExport: name) != nil
    }

    /// Runs `body` with the instance's exported `memory`, between calls.
    public func withMemory<R>(_ body: (LinearMemory) throws(GuestError) -> R) throws(GuestError) -> R {
        try lock.withLock { _ throws(GuestError) -> R in
            guard !isClosed, let memory = engineInstance.exportedMemory else { throw .missingMemory }
            return try body(memory)
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
            engineInstance.close()
            sockets?.closeAll()
            try? wasi?.close()
            stdio.close()
        }
    }

    private static func checkImports(module: WasmModule, hostFunctions: [HostFunction]) throws(GuestError) {
        for entry in module.imports where !WASIModules.contains(entry.module) {
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
