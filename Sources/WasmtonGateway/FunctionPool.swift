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

    init(
        served: ServedModule, runtime: WasmRuntime, configuration: GatewayConfiguration, sandbox: Sandbox,
        threads: GuestThreads, hostCalls: WapcHostCalls, logger: Logger
    ) {
        name = served.name
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
    func call(_ operation: String, payload: [UInt8], deadline: ContinuousClock.Instant) async throws -> [UInt8] {
        let queued = ContinuousClock.now
        let metrics = metrics
        let name = name
        let run = { [pool] () async throws -> [UInt8] in
            try await pool.run(until: deadline) { guest in
                metrics.poolWait(module: name, duration: ContinuousClock.now - queued)
                return try guest.call(operation, payload: payload)
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
