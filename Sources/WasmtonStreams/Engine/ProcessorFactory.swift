public import WasmtonContracts
public import WasmtonRuntime

/// Makes the PollTask processors that the engine's workers run: one per sub-partition, reused
/// across tasks, or a fresh one per task when `isolateTasks` is set.
public struct ProcessorFactory: Sendable {
    public let runtime: WasmRuntime
    public let module: WasmModule
    public let sandbox: Sandbox
    /// A fresh instance for every task (no state carried between tasks), at the cost of one
    /// instantiation per task.
    public let isolateTasks: Bool
    /// Where the lanes account the module's calls (`GuestAccounting`, under the module's name):
    /// looked up when a lane starts, so after the application bootstrapped its metrics backend.
    public var accounting: GuestAccounting {
        GuestAccounting.of(module.name, runtime: runtime)
    }

    public init(runtime: WasmRuntime, module: WasmModule, sandbox: Sandbox, isolateTasks: Bool = false) {
        self.runtime = runtime
        self.module = module
        self.sandbox = sandbox
        self.isolateTasks = isolateTasks
    }

    /// A new processor: instantiates the module and runs its `_initialize`.
    public func make() throws(GuestError) -> PollTaskProcessor {
        try PollTaskProcessor(runtime: runtime, module: module, sandbox: sandbox)
    }
}
