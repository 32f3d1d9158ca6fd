import WasmtonRuntime

/// The host side of the PollTask contract: `decaton.poll_task` and the `wasmton` extensions.
///
/// Every buffer-filling function follows `poll_task`'s convention: it copies into
/// `(buf, buf_len)` and returns the length, or -1 when there is nothing to copy or the buffer is
/// too small (so a guest can ask again with a larger one). Guest pointers are bounds-checked by
/// `LinearMemory`: a bad one fails the task, never the host.
enum PollTaskImports {
    static func functions(state: PollTaskState) -> [HostFunction] {
        [
            HostFunction(module: "decaton", name: "poll_task", signature: .init(parameters: [.i64, .i32], results: [.i32])) {
                call, args in
                let (address, capacity) = try bufferArguments(args)
                guard let value = state.takeValue(fitting: capacity) else { return [.i32(-1)] }
                try call.requireMemory().write(value, at: address)
                return [.i32(Int32(value.count))]
            },
            HostFunction(module: "wasmton", name: "task_value_len", signature: .init(parameters: [], results: [.i32])) { _, _ in
                [.i32(state.task.map { Int32($0.value.count) } ?? -1)]
            },
            copying(name: "task_key", state: state) { $0.key },
            copying(name: "task_topic", state: state) { Array($0.topic.utf8) },
            HostFunction(module: "wasmton", name: "task_partition", signature: .init(parameters: [], results: [.i32])) { _, _ in
                [.i32(state.task?.partition ?? -1)]
            },
            HostFunction(module: "wasmton", name: "task_offset", signature: .init(parameters: [], results: [.i64])) { _, _ in
                [.i64(state.task?.offset ?? -1)]
            },
            HostFunction(
                module: "wasmton", name: "task_header", signature: .init(parameters: [.i32, .i32, .i32, .i32], results: [.i32])
            ) { call, args in
                guard case .i32(let namePointer) = args[0], case .i32(let nameLength) = args[1] else { return [.i32(-1)] }
                let memory = try call.requireMemory()
                let name = try memory.readString(at: UInt64(UInt32(bitPattern: namePointer)), count: Int(max(nameLength, 0)))
                let value = state.task?.headers.first { $0.name == name }?.value
                return try copy(value, into: Array(args[2...]), call: call)
            },
            HostFunction(
                module: "wasmton", name: "emit", signature: .init(parameters: [.i32, .i32, .i32, .i32], results: [.i32])
            ) { call, args in
                guard case .i32(let keyPointer) = args[0], case .i32(let keyLength) = args[1],
                    case .i32(let valuePointer) = args[2], case .i32(let valueLength) = args[3]
                else { return [.i32(-1)] }
                let memory = try call.requireMemory()
                let key =
                    keyLength < 0 ? nil : try memory.read(at: UInt64(UInt32(bitPattern: keyPointer)), count: Int(keyLength))
                let value = try memory.read(at: UInt64(UInt32(bitPattern: valuePointer)), count: Int(max(valueLength, 0)))
                return [.i32(Int32(state.emit(OutputRecord(key: key, value: value))))]
            },
            HostFunction(module: "wasmton", name: "set_status", signature: .init(parameters: [.i32], results: [.i32])) {
                _, args in
                guard case .i32(let code) = args[0], let status = TaskStatus(rawValue: code) else { return [.i32(-1)] }
                state.setStatus(status)
                return [.i32(0)]
            },
        ] + PollTaskStateImports.functions(state: state)
    }

    /// A `wasmton.NAME(buf, buf_len) -> i32` function that copies one field of the task.
    private static func copying(name: String, state: PollTaskState, field: @escaping (StreamTask) -> [UInt8]?) -> HostFunction {
        HostFunction(module: "wasmton", name: name, signature: .init(parameters: [.i32, .i32], results: [.i32])) { call, args in
            try copy(state.task.flatMap(field), into: args, call: call)
        }
    }

    private static func copy(_ bytes: [UInt8]?, into args: [WasmValue], call: HostCall) throws(GuestError) -> [WasmValue] {
        guard let bytes, case .i32(let pointer) = args[0], case .i32(let capacity) = args[1], Int(capacity) >= bytes.count
        else { return [.i32(-1)] }
        try call.requireMemory().write(bytes, at: UInt64(UInt32(bitPattern: pointer)))
        return [.i32(Int32(bytes.count))]
    }

    private static func bufferArguments(_ args: [WasmValue]) throws(GuestError) -> (UInt64, Int) {
        guard case .i64(let address) = args[0], case .i32(let capacity) = args[1] else { return (0, -1) }
        guard address >= 0 else {
            throw .memoryAccessOutOfBounds(address: UInt64(bitPattern: address), length: UInt64(max(capacity, 0)), memorySize: 0)
        }
        return (UInt64(address), Int(capacity))
    }
}
