import WasmtonRuntime

/// The i32 arguments of a proxy-wasm host call, read as what the ABI says they are.
struct ProxyWasmArguments {
    private let values: [WasmValue]

    init(_ values: [WasmValue]) {
        self.values = values
    }

    /// Argument `index` as a signed number (an enum value, a status, a count).
    func int32(_ index: Int) -> Int32 {
        if case .i32(let value) = values[index] { return value }
        return 0
    }

    /// Arguments `index` and `index + 1`: a guest buffer's address and length (both unsigned).
    func span(_ index: Int) -> GuestSpan {
        GuestSpan(address: UInt64(UInt32(bitPattern: int32(index))), count: Int(UInt32(bitPattern: int32(index + 1))))
    }

    /// Argument `index` as an unsigned length or offset.
    func length(_ index: Int) -> Int {
        Int(UInt32(bitPattern: int32(index)))
    }

    /// Argument `index` as a guest address the host writes to.
    func address(_ index: Int) -> UInt64 {
        UInt64(UInt32(bitPattern: int32(index)))
    }

    /// Arguments `index` and `index + 1`: where the host writes a returned value's address and size.
    func returnSlots(_ index: Int) -> ProxyWasmReturn {
        ProxyWasmReturn(addressSlot: address(index), sizeSlot: address(index + 1))
    }
}

/// Where a host function returns a variable-size value: the guest's two out-pointers for the
/// address and size of memory the guest allocates (`proxy_on_memory_allocate` or `malloc`).
struct ProxyWasmReturn {
    let addressSlot: UInt64
    let sizeSlot: UInt64

    /// Copies `bytes` into memory the guest allocates, and writes where and how long at the
    /// guest's two out-pointers.
    func give(_ bytes: [UInt8], call: HostCall, state: ProxyWasmState) throws {
        let memory = try call.requireMemory()
        var address: UInt32 = 0
        if !bytes.isEmpty {
            let results = try call.callGuest(state.allocator, [.i32(Int32(clamping: bytes.count))])
            guard case .i32(let allocated)? = results.first, allocated != 0 else {
                throw GuestError.hostFunctionFailed(
                    name: state.allocator, message: "could not allocate \(bytes.count) bytes in the guest")
            }
            address = UInt32(bitPattern: allocated)
            try memory.write(bytes, at: UInt64(address))
        }
        try memory.writeUInt32(address, at: addressSlot)
        try memory.writeUInt32(UInt32(bytes.count), at: sizeSlot)
    }
}
