public import WasmtonRuntime

/// The Command contract: a WASI program run once through its `_start`, stdin in, stdout out,
/// ending with an exit code. The simplest contract, for toolchains that only make commands.
public enum WASICommand {
    /// Instantiates `module` in `sandbox`, runs `_start`, and returns the guest's exit code: 0
    /// when `_start` returns, the code it passed to `proc_exit` otherwise. Traps, fuel, deadline
    /// and memory-limit failures are thrown as `GuestError`.
    public static func run(_ module: WasmModule, runtime: WasmRuntime, sandbox: Sandbox) throws(GuestError) -> Int32 {
        guard module.signature(ofExport: "_start") != nil else { throw .notACommand(exported: module.exportedFunctions) }
        let instance = try runtime.instantiate(module, sandbox: sandbox)
        defer { instance.close() }
        do {
            try instance.call("_start")
            return 0
        } catch .exited(let code) {
            return code
        }
    }
}
