import WasmtonRuntime

/// The state functions of the PollTask contract (module `wasmton`): get, put and delete the state
/// of the current record's key, or of a named sub-key of it. A guest names no key, so it can never
/// reach another key's state.
///
/// `state_get(buf, buf_len) -> i32` copies the value and returns its length; -1 when there is none
/// (or the record has no state); when `buf_len` is too small it returns the length needed and copies
/// nothing. `state_put(ptr, len)` and `state_delete()` return 0 or a negative ``StateStatus``. The
/// `_sub` variants take the sub-key's name `(name_ptr, name_len)` first. Changes are staged: they
/// apply once the task succeeded and its outputs were delivered.
enum PollTaskStateImports {
    static func functions(state: PollTaskState) -> [HostFunction] {
        [
            function("state_get", [.i32, .i32]) { call, args in
                try get(state: state, name: "", buffer: args[0], capacity: args[1], call: call)
            },
            function("state_put", [.i32, .i32]) { call, args in
                try put(state: state, name: "", pointer: args[0], length: args[1], call: call)
            },
            function("state_delete", []) { _, _ in
                try status(state.stage(name: "", value: nil))
            },
            function("state_get_sub", [.i32, .i32, .i32, .i32]) { call, args in
                try get(state: state, name: name(args, call), buffer: args[2], capacity: args[3], call: call)
            },
            function("state_put_sub", [.i32, .i32, .i32, .i32]) { call, args in
                try put(state: state, name: name(args, call), pointer: args[2], length: args[3], call: call)
            },
            function("state_delete_sub", [.i32, .i32]) { call, args in
                try status(state.stage(name: name(args, call), value: nil))
            },
        ]
    }

    private static func function(
        _ name: String, _ parameters: [ValueKind], body: @escaping (HostCall, [WasmValue]) throws -> [WasmValue]
    ) -> HostFunction {
        HostFunction(module: "wasmton", name: name, signature: .init(parameters: parameters, results: [.i32])) {
            call, args in
            do {
                return try body(call, args)
            } catch let error as TaskStateError {
                throw GuestError.hostFunctionFailed(name: "wasmton.\(name)", message: error.message)
            }
        }
    }

    private static func status(_ status: StateStatus) -> [WasmValue] {
        [.i32(status.rawValue)]
    }

    private static func name(_ args: [WasmValue], _ call: HostCall) throws -> String {
        guard case .i32(let pointer) = args[0], case .i32(let length) = args[1] else { return "" }
        return try call.requireMemory().readString(at: UInt64(UInt32(bitPattern: pointer)), count: Int(max(length, 0)))
    }

    private static func get(
        state: PollTaskState, name: String, buffer: WasmValue, capacity: WasmValue, call: HostCall
    ) throws -> [WasmValue] {
        guard case .i32(let pointer) = buffer, case .i32(let capacity) = capacity else { return status(.none) }
        guard let value = try state.stateValue(name: name).value else { return status(.none) }
        if Int(capacity) >= value.count {
            try call.requireMemory().write(value, at: UInt64(UInt32(bitPattern: pointer)))
        }
        return [.i32(Int32(clamping: value.count))]
    }

    private static func put(
        state: PollTaskState, name: String, pointer: WasmValue, length: WasmValue, call: HostCall
    ) throws -> [WasmValue] {
        guard case .i32(let pointer) = pointer, case .i32(let length) = length, length >= 0 else {
            return status(.valueTooLarge)
        }
        let value = try call.requireMemory().read(at: UInt64(UInt32(bitPattern: pointer)), count: Int(length))
        return try status(state.stage(name: name, value: value))
    }
}
