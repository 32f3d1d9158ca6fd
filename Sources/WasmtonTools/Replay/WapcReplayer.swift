public import WasmtonContracts
public import WasmtonRuntime

/// Runs captured waPC requests through one waPC module the way `serve` does: one instance
/// reused from call to call (a new one after a failure that poisons it), or a fresh one per call
/// with `freshInstance` (`serve --fresh-instance`). Not safe to share between threads.
public final class WapcReplayer {
    /// The runtime instances are made by.
    public let runtime: WasmRuntime
    /// The waPC module.
    public let module: WasmModule
    /// The sandbox and limits each instance runs under.
    public let sandbox: Sandbox
    /// A fresh instance for every request (`serve --fresh-instance`).
    public let freshInstance: Bool
    private var guest: WapcGuest?

    /// A replayer of `module`; nothing is instantiated until ``check()`` or the first request.
    public init(runtime: WasmRuntime, module: WasmModule, sandbox: Sandbox, freshInstance: Bool = false) {
        self.runtime = runtime
        self.module = module
        self.sandbox = sandbox
        self.freshInstance = freshInstance
    }

    deinit {
        guest?.close()
    }

    /// Makes the first instance now, so that a module that is not a waPC guest is reported
    /// before any request is replayed (failures of its start-up functions are left to the
    /// requests' outcomes, as `serve` meets them per instance).
    public func check() throws(WapcError) {
        guard guest == nil else { return }
        do {
            let made = try WapcGuest(runtime: runtime, module: module, sandbox: sandbox)
            // A fresh-instance request pays for its own instance: keep none for the first one.
            if freshInstance { made.close() } else { guest = made }
        } catch {
            switch error {
            case .notAWapcModule: throw error
            case .startupFailed(_, let failure) where !failure.poisonsInstance: throw error
            default: return
            }
        }
    }

    /// Calls `operation` with `payload`; the response is the one output of an ok outcome.
    public func replay(operation: String, payload: [UInt8]) -> ReplayObservation {
        var start = ReplayClock.now()
        let current: WapcGuest
        do throws(WapcError) {
            if let guest {
                current = guest
            } else {
                current = try WapcGuest(runtime: runtime, module: module, sandbox: sandbox)
            }
        } catch {
            return ReplayObservation(outcome: Self.outcome(error), nanoseconds: ReplayClock.now() &- start)
        }
        if !freshInstance { start = ReplayClock.now() }
        let fuelBefore = current.instance.fuelConsumed
        var observation: ReplayObservation
        var keep = !freshInstance
        do {
            let response = try current.call(operation, payload: payload)
            observation = ReplayObservation(outcome: .ok, outputs: [.init(key: nil, value: response)])
        } catch {
            observation = ReplayObservation(outcome: Self.outcome(error))
            keep = keep && !error.poisonsInstance
        }
        observation.nanoseconds = ReplayClock.now() &- start
        if let before = fuelBefore, let after = current.instance.fuelConsumed { observation.fuel = after &- before }
        if keep {
            guest = current
        } else {
            current.close()
            guest = nil
        }
        return observation
    }

    /// Releases the instance.
    public func close() {
        guest?.close()
        guest = nil
    }

    private static func outcome(_ error: WapcError) -> ReplayOutcome {
        switch error {
        case .guestError(_, let message): return .guestError(message)
        case .guestFailed(_, let failure), .startupFailed(_, let failure): return ReplayOutcome(failure: failure)
        case .notAWapcModule(let reason): return .failed("not a waPC module: \(reason)")
        }
    }
}
