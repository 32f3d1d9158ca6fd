import Metrics
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What one module's guest code costs its host (a tenant's bill): calls, fuel, wall and CPU
/// time per operation, instances created, the largest linear memory and traps by kind, exported
/// through swift-metrics as `wasmton_guest_*` (the CLI renders them at `/metrics`).
///
/// Triggers do not touch the metrics on every call: they add each call to a ``GuestUsage`` of
/// their own (plain integers, on the thread that ran the call) and hand it to
/// ``flush(_:to:)`` once per batch (a stream lane) or once per call where a call already costs
/// tens of microseconds (a served request). One accounting object exists per module name, shared
/// by every trigger and by the module's reloaded versions (``named(_:metersFuel:)``), so a
/// tenant's series continue across a reload.
///
/// Label cardinality stays bounded: operations come from the module's exports or from calls it
/// answered, and at most ``operationLimit`` distinct ones get series of their own; the rest are
/// counted under ``otherOperation``.
public final class GuestAccounting: Sendable {
    /// One operation's series (`module`, `operation` labels), made once and kept.
    public final class Operation: Sendable {
        /// The operation label.
        public let name: String
        let calls: Counter
        let fuel: Counter?
        let seconds: FloatingPointCounter
        let cpuSeconds: FloatingPointCounter
        let histogram: FuelHistogram?

        init(module: String, name: String, metersFuel: Bool) {
            self.name = name
            let dimensions = [("module", module), ("operation", name)]
            calls = Counter(label: "wasmton_guest_calls_total", dimensions: dimensions)
            seconds = FloatingPointCounter(label: "wasmton_guest_seconds_total", dimensions: dimensions)
            cpuSeconds = FloatingPointCounter(label: "wasmton_guest_cpu_seconds_total", dimensions: dimensions)
            fuel = metersFuel ? Counter(label: "wasmton_guest_fuel_total", dimensions: dimensions) : nil
            histogram = metersFuel ? FuelHistogram(module: module, operation: name) : nil
        }
    }

    /// The module (tenant) label.
    public let module: String
    /// Whether the runtime meters fuel: without it no fuel series exist.
    public let metersFuel: Bool
    /// At most this many operations get series of their own.
    public let operationLimit: Int
    /// The operations' series, and the name last asked for with its series (comparing the
    /// same name again is far cheaper than hashing it).
    private let operations = Mutex<(all: [String: Operation], last: (name: String, operation: Operation)?)>(([:], nil))
    private let traps = Mutex<[String: Counter]>([:])
    private let instances: Counter
    private let memory: Gauge
    private let memoryHighWater = Atomic<Int>(0)
    /// Serializes rises of ``memoryHighWater`` with their gauge updates.
    private let memoryLock = Mutex<Void>(())

    /// The label of calls whose operation got no series of its own (past ``operationLimit``,
    /// or an operation the guest does not know).
    public static let otherOperation = "_other"

    private static let all = Mutex<[String: GuestAccounting]>([:])

    /// The accounting of the module called `module`, made on first use and shared from then on.
    /// `metersFuel`: whether its runtime meters fuel (``WasmRuntime/Configuration/fuelMetering``);
    /// the first caller's answer sticks, since a process runs one runtime configuration.
    public static func named(_ module: String, metersFuel: Bool) -> GuestAccounting {
        all.withLock { all in
            if let known = all[module] { return known }
            let made = GuestAccounting(module: module, metersFuel: metersFuel)
            all[module] = made
            return made
        }
    }

    /// The accounting of `module` as its runtime runs it (``named(_:metersFuel:)``).
    public static func of(_ module: String, runtime: WasmRuntime) -> GuestAccounting {
        named(module, metersFuel: runtime.configuration.fuelMetering)
    }

    init(module: String, metersFuel: Bool, operationLimit: Int = 64) {
        self.module = module
        self.metersFuel = metersFuel
        self.operationLimit = operationLimit
        instances = Counter(label: "wasmton_guest_instances_created_total", dimensions: [("module", module)])
        memory = Gauge(label: "wasmton_guest_memory_high_water_bytes", dimensions: [("module", module)])
    }

    /// The series of `name`. Past ``operationLimit`` operations, those of ``otherOperation``.
    /// Callers keep the result for names that recur (a lookup takes a lock).
    public func operation(_ name: String) -> Operation {
        operations.withLock { operations in
            if let last = operations.last, last.name == name { return last.operation }
            let found: Operation
            if let known = operations.all[name] {
                found = known
            } else {
                let label = operations.all.count < operationLimit ? name : Self.otherOperation
                if let other = operations.all[label] {
                    found = other
                } else {
                    found = Operation(module: module, name: label, metersFuel: metersFuel)
                    operations.all[label] = found
                }
            }
            operations.last = (name, found)
            return found
        }
    }

