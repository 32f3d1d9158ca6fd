import WasmKit

/// The state of the call in progress on one instance, shared with its host functions.
///
/// Confined to the instance's lock: it is written when a call begins and ends, and read by host
/// functions, which run on the same thread inside that call.
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

    var memory: Memory?
    /// What ended a guest function that a host function called back into (``HostCall/callGuest(_:_:)``);
    /// the outer call reports it instead of the host function's own error.
    var nestedFailure: (any Error)?
    private(set) var deadline: ContinuousClock.Instant?
    /// The call runs in a time slice: host functions that may not run in one refuse.
    private(set) var inSlice = false
    /// A host function refused because the call runs in a slice: the call ends without a result.
    private(set) var leftSlice = false
    private(set) var timeout: Duration?

    /// Starts a call (or instantiation): records its deadline and gives `store` the call's fuel.
    /// `slice`: a shorter run the call is cut off after (``WasmInstance/call(_:_:slice:)``).
    func begin(limits: Limits, calibration: FuelCalibration, store: Store, slice: Duration? = nil) -> Budget {
        inSlice = slice != nil
        leftSlice = false
        timeout = limits.timeout
        deadline = limits.timeout.map { ContinuousClock.now + $0 }
        let timeFuel = limits.timeout.map { calibration.fuel(for: $0) }
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
        if let slice {
            let sliceFuel = calibration.fuel(for: slice)
            if !budget.isLimited || sliceFuel < budget.fuel {
                budget = Budget(fuel: sliceFuel, isLimited: true, deadlineIsTighter: false, sliceIsTighter: true)
            }
        }
        if budget.isLimited {
            store.fuel = Fuel(remaining: budget.fuel)
        } else if store.fuel != nil {
            store.fuel = nil
        }
        return budget
    }

    func end() {
        deadline = nil
        nestedFailure = nil
        inSlice = false
    }

    /// Fails a host call made after the call's deadline passed (fuel alone cannot see time spent
    /// in the host).
    func checkDeadline() throws(GuestError) {
        if let deadline, ContinuousClock.now >= deadline, let timeout {
            throw .deadlineExceeded(seconds: timeout.seconds, function: nil)
        }
    }

    /// The calling instance's exported `memory`: the cached handle, else looked up on the caller.
    func memory(of caller: borrowing Caller) -> Memory? {
        if let memory { return memory }
        if case .memory(let exported)? = caller.instance?.export("memory") { return exported }
        return nil
    }

    /// Wraps a ``HostFunction`` as a WasmKit function that checks the deadline, gives the body
    /// bounds-checked memory, and turns foreign errors into ``GuestError/hostFunctionFailed(name:message:)``.
    func wrap(_ function: HostFunction, store: Store) -> Function {
        let parameters = function.signature.parameters.compactMap(\.valueType)
        let results = function.signature.results.compactMap(\.valueType)
        let qualifiedName = "\(function.module).\(function.name)"
        let body = function.body
        let runsInSlice = function.runsInSlice
        let expectedResults = function.signature.results
        // `weak`: WasmKit's store owns this closure, and the context holds a handle into that
        // store (`memory`); a strong reference would keep every instance's memory alive forever.
        return Function(store: store, parameters: parameters, results: results) { [weak self] caller, arguments in
            guard let self else { throw GuestError.hostFunctionFailed(name: qualifiedName, message: "instance is closed") }
            if inSlice && !runsInSlice {
                leftSlice = true
                throw GuestError.hostFunctionFailed(name: qualifiedName, message: "does not run in a time slice")
            }
            try checkDeadline()
            var call = HostCall(
                memory: memory(of: caller).map(LinearMemory.init), deadline: deadline, caller: (self, caller.instance))
            let values = arguments.compactMap(WasmValue.init)
            do {
                let produced = try body(&call, values)
                guard Self.kinds(of: produced, match: expectedResults) else {
                    throw GuestError.hostFunctionFailed(
                        name: qualifiedName,
                        message:
                            "returned (\(produced.map(\.kind.description).joined(separator: ", "))), its signature says \(function.signature)"
                    )
                }
                return produced.map(\.engineValue)
            } catch let error as GuestError {
                throw error
            } catch {
                throw GuestError.hostFunctionFailed(name: qualifiedName, message: "\(error)")
            }
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
    func reenter(_ instance: Instance?, _ name: String, _ arguments: [WasmValue]) throws(GuestError) -> [WasmValue] {
        guard let function = instance?.exports[function: name] else {
            throw .missingExport(name: name, available: [])
        }
        do {
            return try function.invoke(arguments.map(\.engineValue)).compactMap(WasmValue.init)
        } catch {
            // Kept whole so the outer call reports the trap, fuel or deadline it really was.
            nestedFailure = error
            throw .hostFunctionFailed(name: name, message: "\(error)")
        }
    }
}
