import WasmtonRuntime

/// A buffer in guest memory that a host function was handed as two i32 arguments, an address
/// and a length (both unsigned): how the waPC and proxy-wasm ABIs pass bytes.
struct GuestSpan {
    let address: UInt64
    let count: Int

    init(address: UInt64, count: Int) {
        self.address = address
        self.count = count
    }

    /// The span of two i32 arguments.
    init(_ address: WasmValue, _ count: WasmValue) {
        self.address = UInt64(address.unsignedInt32)
        self.count = Int(count.unsignedInt32)
    }

    /// The bytes, bounds-checked. A zero-length span may come with any address (Zig passes an
    /// undefined one) and reads nothing.
    func bytes(in call: HostCall) throws(GuestError) -> [UInt8] {
        guard count != 0 else { return [] }
        return try call.requireMemory().read(at: address, count: count)
    }

    func string(in call: HostCall) throws(GuestError) -> String {
        String(decoding: try bytes(in: call), as: UTF8.self)
    }
}

extension WasmValue {
    /// An i32 argument read as unsigned (an address or a length); 0 for other kinds.
    var unsignedInt32: UInt32 {
        guard case .i32(let raw) = self else { return 0 }
        return UInt32(bitPattern: raw)
    }
}
