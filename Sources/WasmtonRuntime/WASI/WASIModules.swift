/// The WASI modules a guest may import functions from.
enum WASIModules {
    /// WASI preview 1, which WasmKit's bridge implements.
    static let preview1 = "wasi_snapshot_preview1"
    /// WASI snapshot 0, preview 1's predecessor, which older toolchains (TinyGo, AssemblyScript)
    /// still emit: the same functions, translated where its layouts differ (``WASISnapshot0``).
    static let snapshot0 = "wasi_unstable"

    /// Whether `module` names a WASI module.
    static func contains(_ module: String) -> Bool {
        module == preview1 || module == snapshot0
    }
}
