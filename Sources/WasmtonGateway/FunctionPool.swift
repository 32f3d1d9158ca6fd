import Dispatch
import Logging
import Tracing
import WasmtonContracts
import WasmtonRuntime

/// One served module: its pool of waPC instances and the calls through it.
final class FunctionPool: Sendable {
    let name: String
    let pool: InstancePool<WapcGuest>
    private let metrics: GatewayMetrics.PoolHandles
    private let traced = !(InstrumentationSystem.tracer is NoOpTracer)
    /// Which operations have been quick enough lately to try in a time slice; nil when calls of
    /// this module never run in one (no slice configured, fresh instances on WasmKit, tracing
    /// on, or a module that imports blocking functions).
    private let slices: QuickOperations?
    /// The module's accounting (under its served name), one flush per call: a call costs tens of
    /// microseconds, a flush well under one.
    private let accounting: GuestAccounting

    init(
        served: ServedModule, runtime: WasmRuntime, configuration: GatewayConfiguration, sandbox: Sandbox,
        threads: GuestThreads, hostCalls: WapcHostCalls, logger: Logger
    ) {
        name = served.name
        metrics = GatewayMetrics.PoolHandles(module: served.name)
        let accounting = GuestAccounting.of(served.name, runtime: runtime)
        self.accounting = accounting
        let module = served.module
        // A fresh instance per call runs in a slice only where making one is cheap (Wasmtime's
        // compiled code: microseconds; WasmKit's instantiation would hold the event loop longer).
        if let slice = configuration.callSlice, !configuration.freshInstance || runtime.instantiatesCheaply,
            InstrumentationSystem.tracer is NoOpTracer, runtime.runsInSlices(module)
        {
            slices = QuickOperations(slice: slice)
        } else {
            slices = nil
        }
        pool = InstancePool(
            configuration: .init(
                size: configuration.poolSize, maxWaiting: configuration.maxWaiting, reuse: !configuration.freshInstance,
                discards: { error in (error as? WapcError)?.poisonsInstance ?? true }),
            threads: threads,
            make: {
                let guest = try WapcGuest(
                    runtime: runtime, module: module, sandbox: sandbox, hostCalls: hostCalls, logger: logger)
                accounting.instancesCreated()
                return guest
            },
            close: { $0.close() })
    }

    /// Runs `operation` with `payload` on a pooled instance, waiting for one until `deadline`:
    /// right here when ``callHere(_:payload:)`` can, on a guest thread otherwise.
    func call(_ operation: String, payload: [UInt8], deadline: ContinuousClock.Instant) async throws -> [UInt8] {
        let queued = ContinuousClock.now
        if let response = try callHere(operation, payload: payload) { return response }
        return try await callOnGuestThread(operation, payload: payload, deadline: deadline, queued: queued)
    }

    /// Tries `operation` in a time slice on the calling thread (an event loop): nil when it was
    /// not run here or gave up part-way, and must go to ``callOnGuestThread(_:payload:deadline:queued:)``.
    ///
    /// Only a module that can run in slices (``WapcGuest/runsInSlices``), an operation that has
    /// proved quick, and an idle instance qualify: no hop to a guest thread and back. A call that
    /// needs longer than the slice, or a host call, is cut off before it acts outside the guest,
    /// so the calling thread is never held longer than the slice.
    func callHere(_ operation: String, payload: [UInt8]) throws -> [UInt8]? {
        guard let slices, slices.isQuick(operation) else { return nil }
        let accounting = accounting
        // No pool wait is recorded: a call runs here only on an instance that was idle.
        let outcome = try pool.runHere { guest -> [UInt8]? in
            try Self.accounted(guest, operation, in: accounting, readsCPU: false) { () throws(WapcError) in
                try guest.callInSlice(operation, payload: payload, slice: slices.slice)
            }
        }
        if case .finished(let response) = outcome {
            metrics.sliceFinished.increment()
            return response
        }
        slices.record(operation, took: nil)
        metrics.sliceMoved.increment()
        return nil
    }

    /// Runs `operation` on a guest thread with a pooled instance, waiting for one until
    /// `deadline`; `queued` is when the request asked, for the pool-wait metric.
    func callOnGuestThread(
        _ operation: String, payload: [UInt8], deadline: ContinuousClock.Instant, queued: ContinuousClock.Instant
    ) async throws -> [UInt8] {
        let call = guestCall(operation, payload: payload, queued: queued)
        // No span at all without a tracer: a no-op span still costs its name and attributes.
        guard traced else { return try await pool.run(until: deadline, call) }
        return try await withSpan("guest call \(name)/\(operation)", ofKind: .internal) { [pool] span in
            span.attributes["wasmton.module"] = name
            span.attributes["wasmton.operation"] = operation
            return try await pool.run(until: deadline, call)
        }
    }

