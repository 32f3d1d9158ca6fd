// runtime-bench: Wasmton's side of the runtime benchmark (see ../../README.md).
//
// Measures, per engine configuration, load+validate and instantiate of the ~1 MB
// guests/build/big.wasm, one host→guest call (`noop`), one guest→host→guest round trip
// (`call_host`, whose import echoes its argument) and two small workloads (big.wasm's `run(1)`,
// and 10,000 iterations of a load/store loop from Benchmarks/guests/memloop.wat).
// Also measures raw WasmKit calls with a fresh execution stack per call against one reused stack.
//
// Prints one JSON object per measurement (µs per operation: median, p90, mean, min). A plain
// executable, not a test: nothing here passes or fails on a number.
//
//   runtime-bench [--guests DIR] [--quick] [--only ENGINE/VARIANT/OP-SUBSTRING]

import Foundation
import WasmKit
import WasmtonContracts
import WasmtonRuntime

// MARK: - Options

struct Options {
    var guests = "guests/build"
    var quick = false
    /// Only measurements whose `engine/variant/op` contains this (for profiling one of them).
    var only: String?

    init(arguments: [String]) {
        var iterator = arguments.dropFirst().makeIterator()
        while let argument = iterator.next() {
            switch argument {
            case "--guests": guests = iterator.next() ?? guests
            case "--quick": quick = true
            case "--only": only = iterator.next()
            case "-h", "--help":
                print("usage: runtime-bench [--guests DIR] [--quick] [--only ENGINE/VARIANT/OP-SUBSTRING]")
                exit(0)
            default:
                FileHandle.standardError.write(Data("runtime-bench: unknown argument \(argument)\n".utf8))
                exit(2)
            }
        }
    }
}

let options = Options(arguments: CommandLine.arguments)
let bigPath = options.guests + "/big.wasm"
let benchPath = options.guests + "/bench.wasm"
let cuckooPath = options.guests + "/cuckoo_filter.wasm"
/// Benchmarks/guests/memloop.wat, found beside this package whatever the working directory.
let memloopPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("guests/memloop.wat").path
/// Iterations of memloop per call.
let memloopIterations: Int32 = 10_000

// MARK: - Measuring

let clock = ContinuousClock()

extension Duration {
    var nanoseconds: Double {
        Double(components.seconds) * 1e9 + Double(components.attoseconds) * 1e-9
    }
}

/// How many samples to take and for how long.
struct Plan {
    /// Operations per sample: cheap operations are timed in batches so the clock's own cost
    /// (tens of nanoseconds) does not count.
    var batch: Int
    var warmup: Int
    var minSamples: Int
    var maxSamples: Int
    /// Stop taking samples after this long (once `minSamples` are in).
    var budget: Duration

    static let compile = Plan(batch: 1, warmup: 1, minSamples: 5, maxSamples: 30, budget: .seconds(10))
    static let instantiate = Plan(batch: 1, warmup: 20, minSamples: 50, maxSamples: 2000, budget: .seconds(3))
    static let call = Plan(batch: 1000, warmup: 20, minSamples: 20, maxSamples: 300, budget: .seconds(3))
    static let workload = Plan(batch: 20, warmup: 20, minSamples: 20, maxSamples: 300, budget: .seconds(3))
    static let loop = Plan(batch: 1, warmup: 5, minSamples: 20, maxSamples: 300, budget: .seconds(3))

    var scaled: Plan {
        guard options.quick else { return self }
        var plan = self
        plan.maxSamples = max(maxSamples / 10, minSamples)
        plan.budget = budget / 10
        return plan
    }
}

