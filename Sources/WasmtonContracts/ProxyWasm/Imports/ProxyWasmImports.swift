import Logging
import WasmtonRuntime

/// The host side of proxy-wasm ABI 0.2.1 (and 0.2.0): the `env.proxy_*` functions a filter
/// imports. Header maps, buffers, properties, local responses, logging, time, tick timers and
/// the effective context are implemented, each area in a table of its own
/// (``ProxyWasmHeaderMaps``, ``ProxyWasmBuffers``, ``ProxyWasmProperties``,
/// ``ProxyWasmStreamControl``, ``ProxyWasmLogging``); every other `proxy_*` import a module
/// declares (HTTP and gRPC calls, shared data and queues, metrics, foreign functions…) resolves
/// and answers `Unimplemented`, so modules built with the Rust, Go and C++ SDKs load.
///
/// Values returned to the guest live in memory the guest hands out through
/// `proxy_on_memory_allocate` (or `malloc`), called back from inside the host function
/// (``ProxyWasmReturn``).
enum ProxyWasmImports {
    static func functions(module: WasmModule, state: ProxyWasmState, logger: Logger) -> [HostFunction] {
        let implemented =
            ProxyWasmLogging(state: state, logger: logger).functions + ProxyWasmHeaderMaps(state: state).functions
            + ProxyWasmBuffers(state: state).functions + ProxyWasmProperties(state: state).functions
            + ProxyWasmStreamControl(state: state).functions
        let names = Set(implemented.map(\.name))
        var functions = implemented
        for entry in module.imports where entry.module == "env" && !names.contains(entry.name) {
            guard case .function(let signature) = entry.kind else { continue }
            if entry.name.hasPrefix("proxy_") {
                // Everything else an SDK declares (HTTP and gRPC calls, shared data, metrics…):
                // present, and Unimplemented.
                functions.append(
                    HostFunction(module: "env", name: entry.name, signature: signature) { _, _ in
                        signature.results.first == .i32 ? [.i32(ProxyWasmABI.Status.unimplemented.rawValue)] : []
                    })
            } else if entry.name == "emscripten_notify_memory_growth" {
                // C++ SDK (Emscripten) modules tell the host their memory grew; nothing to do.
                functions.append(HostFunction(module: "env", name: entry.name, signature: signature) { _, _ in [] })
            } else if entry.name == "pthread_equal" {
                functions.append(
                    HostFunction(module: "env", name: entry.name, signature: signature) { _, a in
                        [.i32(a.count == 2 && a[0] == a[1] ? 1 : 0)]
                    })
            }
        }
        return functions
    }

    /// One `env.proxy_*` function: `parameters` i32s in, a ``ProxyWasmABI/Status`` out. `body`
    /// decodes the arguments (``ProxyWasmArguments``) and calls the area's labelled method.
    static func function(
        _ name: String, _ parameters: Int,
        _ body: @escaping (inout HostCall, ProxyWasmArguments) throws -> ProxyWasmABI.Status
    ) -> HostFunction {
        HostFunction(
            module: "env", name: name,
            signature: FunctionSignature(parameters: Array(repeating: .i32, count: parameters), results: [.i32])
        ) { call, arguments in
            try body(&call, ProxyWasmArguments(arguments)).result
        }
    }
}
