import WasmParser

/// The Wasm proposals Wasmton accepts: WasmKit's defaults plus SIMD and tail calls, which
/// current clang, Rust and TinyGo toolchains emit.
enum WasmtonFeatures {
    static let parser: WasmFeatureSet = WasmFeatureSet.default.union([.simd, .tailCall])
}
