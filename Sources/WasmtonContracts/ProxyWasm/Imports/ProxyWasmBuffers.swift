import WasmtonRuntime

/// The buffer functions: the request and response bodies of the running stream, and the plugin
/// and VM configurations.
struct ProxyWasmBuffers {
    typealias Status = ProxyWasmABI.Status
    let state: ProxyWasmState

    var functions: [HostFunction] {
        [
            ProxyWasmImports.function("proxy_get_buffer_bytes", 5) { call, a in
                try bytes(call, buffer: a.int32(0), start: a.length(1), maxSize: a.length(2), into: a.returnSlots(3))
            },
            ProxyWasmImports.function("proxy_get_buffer_status", 3) { call, a in
                try status(call, buffer: a.int32(0), lengthInto: a.address(1), flagsInto: a.address(2))
            },
            ProxyWasmImports.function("proxy_set_buffer_bytes", 5) { call, a in
                try setBytes(call, buffer: a.int32(0), start: a.length(1), size: a.length(2), bytes: a.span(3))
            },
            ProxyWasmImports.function("proxy_get_configuration", 2) { call, a in
                try configuration(call, into: a.returnSlots(0))
            },
        ]
    }

    func bytes(_ call: HostCall, buffer: Int32, start: Int, maxSize: Int, into out: ProxyWasmReturn) throws -> Status {
        guard let contents = contents(buffer) else { return .notFound }
        // Unsigned, and clamped: the Rust SDK asks for 0xFFFFFFFF bytes to mean "all".
        guard start <= contents.count else { return .badArgument }
        try out.give(Array(contents[start..<start + min(contents.count - start, maxSize)]), call: call, state: state)
        return .ok
    }

    func status(_ call: HostCall, buffer: Int32, lengthInto: UInt64, flagsInto: UInt64) throws -> Status {
        guard let contents = contents(buffer) else { return .notFound }
        let memory = try call.requireMemory()
        try memory.writeUInt32(UInt32(contents.count), at: lengthInto)
        try memory.writeUInt32(0, at: flagsInto)
        return .ok
    }

    /// As Envoy: a start at or past the end appends; otherwise `size` bytes from `start` are
    /// replaced (start 0, size 0 prepends).
    func setBytes(_ call: HostCall, buffer: Int32, start: Int, size: Int, bytes: GuestSpan) throws -> Status {
        let bytes = try bytes.bytes(in: call)
        guard let stream = state.stream else { return .badArgument }
        return stream.withContents { contents -> Status in
            func splice(_ buffer: inout [UInt8]) -> Status {
                if start >= buffer.count {
                    buffer += bytes
                } else {
                    buffer.replaceSubrange(start..<start + min(size, buffer.count - start), with: bytes)
                }
                return .ok
            }
            switch ProxyWasmABI.BufferType(rawValue: buffer) {
            case .requestBody: return splice(&contents.requestBody)
            case .responseBody: return splice(&contents.responseBody)
            default: return .notFound
            }
        }
    }

    /// ABI 0.1.0's way to read the plugin configuration.
    func configuration(_ call: HostCall, into out: ProxyWasmReturn) throws -> Status {
        guard !state.pluginConfiguration.isEmpty else { return .notFound }
        try out.give(state.pluginConfiguration, call: call, state: state)
        return .ok
    }

    private func contents(_ buffer: Int32) -> [UInt8]? {
        switch ProxyWasmABI.BufferType(rawValue: buffer) {
        case .pluginConfiguration: return state.pluginConfiguration
        case .vmConfiguration: return state.vmConfiguration
        case .requestBody: return state.stream?.withContents { $0.requestBody }
        case .responseBody: return state.stream?.withContents { $0.responseBody }
        default: return nil
        }
    }
}
