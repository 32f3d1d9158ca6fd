import WasmtonRuntime

/// `__guest_request`, `__guest_response` and `__guest_error`: the guest fetches the operation and
/// payload of the call in progress, and hands back its response or its error.
struct WapcGuestCallImports {
    let state: WapcCallState

    var functions: [HostFunction] {
        [
            WapcImports.function("__guest_request", [.i32, .i32], []) { call, a in
                try request(call, operationInto: UInt64(a[0].unsignedInt32), payloadInto: UInt64(a[1].unsignedInt32))
                return []
            },
            WapcImports.function("__guest_response", [.i32, .i32], []) { call, a in
                try respond(call, with: GuestSpan(a[0], a[1]))
                return []
            },
            WapcImports.function("__guest_error", [.i32, .i32], []) { call, a in
                try fail(call, with: GuestSpan(a[0], a[1]))
                return []
            },
        ]
    }

    func request(_ call: HostCall, operationInto operationAddress: UInt64, payloadInto payloadAddress: UInt64) throws {
        let (operation, payload) = state.withExchange { ($0.operation, $0.payload) }
        let memory = try call.requireMemory()
        if !operation.isEmpty { try memory.write(operation, at: operationAddress) }
        if !payload.isEmpty { try memory.write(payload, at: payloadAddress) }
    }

    func respond(_ call: HostCall, with response: GuestSpan) throws {
        let bytes = try response.bytes(in: call)
        state.withExchange { $0.guestResponse = bytes }
    }

    func fail(_ call: HostCall, with error: GuestSpan) throws {
        let bytes = try error.bytes(in: call)
        state.withExchange { $0.guestError = bytes }
    }
}
