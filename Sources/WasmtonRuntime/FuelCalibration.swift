import Synchronization
import WAT
import WasmKit

/// Converts a wall-clock deadline into a fuel budget, so that a guest stuck in a loop that never
/// calls the host still stops on time.
///
/// WasmKit cannot interrupt a running guest from another thread (its fuel counter is plain,
/// unsynchronized memory, and writing it from a watchdog would be a data race). Fuel is the one
/// race-free brake it has, so Wasmton measures how much fuel this machine burns per second on a
/// representative loop, budgets `timeout × rate`, and keeps refining the rate from the calls it
/// runs. Host functions additionally check the clock, which catches guests that spend their time
/// in the host instead of burning fuel.
final class FuelCalibration: Sendable {
    private let engine: Engine
    private let rate = Mutex<Double?>(nil)

    init(engine: Engine) {
        self.engine = engine
    }

    /// Fuel that takes about `timeout` to burn on this machine.
    func fuel(for timeout: Duration) -> UInt64 {
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) * 1e-18
        let budget = seconds * currentRate()
        return budget >= Double(UInt64.max / 2) ? UInt64.max / 2 : UInt64(max(budget, 1_000))
    }

    /// Folds an observed call (fuel burnt in a measured time) into the rate estimate.
    func observe(fuel: UInt64, elapsed: Duration) {
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        guard seconds >= 0.005, fuel >= 100_000 else { return }
        let observed = Double(fuel) / seconds
        rate.withLock { current in
            guard let value = current else { return }
            // Weighted toward the new observation, bounded so one odd call cannot swing it far.
            let clamped = min(max(observed, value / 4), value * 4)
            current = value * 0.8 + clamped * 0.2
        }
    }

    private func currentRate() -> Double {
        if let value = rate.withLock({ $0 }) { return value }
        let measured = Self.measure(engine: engine)
        return rate.withLock { current in
            if current == nil { current = measured }
            return current!
        }
    }

    /// Runs a loop of loads, stores, arithmetic and branches until a fixed budget runs out, three
    /// times, and returns the median rate in fuel per second.
    private static func measure(engine: Engine) -> Double {
        let fallback = 200_000_000.0
        guard engine.configuration.fuelMetering,
            let bytes = try? wat2wasm(calibrationLoop),
            let module = try? parseWasm(bytes: bytes)
        else { return fallback }
        let store = Store(engine: engine)
        guard let instance = try? module.instantiate(store: store),
            let spin = instance.exports[function: "spin"]
        else { return fallback }
        let budget: UInt64 = 4_000_000
        var rates: [Double] = []
        for _ in 0..<3 {
            store.fuel = Fuel(remaining: budget)
            let clock = ContinuousClock()
            let start = clock.now
            _ = try? spin.invoke([])
            let elapsed = clock.now - start
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            if seconds > 0 { rates.append(Double(budget) / seconds) }
        }
        rates.sort()
        return rates.isEmpty ? fallback : rates[rates.count / 2]
    }

    private static let calibrationLoop = """
        (module
          (memory 1)
          (func (export "spin") (local $i i32) (local $acc i32)
            (loop $again
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (local.set $acc
                (i32.add (local.get $acc) (i32.load (i32.and (local.get $i) (i32.const 1020)))))
              (i32.store (i32.and (local.get $acc) (i32.const 1020)) (local.get $i))
              (br_if $again (i32.ne (local.get $i) (i32.const -1)))
              (br $again))))
        """
}
