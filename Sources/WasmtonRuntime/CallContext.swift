import Dispatch
import WasmKit

/// The state of the call in progress on one instance, shared with its host functions.
///
/// Confined to the instance's lock: it is written when a call begins and ends, and read by host
/// functions, which run on the same thread inside that call. Both engines use it the same way;
/// only how fuel and interruption are applied differs (``begin(limits:calibration:slice:)``).
final class CallContext {
    /// How much fuel a call may burn and which limit that number came from.
    struct Budget {
        var fuel: UInt64
        var isLimited: Bool
        /// The timeout's fuel is what bounds this call (so running out means the deadline passed).
        var deadlineIsTighter: Bool
        /// A time slice's fuel is what bounds this call (so running out means the slice ended,
        /// not that the guest failed).
        var sliceIsTighter = false
    }

    /// What ended a guest function that a host function called back into (``HostCall/callGuest(_:_:)``);
    /// the outer call reports it instead of the host function's own error.
    var nestedFailure: (any Error)?
    /// The error a host function threw, kept whole for engines whose trap carries only text
    /// (Wasmtime), so the call reports it as WasmKit would.
    var hostFailure: (any Error)?
    /// The call's deadline in `DispatchTime` uptime nanoseconds. An integer, not a
    /// `ContinuousClock.Instant`: that type is resilient, so every copy of one goes through its
    /// value witnesses, which showed on every call and host call.
    private var deadlineNanoseconds: UInt64?
    /// The last timeout seen, in nanoseconds and (on WasmKit) in fuel: an instance's timeout is
    /// the same on every call, so both are worked out once.
    private var timeoutCache: (timeout: Duration, nanoseconds: UInt64, fuel: UInt64?)?

    /// The call's wall-clock deadline, if it has a timeout (worked out when asked: host functions
    /// that block bound their waits by it).
    var deadline: ContinuousClock.Instant? {
        guard let deadlineNanoseconds else { return nil }
        let left = Int64(bitPattern: deadlineNanoseconds &- DispatchTime.now().uptimeNanoseconds)
        return ContinuousClock.now + .nanoseconds(left)
    }
    /// The call runs in a time slice: host functions that may not run in one refuse.
    private(set) var inSlice = false
    /// A host function refused because the call runs in a slice: the call ends without a result.
    private(set) var leftSlice = false
    private(set) var timeout: Duration?

    /// Starts a call (or instantiation): records its deadline and computes the call's fuel.
    /// `calibration`: turns the timeout and `slice` into fuel (WasmKit, which cannot interrupt);
    /// `nil` where the engine interrupts by the clock (Wasmtime's epochs), so only ``Limits/fuel``
    /// counts. `slice`: a shorter run the call is cut off after (`WasmInstance.call(_:_:slice:)`).
    func begin(limits: Limits, calibration: FuelCalibration?, slice: Duration? = nil) -> Budget {
        inSlice = slice != nil
        leftSlice = false
        hostFailure = nil
        timeout = limits.timeout
        deadlineNanoseconds = nil
        var timeFuel: UInt64?
        if let timeout = limits.timeout {
            let cached: (timeout: Duration, nanoseconds: UInt64, fuel: UInt64?)
            if let known = timeoutCache, known.timeout == timeout {
                cached = known
            } else {
                let (seconds, attoseconds) = timeout.components
                let nanoseconds =
                    seconds < 0 ? 0 : UInt64(clamping: seconds) &* 1_000_000_000 &+ UInt64(clamping: attoseconds / 1_000_000_000)
                cached = (timeout, nanoseconds, calibration?.fuel(for: timeout))
                timeoutCache = cached
            }
            deadlineNanoseconds = DispatchTime.now().uptimeNanoseconds &+ cached.nanoseconds
            timeFuel = cached.fuel
        }
        var budget: Budget
        switch (limits.fuel, timeFuel) {
        case (nil, nil):
            budget = Budget(fuel: .max, isLimited: false, deadlineIsTighter: false)
        case (let fuel?, nil):
            budget = Budget(fuel: fuel, isLimited: true, deadlineIsTighter: false)
        case (nil, let time?):
            budget = Budget(fuel: time, isLimited: true, deadlineIsTighter: true)
        case (let fuel?, let time?):
            budget = Budget(fuel: min(fuel, time), isLimited: true, deadlineIsTighter: time < fuel)
        }
        if let slice, let calibration {
            let sliceFuel = calibration.fuel(for: slice)
            if !budget.isLimited || sliceFuel < budget.fuel {
                budget = Budget(fuel: sliceFuel, isLimited: true, deadlineIsTighter: false, sliceIsTighter: true)
            }
        }
        return budget
    }

