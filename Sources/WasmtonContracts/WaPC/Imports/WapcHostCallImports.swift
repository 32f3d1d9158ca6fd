import WasmtonRuntime

/// `__host_call` and the four functions that fetch its answer: the guest asks the host (a
/// capability, a link to another module or an HTTP endpoint) through ``WapcHostCalls``, then
/// reads the response or the error by length and copy.
struct WapcHostCallImports {
    let module: String
    let state: WapcCallState
    let hostCalls: WapcHostCalls

    var functions: [HostFunction] {
        [
            WapcImports.function(
                "__host_call", [.i32, .i32, .i32, .i32, .i32, .i32, .i32, .i32], [.i32], actsOutsideGuest: true
            ) { call, a in
                let succeeded = try hostCall(
                    call, binding: GuestSpan(a[0], a[1]), namespace: GuestSpan(a[2], a[3]),
                    operation: GuestSpan(a[4], a[5]), payload: GuestSpan(a[6], a[7]))
                return [.i32(succeeded ? 1 : 0)]
            },
            WapcImports.function("__host_response_len", [], [.i32]) { _, _ in
                [.i32(Int32(clamping: state.withExchange { $0.hostResponse?.count ?? 0 }))]
            },
            WapcImports.function("__host_response", [.i32], []) { call, a in
                try copy(state.withExchange { $0.hostResponse }, call, into: UInt64(a[0].unsignedInt32))
                return []
            },
            WapcImports.function("__host_error_len", [], [.i32]) { _, _ in
                [.i32(Int32(clamping: state.withExchange { $0.hostError?.count ?? 0 }))]
            },
            WapcImports.function("__host_error", [.i32], []) { call, a in
                try copy(state.withExchange { $0.hostError }, call, into: UInt64(a[0].unsignedInt32))
                return []
            },
        ]
    }

    /// Dispatches the call and keeps its response or error for the guest to fetch; true on success.
    func hostCall(
        _ call: HostCall, binding: GuestSpan, namespace: GuestSpan, operation: GuestSpan, payload: GuestSpan
    ) throws -> Bool {
        let request = WapcHostCall(
            module: module, binding: try binding.string(in: call), namespace: try namespace.string(in: call),
            operation: try operation.string(in: call), payload: try payload.bytes(in: call), deadline: call.deadline)
        state.withExchange {
            $0.hostResponse = nil
            $0.hostError = nil
        }
        switch hostCalls.dispatch(request) {
        case .success(let response):
            state.withExchange { $0.hostResponse = response }
            return true
        case .failure(let error):
            state.withExchange { $0.hostError = Array(error.message.utf8) }
            return false
        }
    }

    private func copy(_ bytes: [UInt8]?, _ call: HostCall, into address: UInt64) throws {
        guard let bytes, !bytes.isEmpty else { return }
        try call.requireMemory().write(bytes, at: address)
    }
}
