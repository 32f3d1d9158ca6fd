public import WasmtonRuntime

/// A guest that processes stream records through the PollTask contract of the Decaton/Wasmton
/// article: the guest exports `memory` and `run: () -> ()`; for each record the host calls `run`
/// once, and the guest pulls the record's value with `decaton.poll_task(buf_addr: i64,
/// buf_len: i32) -> i32`.
///
/// Optional extensions (module `wasmton`, see `guests/include/wasmton_task.h`) let a guest read
/// the key, headers, topic, partition and offset, emit output records, and set a status. A guest
/// that uses none of them is exactly the article's processor. One processor owns one instance
/// and handles one task at a time; after a failure whose `poisonsInstance` is true, make a new one.
public final class PollTaskProcessor: Sendable {
    /// The instance this processor drives.
    public let instance: WasmInstance
    private let state: PollTaskState
    /// The guest's `run`, found once: it is called for every record.
    private let run: GuestFunction

    /// Instantiates `module` in `sandbox`, checks it has the contract's exports, and calls its
    /// `_initialize` if it is a reactor.
    public init(runtime: WasmRuntime, module: WasmModule, sandbox: Sandbox) throws(GuestError) {
        guard module.exports.contains(where: { $0.name == "memory" && $0.kind == .memory }) else {
            throw .missingMemory
        }
        let run = try module.function("run")
        guard run.signature == FunctionSignature(parameters: [], results: []) else {
            throw .incompatibleExport(name: "run", expected: "() -> nil", actual: run.signature.description)
        }
        self.run = run
        let state = PollTaskState()
        self.state = state
        instance = try runtime.instantiate(module, sandbox: sandbox, hostFunctions: PollTaskImports.functions(state: state))
        if module.signature(ofExport: "_initialize") != nil {
            try instance.call("_initialize")
        }
    }

    /// Runs the guest's `run` once for `task` and returns what it asked for. `store` is the state
    /// of the record's partition that `wasmton.state_*` reach (`nil`: the task has no state);
    /// the guest's changes come back in the result, unapplied.
    public func process(_ task: StreamTask, state store: (any TaskStateStore)? = nil) throws(GuestError) -> TaskResult {
        state.begin(task, store: store)
        do {
            try instance.call(run)
        } catch {
            _ = state.end()
            throw error
        }
        return state.end()
    }

    /// Releases the instance.
    public func close() {
        instance.close()
    }
}