    /// Adds what `usage` counted to `operation`'s series and to the module's, and empties it.
    public func flush(_ usage: inout GuestUsage, to operation: Operation) {
        if usage.calls > 0 { operation.calls.increment(by: Int64(usage.calls)) }
        if usage.wallNanoseconds > 0 { operation.seconds.increment(by: Double(usage.wallNanoseconds) / 1e9) }
        if usage.cpuNanoseconds > 0 { operation.cpuSeconds.increment(by: Double(usage.cpuNanoseconds) / 1e9) }
        if let fuel = operation.fuel, usage.fuel > 0 || usage.fuelCalls > 0 {
            fuel.increment(by: Int64(clamping: usage.fuel))
            if usage.fuelCalls > 0 {
                operation.histogram?.add(usage.fuelBuckets, sum: usage.callFuel, count: usage.fuelCalls)
            }
        }
        flushModuleCounts(&usage)
        usage = GuestUsage()
    }

    /// Adds the module-wide part of `usage` (instances, memory, traps) and leaves its call counts.
    private func flushModuleCounts(_ usage: inout GuestUsage) {
        if usage.instancesCreated > 0 { instances.increment(by: Int64(usage.instancesCreated)) }
        memoryUsed(usage.memoryHighWater)
        if let trapped = usage.traps {
            for (kind, count) in trapped { trapCounter(kind).increment(by: Int64(count)) }
        }
    }

    /// Counts `count` instances made.
    public func instancesCreated(_ count: Int = 1) {
        instances.increment(by: Int64(count))
    }

    /// Raises the memory high-water mark to `bytes` if it is higher (an instance's linear memory
    /// only grows, so its current size is its own high-water mark). The common case, no change,
    /// is one atomic load; a rise takes a lock, so the gauge never goes back to a lower mark.
    public func memoryUsed(_ bytes: Int) {
        guard bytes > memoryHighWater.load(ordering: .relaxed) else { return }
        memoryLock.withLock { _ in
            guard bytes > memoryHighWater.load(ordering: .relaxed) else { return }
            memoryHighWater.store(bytes, ordering: .relaxed)
            memory.record(bytes)
        }
    }

    private func trapCounter(_ kind: String) -> Counter {
        traps.withLock { traps in
            if let known = traps[kind] { return known }
            let made = Counter(label: "wasmton_guest_traps_total", dimensions: [("module", module), ("kind", kind)])
            traps[kind] = made
            return made
        }
    }

    /// The fuel-per-call histograms of every module, in Prometheus' text format, for a
    /// `/metrics` page to append to what its swift-metrics backend renders (a histogram that
    /// takes a batch's bucket counts at once has no swift-metrics counterpart).
    public static func renderHistograms() -> [UInt8] {
        let histograms = all.withLock { Array($0.values) }.sorted { $0.module < $1.module }.flatMap { accounting in
            accounting.operations.withLock { Array($0.all.values) }.compactMap(\.histogram).sorted { $0.operation < $1.operation }
        }
        guard !histograms.isEmpty else { return [] }
        var text = "# HELP \(FuelHistogram.name) Fuel (about one unit per Wasm operator) burned per guest call.\n"
        text += "# TYPE \(FuelHistogram.name) histogram\n"
        for histogram in histograms { histogram.render(into: &text) }
        return Array(text.utf8)
    }

    /// The calling thread's CPU time in nanoseconds (`CLOCK_THREAD_CPUTIME_ID`). A system call on
    /// Linux (a few hundred nanoseconds): read it per batch, or per call only where a call costs
    /// far more.
    public static func threadCPUNanoseconds() -> UInt64 {
        var time = timespec()
        guard clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time) == 0 else { return 0 }
        return UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec)
    }
}

/// What a thread's guest calls of one operation cost since the last ``GuestAccounting/flush(_:to:)``:
/// plain integers, added to per call at the price of a few instructions.
public struct GuestUsage: Sendable {
    /// Calls made.
    public var calls = 0
    /// Wall-clock time spent in them.
    public var wallNanoseconds: UInt64 = 0
    /// CPU time of the threads that ran them.
    public var cpuNanoseconds: UInt64 = 0
    /// Fuel they burned, and any burned by attempts that were not calls (``addFuel(_:)``).
    public private(set) var fuel: UInt64 = 0
    /// Fuel of the calls recorded with ``recordFuel(_:)`` only: the histogram's sum.
    public private(set) var callFuel: UInt64 = 0
    /// Calls whose fuel was recorded (``recordFuel(_:)``).
    public private(set) var fuelCalls = 0
    /// Calls per ``FuelHistogram/bounds`` bucket (not cumulative; the last one is +Inf).
    public private(set) var fuelBuckets = FuelHistogram.Counts()
    /// Instances made.
    public var instancesCreated = 0
    /// The largest linear memory seen, in bytes.
    public var memoryHighWater = 0
    /// Failures by ``GuestError/accountingKind``, when any.
    public private(set) var traps: [String: Int]?

    /// Nothing counted yet.
    public init() {}

    /// Records one call's fuel, for the total and the fuel-per-call histogram.
    @inline(__always)
    public mutating func recordFuel(_ burned: UInt64) {
        fuel &+= burned
        callFuel &+= burned
        fuelCalls &+= 1
        fuelBuckets.add(burned)
    }