/// Warms up, takes samples, and prints one JSON line. `sample(batch)` runs the operation `batch`
/// times and returns the nanoseconds per operation of the part it timed itself.
func measure(
    engine: String, variant: String, op: String, plan: Plan, _ sample: (Int) throws -> Double
) rethrows {
    if let only = options.only, !"\(engine)/\(variant)/\(op)".contains(only) { return }
    let plan = plan.scaled
    for _ in 0..<plan.warmup { _ = try sample(plan.batch) }
    var samples: [Double] = []
    samples.reserveCapacity(plan.maxSamples)
    let start = clock.now
    while samples.count < plan.maxSamples && (samples.count < plan.minSamples || clock.now - start < plan.budget) {
        samples.append(try sample(plan.batch) / 1000)
    }
    samples.sort()
    let count = samples.count
    let median = count % 2 == 1 ? samples[count / 2] : (samples[count / 2 - 1] + samples[count / 2]) / 2
    let p90 = samples[(count * 9 + 9) / 10 - 1]
    let mean = samples.reduce(0, +) / Double(count)
    func fmt(_ value: Double) -> String { String(format: "%.4f", value) }
    let line =
        #"{"engine":"\#(engine)","variant":"\#(variant)","op":"\#(op)","median_us":\#(fmt(median)),"#
        + #""p90_us":\#(fmt(p90)),"mean_us":\#(fmt(mean)),"min_us":\#(fmt(samples[0])),"#
        + #""samples":\#(count),"batch":\#(plan.batch)}"#
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// Times `batch` runs of `body` together.
@inline(__always)
func timed(_ batch: Int, _ body: () throws -> Void) rethrows -> Double {
    let start = clock.now
    for _ in 0..<batch { try body() }
    return (clock.now - start).nanoseconds / Double(batch)
}

func expect(_ condition: Bool, _ message: String) {
    if !condition {
        FileHandle.standardError.write(Data("runtime-bench: \(message)\n".utf8))
        exit(1)
    }
}

// MARK: - Wasmton

let echo = HostFunction(
    module: "bench", name: "host_echo", signature: FunctionSignature(parameters: [.i32], results: [.i32])
) { _, arguments in arguments }

struct Variant {
    var name: String
    var configuration: WasmRuntime.Configuration
    var sandbox: Sandbox
}

/// Wasmton on Wasmtime too, when its library is at hand (run.sh sets WASMTON_WASMTIME_LIB).
let wasmtimeVariants: [Variant] = {
    guard ProcessInfo.processInfo.environment["WASMTON_WASMTIME_LIB"] != nil,
        let library = try? WasmtimeLibrary.load()
    else { return [] }
    return [
        // As serve and process run it: calls can be cut off by the epoch (deadlines, slices).
        Variant(name: "wasmtime", configuration: .init(fuelMetering: false, engine: .wasmtime(library)), sandbox: Sandbox()),
        // As `wasmton run`/`call`/`invoke` without --timeout run it: no epoch checks compiled in.
        Variant(
            name: "wasmtime-uninterruptible",
            configuration: .init(fuelMetering: false, engine: .wasmtime(library), interruptible: false), sandbox: Sandbox()),
        Variant(
            name: "wasmtime-fuel-limited", configuration: .init(fuelMetering: true, engine: .wasmtime(library)),
            sandbox: Sandbox(limits: WasmtonRuntime.Limits(fuel: 1 << 40))),
    ]
}()

let variants =
    wasmtimeVariants + [
        Variant(
            name: "baseline", configuration: .init(fuelMetering: false, boundsChecking: .automatic), sandbox: Sandbox()),
        Variant(
            name: "software-bounds", configuration: .init(fuelMetering: false, boundsChecking: .software),
            sandbox: Sandbox()),
        // Fuel metering compiled in, no limit set: what `Configuration()`'s default (fuel on) costs
        // a guest that runs without limits.
        Variant(name: "fuel-metered", configuration: .init(fuelMetering: true), sandbox: Sandbox()),
        // Fuel metering with a per-call fuel limit, the way a sandboxed trigger runs.
        Variant(
            name: "fuel-limited", configuration: .init(fuelMetering: true),
            sandbox: Sandbox(limits: WasmtonRuntime.Limits(fuel: 1 << 40))),
    ]

@MainActor
func benchWasmton(_ variant: Variant) throws {
    let name = variant.name
    let sandbox = variant.sandbox

    // Load + validate: a fresh runtime per load, so its content-keyed module cache cannot answer.
    // Only `load` is timed, not making the runtime.
    try measure(engine: "wasmton", variant: name, op: "load_validate_big", plan: .compile) { _ in
        let runtime = WasmRuntime(configuration: variant.configuration)
        let start = clock.now
        let module = try runtime.load(path: bigPath)
        let elapsed = (clock.now - start).nanoseconds
        withExtendedLifetime(module) {}
        return elapsed
    }

    let runtime = WasmRuntime(configuration: variant.configuration)
    let big = try runtime.load(path: bigPath)
    let bench = try runtime.load(path: benchPath)

    // Instantiate the loaded module; the instance's teardown is not timed.
    try measure(engine: "wasmton", variant: name, op: "instantiate_big", plan: .instantiate) { batch in
        var total = 0.0
        for _ in 0..<batch {
            let start = clock.now
            let instance = try runtime.instantiate(big, sandbox: sandbox)
            total += (clock.now - start).nanoseconds
            instance.close()
        }
        return total / Double(batch)
    }

    let instance = try runtime.instantiate(bench, sandbox: sandbox, hostFunctions: [echo])
    expect(try instance.call("call_host", [.i32(7)]) == [.i32(7)], "call_host(7) did not return 7")
    // Exports found once and held, as the harness holds its `wasmtime_func_t`s and as
    // Wasmton's triggers hold theirs (`WasmModule.function(_:)`); `call_noop_lookup` finds
    // the export by name on every call, as the harness's `call_noop_lookup` does.
    let noop = try bench.function("noop")
    let callHost = try bench.function("call_host")
    let run = try big.function("run")
    try measure(engine: "wasmton", variant: name, op: "call_noop", plan: .call) { batch in
        try timed(batch) { try instance.call(noop) }
    }
    try measure(engine: "wasmton", variant: name, op: "call_noop_lookup", plan: .call) { batch in
        try timed(batch) { try instance.call("noop") }
    }
    // Arguments made once, outside the timed loop, as the harness's sit on its stack: what is
    // timed is the call, not the allocation of an array literal.
    let seven: [WasmValue] = [.i32(7)]
    let one: [WasmValue] = [.i32(1)]
    try measure(engine: "wasmton", variant: name, op: "call_host_roundtrip", plan: .call) { batch in
        try timed(batch) { try instance.call(callHost, seven) }
    }

    let bigInstance = try runtime.instantiate(big, sandbox: sandbox)
    try measure(engine: "wasmton", variant: name, op: "call_run_workload", plan: .workload) { batch in
        try timed(batch) { try bigInstance.call(run, one) }
    }

    let memloopModule = try runtime.load(path: memloopPath)
    let memloop = try runtime.instantiate(memloopModule, sandbox: sandbox)
    let memloopFunction = try memloopModule.function("memloop")
    let iterations: [WasmValue] = [.i32(memloopIterations)]
    try measure(engine: "wasmton", variant: name, op: "call_memloop_workload", plan: .loop) { batch in
        try timed(batch) { try memloop.call(memloopFunction, iterations) }
    }
    instance.close()
    bigInstance.close()
    memloop.close()

    // What `serve --fresh-instance` pays per request beyond HTTP: a new instance of the cuckoo
    // module with the waPC imports, its start-up (`_start`, `wapc_init`), one
    // `check_word_exists` call, and the instance's teardown, all timed.
    let cuckoo = try runtime.load(path: cuckooPath)
    let payload: [UInt8] = [0x81, 0xa4] + Array("name".utf8) + [0xa3] + Array("foo".utf8)
    try measure(engine: "wasmton", variant: name, op: "fresh_wapc_request", plan: .instantiate) { batch in
        try timed(batch) {
            let guest = try WapcGuest(runtime: runtime, module: cuckoo, sandbox: sandbox)
            let answer = try guest.call("check_word_exists", payload: payload)
            expect(!answer.isEmpty, "check_word_exists answered nothing")
            guest.close()
        }
    }
}

// MARK: - Raw WasmKit: parse, instantiate, and calls with a fresh execution stack against a reused one

@MainActor
func benchRawWasmKit() throws {
    let engine = Engine(configuration: EngineConfiguration())
    let store = Store(engine: engine)
    let module = try parseWasm(bytes: Array(try Data(contentsOf: URL(fileURLWithPath: benchPath))))
    var imports = Imports()
    imports.define(
        module: "bench", name: "host_echo",
        Function(store: store, parameters: [.i32], results: [.i32]) { _, arguments in arguments })
    let instance = try module.instantiate(store: store, imports: imports)
    guard let noop = instance.exports[function: "noop"], let callHost = instance.exports[function: "call_host"] else {
        expect(false, "bench.wasm lacks noop or call_host")
        return
    }
    let seven: [Value] = [.i32(7)]

    // Where Wasmton's load and instantiate time goes: WasmKit's own parse (no function-body
    // validation) and instantiate (a new store each time, lazy compilation).
    let bigBytes = Array(try Data(contentsOf: URL(fileURLWithPath: bigPath)))
    try measure(engine: "wasmkit", variant: "raw", op: "parse_big", plan: .compile) { _ in
        let start = clock.now
        let module = try parseWasm(bytes: bigBytes)
        let elapsed = (clock.now - start).nanoseconds
        withExtendedLifetime(module) {}
        return elapsed
    }
    let bigModule = try parseWasm(bytes: bigBytes)
    try measure(engine: "wasmkit", variant: "raw", op: "instantiate_big", plan: .instantiate) { batch in
        var total = 0.0
        for _ in 0..<batch {
            let start = clock.now
            let store = Store(engine: engine)
            let instance = try bigModule.instantiate(store: store)
            total += (clock.now - start).nanoseconds
            withExtendedLifetime((store, instance)) {}
        }
        return total / Double(batch)
    }

    try measure(engine: "wasmkit", variant: "raw", op: "call_noop_fresh_stack", plan: .call) { batch in
        try timed(batch) { _ = try noop.invoke([]) }
    }
    try measure(engine: "wasmkit", variant: "raw", op: "call_noop_reused_stack", plan: .call) { batch in
        var stack = ExecutionStack(engine: engine)
        let start = clock.now
        for _ in 0..<batch { _ = try noop.invoke([], on: &stack) }
        return (clock.now - start).nanoseconds / Double(batch)
    }
    // The reused stack found per call the way WasmtonRuntime's ExecutionStackCache finds it
    // (a slot in `Thread.current.threadDictionary`), and through a pthread key instead.
    try measure(engine: "wasmkit", variant: "raw", op: "call_noop_threaddict_stack", plan: .call) { batch in
        try timed(batch) {
            let slot = ThreadDictionarySlot.slot(for: engine)
            _ = try noop.invoke([], on: &slot.stack)
        }
    }
    try measure(engine: "wasmkit", variant: "raw", op: "call_noop_pthreadkey_stack", plan: .call) { batch in
        try timed(batch) {
            let slot = PthreadKeySlot.slot(for: engine)
            _ = try noop.invoke([], on: &slot.stack)
        }
    }
    try measure(engine: "wasmkit", variant: "raw", op: "call_host_roundtrip_fresh_stack", plan: .call) { batch in
        try timed(batch) { _ = try callHost.invoke(seven) }
    }
    try measure(engine: "wasmkit", variant: "raw", op: "call_host_roundtrip_reused_stack", plan: .call) { batch in
        var stack = ExecutionStack(engine: engine)
        let start = clock.now
        for _ in 0..<batch { _ = try callHost.invoke(seven, on: &stack) }
        return (clock.now - start).nanoseconds / Double(batch)
    }
}

/// One stack per thread in the thread's Foundation dictionary, as ExecutionStackCache keeps it.
final class ThreadDictionarySlot {
    let engine: Engine
    var stack: ExecutionStack

    init(engine: Engine) {
        self.engine = engine
        stack = ExecutionStack(engine: engine)
    }

    static let key = "org.wasmton.benchmark.execution-stack"

    static func slot(for engine: Engine) -> ThreadDictionarySlot {
        let dictionary = Thread.current.threadDictionary
        if let slot = dictionary[key] as? ThreadDictionarySlot, slot.engine === engine { return slot }
        let slot = ThreadDictionarySlot(engine: engine)
        dictionary[key] = slot
        return slot
    }
}

/// One stack per thread behind a pthread key: the same reuse with a cheaper lookup.
final class PthreadKeySlot {
    let engine: Engine
    var stack: ExecutionStack

    init(engine: Engine) {
        self.engine = engine
        stack = ExecutionStack(engine: engine)
    }

    static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { pointer in
            if let pointer { Unmanaged<PthreadKeySlot>.fromOpaque(pointer).release() }
        }
        return key
    }()

    static func slot(for engine: Engine) -> PthreadKeySlot {
        if let raw = pthread_getspecific(key) {
            let slot = Unmanaged<PthreadKeySlot>.fromOpaque(raw).takeUnretainedValue()
            if slot.engine === engine { return slot }
            Unmanaged<PthreadKeySlot>.fromOpaque(raw).release()
        }
        let slot = PthreadKeySlot(engine: engine)
        pthread_setspecific(key, Unmanaged.passRetained(slot).toOpaque())
        return slot
    }
}

