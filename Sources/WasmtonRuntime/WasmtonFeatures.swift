package import WasmParser

/// The Wasm proposals Wasmton accepts: WasmKit's defaults plus SIMD and tail calls, which
/// current clang, Rust and TinyGo toolchains emit. Shared by the runtime and the tools.
package enum WasmtonFeatures {
    package static let parser: WasmFeatureSet = WasmFeatureSet.default.union([.simd, .tailCall])
}
