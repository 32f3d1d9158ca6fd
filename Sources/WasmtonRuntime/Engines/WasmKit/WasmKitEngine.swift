import WasmKit

/// WasmKit's side of a ``WasmRuntime``: the engine configuration every instance's engine is made
/// from, and the fuel rate deadlines are converted with (WasmKit cannot interrupt a guest).
final class WasmKitEngine: Sendable {
    let configuration: EngineConfiguration
    let calibration: FuelCalibration
    /// Whether instances charge fuel (``WasmRuntime/Configuration/fuelMetering``).
    var metersFuel: Bool { configuration.fuelMetering }

    init(configuration: WasmRuntime.Configuration) {
        let bounds: EngineConfiguration.MemoryBoundsChecking? =
            configuration.boundsChecking == .software ? .software : nil
        self.configuration = EngineConfiguration(
            stackSize: configuration.stackSize, features: WasmtonFeatures.parser,
            memoryBoundsChecking: bounds, fuelMetering: configuration.fuelMetering)
        calibration = FuelCalibration(engine: Engine(configuration: self.configuration))
    }

    /// A new engine with this runtime's configuration, for one instance.
    ///
    /// WasmKit's engine resolves a function's type under a lock on every call into a guest and
    /// every host call; with one engine for all instances, guest threads queued on that lock
    /// (with 32 stream lanes it took more than half the CPU). An engine is a configuration and
    /// that table, cheap to make; modules are engine-independent (validation already uses an
    /// engine of its own), and execution stacks depend only on the stack size.
    func makeEngine() -> Engine {
        Engine(configuration: configuration)
    }
}
