import Logging
import Tracing
import WasmtonContracts
import WasmtonRuntime

/// One served module: its pool of waPC instances and the calls through it.
final class FunctionPool: Sendable {
    let name: String
    let pool: InstancePool<WapcGuest>
    private let metrics = GatewayMetrics()
    private let traced = !(InstrumentationSystem.tracer is NoOpTracer)
    /// How long a call may run on the request's thread before it moves to a guest thread; nil: never.
    private let slice: Duration?
    /// Which operations have been quick enough lately to try in a slice.
    private let quick: QuickOperations

    init(
        served: ServedModule, runtime: WasmRuntime, configuration: GatewayConfiguration, sandbox: Sandbox,
        threads: GuestThreads, hostCalls: WapcHostCalls, logger: Logger
    ) {
        name = served.name
        slice = configuration.freshInstance ? nil : configuration.callSlice
        quick = QuickOperations(slice: configuration.callSlice ?? .zero)
        let module = served.module
        pool = InstancePool(
            configuration: .init(
                size: configuration.poolSize, maxWaiting: configuration.maxWaiting, reuse: !configuration.freshInstance,
                discards: { error in (error as? WapcError)?.poisonsInstance ?? true }),
            threads: threads,
            make: { try WapcGuest(runtime: runtime, module: module, sandbox: sandbox, hostCalls: hostCalls, logger: logger) },
            close: { $0.close() })
    }

    /// Runs `operation` with `payload` on a pooled instance, waiting for one until `deadline`.
    ///
    /// With a time slice, a module that can run in slices (``WapcGuest/runsInSlices``) is first
    /// called right here, on the request's own thread, when an instance is idle: no hop to a
    /// guest thread and back. A call that needs longer than the slice, or a host call, is cut
    /// off before it acts outside the guest and runs again on a guest thread, so the request's
    /// thread is never held longer than the slice.
    func call(_ operation: String, payload: [UInt8], deadline: ContinuousClock.Instant) async throws -> [UInt8] {
        let queued = ContinuousClock.now
        let metrics = metrics
        let name = name
        if let slice, !traced, quick.isQuick(operation) {
            let outcome = try pool.runHere { guest -> [UInt8]? in
                guard guest.runsInSlices else { return nil }
                metrics.poolWait(module: name, duration: .zero)
                return try guest.callInSlice(operation, payload: payload, slice: slice)
            }
            if case .finished(let response) = outcome {
                metrics.sliceCall(module: name, finished: true)
                return response
            }
            quick.record(operation, took: nil)
            metrics.sliceCall(module: name, finished: false)
        }
        let tracker = slice == nil ? nil : quick
        let run = { [pool] () async throws -> [UInt8] in
            try await pool.run(until: deadline) { guest in
                let start = ContinuousClock.now
                metrics.poolWait(module: name, duration: start - queued)
                let response = try guest.call(operation, payload: payload)
                if let tracker, guest.runsInSlices { tracker.record(operation, took: ContinuousClock.now - start) }
                return response
            }
        }
        // No span at all without a tracer: a no-op span still costs its name and attributes.
        guard traced else { return try await run() }
        return try await withSpan("guest call \(name)/\(operation)", ofKind: .internal) { span in
            span.attributes["wasmton.module"] = name
            span.attributes["wasmton.operation"] = operation
            return try await run()
        }
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
        metrics.pool(
            module: name, size: pool.configuration.size, idle: snapshot.idle, busy: snapshot.busy, waiting: snapshot.waiting)
    }
}
