import Synchronization
import WAT
import WasmKit

/// Converts a wall-clock deadline into a fuel budget, so that a guest stuck in a loop that never
/// calls the host still stops on time.
///
/// WasmKit cannot interrupt a running guest from another thread (its fuel counter is plain,
/// unsynchronized memory, and writing it from a watchdog would be a data race). Fuel is the one
/// race-free brake it has, so Wasmton measures how fast this machine burns fuel and budgets
/// `timeout × rate`. Code burns fuel at different speeds (a loop of calls about five times slower
/// than straight-line arithmetic), and the rate used is the slowest measured: a guest never runs
/// past its deadline, at the price that arithmetic-heavy code may be stopped before the full
/// deadline has passed. Host functions also check the clock, which catches guests that spend
/// their time in the host instead of burning fuel.
final class FuelCalibration: Sendable {
    private let engine: Engine
    /// The measured rate's bit pattern, 0 until measured. An atomic, not a lock: every call with a
    /// timeout reads it, from every guest thread at once, and a contended `Mutex` (a PI futex on
    /// Linux) took half the CPU of a stream engine running 32 lanes.
    private let rate = Atomic<UInt64>(0)

    init(engine: Engine) {
        self.engine = engine
    }

    /// Fuel that takes at most about `timeout` to burn on this machine.
    func fuel(for timeout: Duration) -> UInt64 {
        let budget = timeout.seconds * currentRate()
        return budget >= Double(UInt64.max / 2) ? UInt64.max / 2 : UInt64(max(budget, 1_000))
    }

    /// The measured rate in fuel per second (measured on first use).
    func currentRate() -> Double {
        let known = rate.load(ordering: .relaxed)
        if known != 0 { return Double(bitPattern: known) }
        let measured = Self.measure(engine: engine)
        // Threads that measured at once agree on the first result stored.
        let (exchanged, original) = rate.compareExchange(
            expected: 0, desired: measured.bitPattern, ordering: .relaxed)
        return exchanged ? measured : Double(bitPattern: original)
    }

    /// Burns a fixed budget in each pattern of ``calibrationLoops`` and returns the slowest rate.
    private static func measure(engine: Engine) -> Double {
        let fallback = 50_000_000.0
        guard engine.configuration.fuelMetering,
            let bytes = try? wat2wasm(calibrationLoops),
            let module = try? parseWasm(bytes: bytes)
        else { return fallback }
        let store = Store(engine: engine)
        guard let instance = try? module.instantiate(store: store) else { return fallback }
        let budget: UInt64 = 250_000
        var slowest = Double.infinity
        for pattern in ["calls", "tight", "straight", "memory"] {
            guard let function = instance.exports[function: pattern] else { continue }
            var best = 0.0
            for _ in 0..<2 {
                store.fuel = Fuel(remaining: budget)
                let clock = ContinuousClock()
                let start = clock.now
                _ = try? function.invoke([])
                let seconds = (clock.now - start).seconds
                if seconds > 0 { best = max(best, Double(budget) / seconds) }
            }
            if best > 0 { slowest = min(slowest, best) }
        }
        return slowest.isFinite ? slowest : fallback
    }

    /// Endless loops of different shapes: calls, a bare branch, arithmetic, memory traffic.
    private static let calibrationLoops = """
        (module
          (memory 1)
          (func $next (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
          (func (export "calls") (local $i i32)
            (loop $again (local.set $i (call $next (local.get $i))) (br $again)))
          (func (export "tight") (loop $again (br $again)))
          (func (export "straight") (local $a i32) (local $b i32)
            (loop $again
              (local.set $a (i32.add (local.get $a) (local.get $b)))
              (local.set $b (i32.xor (local.get $a) (i32.const 7)))
              (local.set $a (i32.mul (local.get $a) (local.get $b)))
              (local.set $b (i32.sub (local.get $b) (i32.const 3)))
              (br $again)))
          (func (export "memory") (local $i i32) (local $acc i32)
            (loop $again
              (local.set $i (i32.add (local.get $i) (i32.const 4)))
              (local.set $acc (i32.add (local.get $acc) (i32.load (i32.and (local.get $i) (i32.const 1020)))))
              (i32.store (i32.and (local.get $acc) (i32.const 1020)) (local.get $i))
              (br $again))))
        """
}
