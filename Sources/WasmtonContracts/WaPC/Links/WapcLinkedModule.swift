import Logging
import Synchronization
import WasmtonRuntime

/// A module that links lead to, with its own instances, sandbox and host calls.
///
/// A linked call runs on the caller's thread, inside the caller's `__host_call`: it takes an
/// idle instance (or makes one), runs the operation, and gives the instance back, unless the
/// call poisoned it (a trap, a limit), in which case it is closed and the next call makes a new
/// one. At most ``maxIdle`` idle instances are kept; calls at once are bounded by their callers.
final class WapcLinkedModule: Sendable {
    /// The name for messages and metrics: the module's file name without extension.
    let name: String
    let module: WasmModule
    /// What this module's own `__host_call`s reach: the built-ins and the links, except those
    /// leading back to this module.
    let hostCalls: WapcHostCalls
    let network: NetworkPolicy
    private let runtime: WasmRuntime
    private let sandbox: Sandbox
    private let logger: Logger
    private let maxIdle: Int
    private let idle = Mutex<[WapcGuest]>([])

    init(module: WasmModule, sandbox: Sandbox, runtime: WasmRuntime, maxIdle: Int, logger: Logger) {
        name = module.name
        self.module = module
        self.sandbox = sandbox
        self.runtime = runtime
        self.maxIdle = max(1, maxIdle)
        self.logger = logger
        network = sandbox.network
        hostCalls = WapcHostCalls.builtIn(logger: logger)
    }

    /// Makes one instance ahead of the first call, so a module that cannot start is refused at
    /// start-up.
    func prewarm() throws(WapcError) {
        giveBack(try make())
    }

    /// Runs `operation` on an instance of this module.
    func call(_ operation: String, payload: [UInt8]) throws(WapcError) -> [UInt8] {
        let guest: WapcGuest
        if let idleGuest = idle.withLock({ $0.popLast() }) {
            guest = idleGuest
        } else {
            guest = try make()
        }
        do {
            let response = try guest.call(operation, payload: payload)
            giveBack(guest)
            return response
        } catch {
            if error.poisonsInstance { guest.close() } else { giveBack(guest) }
            throw error
        }
    }

    /// Closes the idle instances.
    func close() {
        let guests = idle.withLock { guests in
            defer { guests = [] }
            return guests
        }
        for guest in guests { guest.close() }
    }

    private func make() throws(WapcError) -> WapcGuest {
        try WapcGuest(runtime: runtime, module: module, sandbox: sandbox, hostCalls: hostCalls, logger: logger)
    }

    private func giveBack(_ guest: WapcGuest) {
        let kept = idle.withLock { guests -> Bool in
            guard guests.count < maxIdle else { return false }
            guests.append(guest)
            return true
        }
        if !kept { guest.close() }
    }
}
