import Logging
import WasmtonRuntime

/// The host side of the waPC ABI: the nine `wapc` imports (all values i32), grouped by what they
/// serve (``WapcGuestCallImports``, ``WapcHostCallImports``, ``WapcConsoleImports``), plus the
/// `env` functions AssemblyScript's and Zig's SDKs import (``AssemblyScriptImports``).
///
/// Pointers come from the guest and are bounds-checked by `LinearMemory`: a bad one fails the
/// call as an out-of-bounds access, never the host.
enum WapcImports {
    static func functions(
        module: WasmModule, state: WapcCallState, hostCalls: WapcHostCalls, logger: Logger
    ) -> [HostFunction] {
        let imported = Set(module.imports.filter { $0.module == "env" }.map(\.name))
        let console = WapcConsoleImports(module: module.name, logger: logger)
        return WapcGuestCallImports(state: state).functions
            + WapcHostCallImports(module: module.name, state: state, hostCalls: hostCalls).functions
            + console.functions(zigAlias: imported.contains("__console_log"))
            + AssemblyScriptImports(module: module.name, logger: logger).functions(imported: imported)
    }

    /// A `wapc` import. Most only move bytes between the guest and the call's state, so they run
    /// in a time slice; those that act outside the guest (a host call, a log line) say so and
    /// end a sliced call before acting, so it can run again on a guest thread.
    static func function(
        _ name: String, _ parameters: [ValueKind], _ results: [ValueKind], actsOutsideGuest: Bool = false,
        body: @escaping HostFunction.Body
    ) -> HostFunction {
        HostFunction(
            module: "wapc", name: name, signature: .init(parameters: parameters, results: results),
            runsInSlice: !actsOutsideGuest, body: body)
    }
}