    func end() {
        deadlineNanoseconds = nil
        nestedFailure = nil
        inSlice = false
    }

    /// Ends the call (the caller throws) when it runs in a time slice and `runsInSlice` is false:
    /// the call is then cut off before the function acts, as ``invoke(_:memory:reentry:arguments:)``
    /// does for host functions; for WASI and socket functions on engines that route them through
    /// Wasmton.
    func refuseInSlice(_ name: String, runsInSlice: Bool) throws(GuestError) {
        guard inSlice && !runsInSlice else { return }
        leftSlice = true
        throw .hostFunctionFailed(name: name, message: "does not run in a time slice")
    }

    /// Fails a host call made after the call's deadline passed (fuel alone cannot see time spent
    /// in the host).
    func checkDeadline() throws(GuestError) {
        guard let deadlineNanoseconds else { return }
        if DispatchTime.now().uptimeNanoseconds >= deadlineNanoseconds, let timeout {
            throw .deadlineExceeded(seconds: timeout.seconds, function: nil)
        }
    }

    /// Runs a ``HostFunction`` for either engine: refuses in a slice unless it may run there,
    /// checks the deadline, checks what the body returns against the signature, and turns
    /// foreign errors into ``GuestError/hostFunctionFailed(name:message:)``.
    func invoke(
        _ prepared: PreparedHostFunction, memory: consuming LinearMemory?, reentry: GuestReentry, arguments: [WasmValue]
    ) throws(GuestError) -> [WasmValue] {
        try refuseInSlice(prepared.qualifiedName, runsInSlice: prepared.function.runsInSlice)
        try checkDeadline()
        var call = HostCall(memory: consume memory, context: self, reentry: reentry)
        do {
            let produced = try prepared.function.body(&call, arguments)
            guard Self.kinds(of: produced, match: prepared.function.signature.results) else {
                throw GuestError.hostFunctionFailed(
                    name: prepared.qualifiedName,
                    message:
                        "returned (\(produced.map(\.kind.description).joined(separator: ", "))), its signature says \(prepared.function.signature)"
                )
            }
            return produced
        } catch let error as GuestError {
            throw error
        } catch {
            throw .hostFunctionFailed(name: prepared.qualifiedName, message: "\(error)")
        }
    }

    /// Whether `values` have exactly the kinds `expected` lists (compared in place: this runs on
    /// every host call).
    private static func kinds(of values: [WasmValue], match expected: [ValueKind]) -> Bool {
        guard values.count == expected.count else { return false }
        for index in values.indices where values[index].kind != expected[index] { return false }
        return true
    }

    /// A host function's call back into its calling instance (``HostCall/callGuest(_:_:)``).
    func reenter(_ reentry: GuestReentry, _ name: String, _ arguments: [WasmValue]) throws(GuestError) -> [WasmValue] {
        do {
            switch reentry {
            case .wasmKit(let instance):
                return try WasmKitInstance.reenter(instance, name, arguments)
            case .wasmtime(let caller):
                return try caller.call(name, arguments)
            }
        } catch let error as GuestError {
            if case .missingExport = error { throw error }
            // Kept whole so the outer call reports the trap, fuel or deadline it really was.
            nestedFailure = error
            throw .hostFunctionFailed(name: name, message: "\(error)")
        } catch {
            nestedFailure = error
            throw .hostFunctionFailed(name: name, message: "\(error)")
        }
    }
}

/// How a host function reaches back into the instance that called it.
enum GuestReentry {
    case wasmKit(Instance?)
    case wasmtime(WasmtimeCaller)
}