    /// ``callOnGuestThread(_:payload:deadline:queued:)`` for a caller on an event loop, without
    /// a task: `completion` gets the answer on the guest thread (no span: the event-loop path
    /// runs only without a tracer).
    func submitCall(
        _ operation: String, payload: [UInt8], deadline: ContinuousClock.Instant, queued: ContinuousClock.Instant,
        completion: @escaping @Sendable (Result<[UInt8], any Error>) -> Void
    ) {
        pool.submit(until: deadline, guestCall(operation, payload: payload, queued: queued), completion: completion)
    }

    /// The call as the pool runs it on a guest thread: it records how long it waited for an
    /// instance, and how long it ran, for the slice decision.
    private func guestCall(
        _ operation: String, payload: [UInt8], queued: ContinuousClock.Instant
    ) -> @Sendable (WapcGuest) throws -> [UInt8] {
        { [metrics, slices, accounting] guest in
            let start = ContinuousClock.now
            metrics.wait.record(duration: start - queued)
            // A call on a guest thread has paid for a thread hop already: its CPU time is read
            // around it (two system calls).
            let response = try Self.accounted(guest, operation, in: accounting, readsCPU: true) { () throws(WapcError) in
                try guest.call(operation, payload: payload)
            }
            slices?.record(operation, took: ContinuousClock.now - start)
            return response ?? []
        }
    }

    /// Runs `call` on `guest` (its response; `nil` when a time slice gave up) and accounts it to
    /// its operation: wall time, fuel from the instance's meter, memory, the kind of failure.
    /// `readsCPU`: read the thread's CPU time around the call; otherwise the call runs in a time
    /// slice, where nothing may block (host functions that could refuse to run there), so its CPU
    /// time is its wall time. A slice given up counts its fuel and time but no call. An
    /// operation the guest does not know is accounted under ``GuestAccounting/otherOperation``,
    /// so request paths cannot add series.
    private static func accounted(
        _ guest: WapcGuest, _ operation: String, in accounting: GuestAccounting, readsCPU: Bool,
        _ call: () throws(WapcError) -> [UInt8]?
    ) throws(WapcError) -> [UInt8]? {
        let instance = guest.instance
        let fuelBefore = instance.fuelConsumed
        let cpuStart = readsCPU ? GuestAccounting.threadCPUNanoseconds() : 0
        let start = DispatchTime.now().uptimeNanoseconds
        var usage = GuestUsage()
        var label = operation
        var finished = true
        let result: Result<[UInt8]?, WapcError>
        do throws(WapcError) {
            let response = try call()
            finished = response != nil
            result = .success(response)
        } catch {
            if error.isUnknownOperation { label = GuestAccounting.otherOperation }
            if case .guestFailed(_, let failure) = error { usage.recordFailure(failure) }
            result = .failure(error)
        }
        usage.wallNanoseconds = DispatchTime.now().uptimeNanoseconds &- start
        usage.cpuNanoseconds = readsCPU ? GuestAccounting.threadCPUNanoseconds() &- cpuStart : usage.wallNanoseconds
        if finished { usage.calls = 1 }
        if let fuelBefore, let fuelAfter = instance.fuelConsumed {
            if finished { usage.recordFuel(fuelAfter &- fuelBefore) } else { usage.addFuel(fuelAfter &- fuelBefore) }
        }
        usage.recordMemory(instance.memoryBytes)
        accounting.flush(&usage, to: accounting.operation(label))
        return try result.get()
    }

    /// Waits until no call runs or waits on this pool (at most `limit`), then shuts it down: the
    /// end of a pool that a reload replaced.
    func drain(within limit: Duration) async {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            let snapshot = pool.snapshot
            if snapshot.busy == 0 && snapshot.waiting == 0 { break }
            try? await Task.sleep(for: .milliseconds(20))
        }
        pool.shutdown()
    }

    /// Publishes the pool's gauges; called when metrics are scraped, not on the request path.
    func report() {
        let snapshot = pool.snapshot
        GatewayMetrics().pool(
            module: name, size: pool.configuration.size, idle: snapshot.idle, busy: snapshot.busy, waiting: snapshot.waiting)
    }
}
