import Foundation
public import WasmtonRuntime

/// The engine the test suites run guests on: WasmKit by default, Wasmtime when
/// `WASMTON_TEST_ENGINE=wasmtime` (scripts/test.sh runs the Runtime, Contracts, Streams and
/// Gateway suites once on each). A missing Wasmtime library then fails every test with the
/// loader's own message, rather than quietly testing WasmKit twice.
public enum TestEngine {
    public static let current: WasmEngine = {
        guard ProcessInfo.processInfo.environment["WASMTON_TEST_ENGINE"] == "wasmtime" else { return .wasmKit }
        do {
            return .wasmtime(try WasmtimeLibrary.load())
        } catch {
            fatalError("WASMTON_TEST_ENGINE=wasmtime: \(error)")
        }
    }()

    /// Whether the suites run on Wasmtime.
    public static var isWasmtime: Bool {
        if case .wasmtime = current { return true }
        return false
    }
}

extension WasmRuntime {
    /// A runtime with `configuration` on the engine under test (``TestEngine``).
    public static func forTests(configuration: Configuration = Configuration()) -> WasmRuntime {
        var configuration = configuration
        configuration.engine = TestEngine.current
        return WasmRuntime(configuration: configuration)
    }
}
