import Logging
import Synchronization
import WasmtonContracts
import WasmtonRuntime

/// The gateway's modules by name, each behind its current pool. A reload swaps in a new pool:
/// calls that already hold the old one finish on it, new calls get the new one, and the old pool
/// shuts down once it has nothing left to run.
final class ServedFunctions: Sendable {
    private let current: Mutex<[String: FunctionPool]>
    private let sandboxes: [String: Sandbox]
    private let runtime: WasmRuntime
    private let configuration: GatewayConfiguration
    private let threads: GuestThreads
    /// Each module's host-call registry (the gateway's, unless the module brought its own).
    private let hostCalls: [String: WapcHostCalls]
    private let logger: Logger

    init(
        modules: [ServedModule], sandbox: Sandbox, runtime: WasmRuntime, configuration: GatewayConfiguration,
        threads: GuestThreads, hostCalls: WapcHostCalls, logger: Logger
    ) {
        var sandboxes: [String: Sandbox] = [:]
        var registries: [String: WapcHostCalls] = [:]
        for served in modules {
            var moduleSandbox = sandbox
            if let network = served.network { moduleSandbox.network = network }
            sandboxes[served.name] = moduleSandbox
            registries[served.name] = served.hostCalls ?? hostCalls
        }
        self.sandboxes = sandboxes
        self.runtime = runtime
        self.configuration = configuration
        self.threads = threads
        self.hostCalls = registries
        self.logger = logger
        var pools: [String: FunctionPool] = [:]
        for served in modules {
            pools[served.name] = Self.pool(
                served, sandboxes[served.name]!, runtime, configuration, threads, registries[served.name]!, logger)
        }
        current = Mutex(pools)
    }

    subscript(name: String) -> FunctionPool? { current.withLock { $0[name] } }

    var names: [String] { current.withLock { Array($0.keys) } }

    var all: [FunctionPool] { current.withLock { Array($0.values) } }

    /// Starts a pool for `module` (same name, new code), warms it, and swaps it in; the old pool
    /// drains in the background. A module that cannot start leaves the old one serving.
    func replace(with module: WasmModule, name: String) async throws(GatewayConfigurationError) {
        guard let sandbox = sandboxes[name], let hostCalls = hostCalls[name] else {
            throw .startup(module: name, message: "not served here (adding modules needs a restart)")
        }
        let served = ServedModule(name: name, module: module)
        let fresh = Self.pool(served, sandbox, runtime, configuration, threads, hostCalls, logger)
        do {
            try await fresh.pool.prewarm()
        } catch {
            fresh.pool.shutdown()
            throw .startup(module: name, message: "\(error)")
        }
        guard let old = current.withLock({ pools in pools.updateValue(fresh, forKey: name) }) else { return }
        let limit = configuration.requestTimeout + .seconds(5)
        Task.detached {
            await old.drain(within: limit)
        }
    }

    func shutdown() {
        for function in all { function.pool.shutdown() }
    }

    private static func pool(
        _ served: ServedModule, _ sandbox: Sandbox, _ runtime: WasmRuntime, _ configuration: GatewayConfiguration,
        _ threads: GuestThreads, _ hostCalls: WapcHostCalls, _ logger: Logger
    ) -> FunctionPool {
        FunctionPool(
            served: served, runtime: runtime, configuration: configuration, sandbox: sandbox, threads: threads,
            hostCalls: hostCalls, logger: logger)
    }
}