    /// Adds fuel burned outside a counted call (a time slice given up and run again elsewhere):
    /// to the total, not to the histogram.
    public mutating func addFuel(_ burned: UInt64) {
        fuel &+= burned
    }

    /// Records a failed call's kind (``GuestError/accountingKind``), unless it never reached the guest.
    public mutating func recordFailure(_ error: GuestError) {
        guard let kind = error.accountingKind else { return }
        traps = (traps ?? [:]).merging([kind: 1], uniquingKeysWith: +)
    }

    /// Raises ``memoryHighWater`` to `bytes` if higher.
    @inline(__always)
    public mutating func recordMemory(_ bytes: Int) {
        if bytes > memoryHighWater { memoryHighWater = bytes }
    }
}

/// The fuel-per-call histogram of one module's operation (`wasmton_guest_fuel_per_call`), with
/// buckets from 100 to 10⁹ fuel in steps of about ×3. It takes a batch's bucket counts in one
/// locked addition, where a swift-metrics recorder would take one lock per call.
public final class FuelHistogram: Sendable {
    /// The metric's name.
    public static let name = "wasmton_guest_fuel_per_call"
    /// The buckets' upper bounds (`le`), +Inf aside.
    public static let bounds: [UInt64] = [
        100, 300, 1_000, 3_000, 10_000, 30_000, 100_000, 300_000, 1_000_000, 3_000_000, 10_000_000, 30_000_000,
        100_000_000, 300_000_000, 1_000_000_000,
    ]

    /// Calls per bucket, the last for values past every bound: kept inline (16 buckets, the 15
    /// ``bounds`` and +Inf), so counting a call allocates nothing.
    public struct Counts: Sendable {
        var counts = SIMD16<Int64>()

        @inline(__always)
        mutating func add(_ value: UInt64) {
            var index = 0
            let bounds = FuelHistogram.bounds
            while index < bounds.count && value > bounds[index] { index &+= 1 }
            counts[index] &+= 1
        }
    }

    private struct State {
        var counts = SIMD16<Int64>()
        var sum: UInt64 = 0
        var count = 0
    }

    let module: String
    let operation: String
    private let state = Mutex(State())

    init(module: String, operation: String) {
        self.module = module
        self.operation = operation
    }

    func add(_ counts: Counts, sum: UInt64, count: Int) {
        state.withLock { state in
            state.counts &+= counts.counts
            state.sum &+= sum
            state.count &+= count
        }
    }

    /// Its bucket, sum and count lines (buckets cumulative, as Prometheus wants them).
    func render(into text: inout String) {
        let snapshot = state.withLock { $0 }
        let labels = "module=\"\(Self.escape(module))\",operation=\"\(Self.escape(operation))\""
        var cumulative = 0
        for (index, bound) in Self.bounds.enumerated() {
            cumulative += Int(snapshot.counts[index])
            text += "\(Self.name)_bucket{\(labels),le=\"\(bound)\"} \(cumulative)\n"
        }
        text += "\(Self.name)_bucket{\(labels),le=\"+Inf\"} \(snapshot.count)\n"
        text += "\(Self.name)_sum{\(labels)} \(snapshot.sum)\n"
        text += "\(Self.name)_count{\(labels)} \(snapshot.count)\n"
    }

    private static func escape(_ value: String) -> String {
        var escaped = ""
        for character in value {
            switch character {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n": escaped += "\\n"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}

extension GuestError {
    /// The `kind` label under which accounting counts this failure (`unreachable`,
    /// `out_of_fuel`, `deadline`, `memory_limit`, `out_of_bounds`, …, the names the gateway's
    /// error reasons use); `nil` for errors raised before the guest ran (a missing export, a
    /// wrong argument, a sandbox that cannot be set up).
    public var accountingKind: String? {
        switch self {
        case .trap(let kind, _):
            switch kind {
            case .unreachable: return "unreachable"
            case .memoryOutOfBounds: return "out_of_bounds"
            case .integerDivideByZero: return "integer_divide_by_zero"
            case .integerOverflow: return "integer_overflow"
            case .invalidConversionToInteger: return "invalid_conversion_to_integer"
            case .stackExhausted: return "stack_exhausted"
            case .indirectCallToNull: return "indirect_call_to_null"
            case .indirectCallTypeMismatch: return "indirect_call_type_mismatch"
            case .tableOutOfBounds: return "table_out_of_bounds"
            case .nullReference: return "null_reference"
            case .unalignedAtomic: return "unaligned_atomic"
            case .uncaughtException: return "uncaught_exception"
            case .other: return "other_trap"
            }
        case .outOfFuel: return "out_of_fuel"
        case .deadlineExceeded: return "deadline"
        case .memoryLimitExceeded: return "memory_limit"
        case .memoryAccessOutOfBounds: return "out_of_bounds"
        case .exited: return "exited"
        case .hostFunctionFailed: return "host_function"
        case .missingImport, .incompatibleImport, .missingExport, .notAFunction, .notACommand, .incompatibleExport,
            .argumentCount, .argumentType, .missingMemory, .sandboxSetup:
            return nil
        }
    }
}
