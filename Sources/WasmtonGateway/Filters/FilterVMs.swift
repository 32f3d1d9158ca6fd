import Logging
import Synchronization
import WasmtonContracts
import WasmtonRuntime

/// The VMs of one filter: one per worker, as Envoy runs one per worker thread, each shared by the
/// streams assigned to it. A VM whose callback fails is dropped and a new one started for the
/// next stream; restarts are rate-limited (the proxy-wasm spec's advice for crash loops), so a
/// filter that fails on every request costs one failed request each, not one restart each.
final class FilterVMs: Sendable {
    /// Why no VM could be leased.
    enum LeaseFailure: Error {
        case startFailed(ProxyWasmError)
        case crashLooping(restarts: Int, window: Duration)
    }

    private struct Slot {
        var vm: ProxyWasmPlugin?
        var restarts: [ContinuousClock.Instant] = []
    }

    /// One worker's VM behind its own lock (a `Mutex` cannot sit in an array by itself).
    private final class SlotLock: Sendable {
        let mutex: Mutex<Slot>
        init(_ slot: Slot) { mutex = Mutex(slot) }
    }

    static let restartWindow: Duration = .seconds(10)
    static let maxRestartsPerWindow = 5

    let filter: HTTPFilter
    private let runtime: WasmRuntime
    private let sandbox: Sandbox
    private let logger: Logger
    private let metrics = FilterMetrics()
    private let slots: [SlotLock]
    private let cursor = Atomic<Int>(0)
    /// The filter's accounting, under its name: VMs started, and each callback (``ProxyWasmPlugin``).
    private let accounting: GuestAccounting
    /// The metrics every callback records.
    let meters: FilterMeters

    var name: String { filter.configuration.name }

    /// Starts `count` VMs; a filter that cannot start or rejects its configuration is an error here.
    init(filter: HTTPFilter, count: Int, runtime: WasmRuntime, sandbox: Sandbox, logger: Logger) throws(ProxyWasmError) {
        self.filter = filter
        self.runtime = runtime
        self.sandbox = sandbox
        self.logger = logger
        let accounting = GuestAccounting.of(filter.configuration.name, runtime: runtime)
        self.accounting = accounting
        meters = FilterMeters(filter: filter.configuration.name)
        var slots: [SlotLock] = []
        for _ in 0..<max(1, count) {
            let vm = try ProxyWasmPlugin(
                runtime: runtime, module: filter.module, sandbox: sandbox, configuration: filter.configuration,
                logger: logger, accounting: accounting)
            accounting.instancesCreated()
            slots.append(SlotLock(Slot(vm: vm)))
        }
        self.slots = slots
    }

    /// The VM for a new stream: worker `slot`'s (modulo the count; the proxy's event loops each
    /// keep to one, so their inline calls do not wait on each other's call locks), else round
    /// robin. Starts a replacement if the slot's VM was dropped (this runs guest code).
    func lease(preferring slot: Int? = nil) throws(LeaseFailure) -> (slot: Int, vm: ProxyWasmPlugin) {
        let index = slot.map { $0 % slots.count } ?? cursor.add(1, ordering: .relaxed).oldValue % slots.count
        return try slots[index].mutex.withLock { slot throws(LeaseFailure) -> (slot: Int, vm: ProxyWasmPlugin) in
            if let vm = slot.vm { return (index, vm) }
            let now = ContinuousClock.now
            slot.restarts.removeAll { now - $0 > Self.restartWindow }
            guard slot.restarts.count < Self.maxRestartsPerWindow else {
                throw .crashLooping(restarts: slot.restarts.count, window: Self.restartWindow)
            }
            slot.restarts.append(now)
            metrics.restart(filter: name)
            do throws(ProxyWasmError) {
                let vm = try ProxyWasmPlugin(
                    runtime: runtime, module: filter.module, sandbox: sandbox, configuration: filter.configuration,
                    logger: logger, accounting: accounting)
                accounting.instancesCreated()
                slot.vm = vm
                logger.notice("filter VM restarted", metadata: ["filter": "\(name)", "slot": "\(index)"])
                return (index, vm)
            } catch {
                throw .startFailed(error)
            }
        }
    }

    /// Drops `vm` after a failed callback; the slot starts a new one for its next stream.
    func discard(slot index: Int, vm: ProxyWasmPlugin) {
        let dropped = slots[index].mutex.withLock { slot -> Bool in
            guard slot.vm === vm else { return false }
            slot.vm = nil
            return true
        }
        if dropped { vm.shutdown() }
    }

    /// Whether any live VM set a tick period.
    var wantsTicks: Bool {
        slots.contains { $0.mutex.withLock { $0.vm?.tickPeriod != nil } }
    }

    /// Runs due `proxy_on_tick`s on every live VM.
    func tick() {
        for (index, slot) in slots.enumerated() {
            guard let vm = slot.mutex.withLock({ $0.vm }) else { continue }
            do {
                try vm.tickIfDue()
            } catch {
                logger.error("filter tick failed", metadata: ["filter": "\(name)", "error": "\(error)"])
                metrics.failure(filter: name, kind: "tick")
                discard(slot: index, vm: vm)
            }
        }
    }

    /// Stops every VM.
    func shutdown() {
        for slot in slots {
            slot.mutex.withLock { slot in
                slot.vm?.shutdown()
                slot.vm = nil
            }
        }
    }
}
