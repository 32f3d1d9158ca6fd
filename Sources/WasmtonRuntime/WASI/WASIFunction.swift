import WASI
import WasmKit

/// One WASI function as either engine binds it: its Wasm type and its body over the engine's
/// guest memory `M`. WasmKit's own ``WASIHostFunction`` cannot be made outside its module, so
/// the functions Wasmton layers over it (the socket extension's, snapshot 0's) are these.
struct WASIFunction<M: GuestMemoryView> {
    let type: FunctionType
    let body: (M, [Value]) throws -> [Value]

    init(type: FunctionType, body: @escaping (M, [Value]) throws -> [Value]) {
        self.type = type
        self.body = body
    }

    /// The bridge's own function.
    init(_ function: WASIHostFunction<M>) {
        self.init(type: function.type, body: function.implementation)
    }

    /// The preview 1 functions an instance links: the bridge's, with the socket extension's
    /// wrappers in place of the ones they wrap.
    static func preview1(
        wasi: [String: WASIHostFunction<M>], sockets: [SocketImports<M>.Definition]
    ) -> [String: WASIFunction<M>] {
        var functions = wasi.mapValues(WASIFunction.init)
        let i32 = ValueType.i32
        for wrapper in sockets {
            let body = wrapper.body
            functions[wrapper.name] = WASIFunction(
                type: FunctionType(parameters: Array(repeating: i32, count: wrapper.parameters), results: [i32])
            ) { memory, arguments in [.i32(UInt32(bitPattern: try body(memory, arguments)))] }
        }
        return functions
    }
}