// MARK: - Deadlines

/// Endless loops of each shape a deadline must stop: calls, a bare branch, arithmetic, memory
/// traffic, and calls to a host function.
let deadlineLoops = """
    (module
      (import "bench" "host_echo" (func $echo (param i32) (result i32)))
      (memory 1)
      (func $next (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
      (func (export "calls") (local $i i32) (loop $again (local.set $i (call $next (local.get $i))) (br $again)))
      (func (export "tight") (loop $again (br $again)))
      (func (export "arithmetic") (local $a i32) (local $b i32)
        (loop $again
          (local.set $a (i32.add (local.get $a) (local.get $b)))
          (local.set $b (i32.mul (i32.xor (local.get $a) (i32.const 7)) (local.get $a)))
          (br $again)))
      (func (export "memory") (local $i i32)
        (loop $again
          (local.set $i (i32.add (local.get $i) (i32.const 4)))
          (i32.store (i32.and (local.get $i) (i32.const 1020)) (local.get $i))
          (br $again)))
      (func (export "host_calls") (local $i i32) (loop $again (local.set $i (call $echo (local.get $i))) (br $again))))
    """

/// How long each loop shape runs under a 300 ms timeout before it is stopped (in µs, the JSON's
/// unit: 300 ms is 300000).
@MainActor
func benchDeadlines(_ variant: Variant) throws {
    let runtime = WasmRuntime(configuration: variant.configuration)
    let module = try runtime.load(bytes: Array(deadlineLoops.utf8), name: "deadline-loops")
    let sandbox = Sandbox(limits: WasmtonRuntime.Limits(timeout: .milliseconds(300)))
    for shape in ["calls", "tight", "arithmetic", "memory", "host_calls"] {
        let instance = try runtime.instantiate(module, sandbox: sandbox, hostFunctions: [echo])
        measure(
            engine: "wasmton", variant: variant.name, op: "deadline_300ms_\(shape)",
            plan: Plan(batch: 1, warmup: 0, minSamples: 3, maxSamples: 3, budget: .seconds(5))
        ) { _ in
            let start = clock.now
            do {
                try instance.call(shape)
            } catch GuestError.deadlineExceeded {
            } catch {
                expect(false, "\(shape) under a 300 ms timeout ended with \(error)")
            }
            return (clock.now - start).nanoseconds
        }
        instance.close()
    }
}

// MARK: - Main

do {
    for variant in variants {
        try benchWasmton(variant)
    }
    for variant in variants where ["wasmtime", "fuel-metered"].contains(variant.name) {
        try benchDeadlines(variant)
    }
    try benchRawWasmKit()
} catch {
    FileHandle.standardError.write(Data("runtime-bench: \(error)\n".utf8))
    exit(1)
}
