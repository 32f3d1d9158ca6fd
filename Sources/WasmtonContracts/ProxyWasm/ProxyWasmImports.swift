import Foundation
import Logging
import WasmtonRuntime

/// The host side of proxy-wasm ABI 0.2.1 (and 0.2.0): the `env.proxy_*` functions a filter
/// imports. Header maps, buffers, properties, local responses, logging, time, tick timers and
/// the effective context are implemented; every other `proxy_*` import a module declares (HTTP
/// and gRPC calls, shared data and queues, metrics, foreign functions…) resolves and answers
/// `Unimplemented`, so modules built with the Rust, Go and C++ SDKs load.
///
/// Values returned to the guest live in memory the guest hands out through
/// `proxy_on_memory_allocate` (or `malloc`), called back from inside the host function.
enum ProxyWasmImports {
    typealias Status = ProxyWasmABI.Status

    static func functions(module: WasmModule, state: ProxyWasmState, logger: Logger) -> [HostFunction] {
        let implemented = implementedFunctions(module: module, state: state, logger: logger)
        let names = Set(implemented.map(\.name))
        var functions = implemented
        for entry in module.imports where entry.module == "env" && !names.contains(entry.name) {
            guard case .function(let signature) = entry.kind else { continue }
            if entry.name.hasPrefix("proxy_") {
                // Everything else an SDK declares (HTTP and gRPC calls, shared data, metrics…):
                // present, and Unimplemented.
                functions.append(
                    HostFunction(module: "env", name: entry.name, signature: signature) { _, _ in
                        signature.results.first == .i32 ? [.i32(Status.unimplemented.rawValue)] : []
                    })
            } else if entry.name == "emscripten_notify_memory_growth" {
                // C++ SDK (Emscripten) modules tell the host their memory grew; nothing to do.
                functions.append(HostFunction(module: "env", name: entry.name, signature: signature) { _, _ in [] })
            } else if entry.name == "pthread_equal" {
                functions.append(
                    HostFunction(module: "env", name: entry.name, signature: signature) { _, a in
                        [.i32(a.count == 2 && a[0] == a[1] ? 1 : 0)]
                    })
            }
        }
        return functions
    }

    // MARK: - The implemented functions

    private static func implementedFunctions(module: WasmModule, state: ProxyWasmState, logger: Logger) -> [HostFunction] {
        [
            proxy("proxy_log", 3) { call, a in
                guard (0...5).contains(int32(a[0])) else { return .badArgument }
                let message = try call.requireMemory().readString(at: pointer(a[1]), count: length(a[2]))
                logger.log(level: level(a[0]), "\(message)", metadata: ["filter": "\(state.pluginName)"])
                return .ok
            },
            proxy("proxy_get_log_level", 1) { call, a in
                let level: Int32
                switch logger.logLevel {
                case .trace: level = 0
                case .debug: level = 1
                case .info, .notice: level = 2
                case .warning: level = 3
                case .error: level = 4
                case .critical: level = 5
                }
                try call.requireMemory().writeUInt32(UInt32(level), at: pointer(a[0]))
                return .ok
            },
            proxy("proxy_set_tick_period_milliseconds", 1) { _, a in
                let milliseconds = int(a[0])
                state.withCurrent { $0.tickPeriod = milliseconds > 0 ? .milliseconds(milliseconds) : nil }
                return .ok
            },
            proxy("proxy_get_current_time_nanoseconds", 1) { call, a in
                let nanoseconds = UInt64(max(0, Date().timeIntervalSince1970 * 1e9))
                try call.requireMemory().write(littleEndian64(nanoseconds), at: pointer(a[0]))
                return .ok
            },
            proxy("proxy_get_property", 4) { call, a in
                let path = try call.requireMemory().read(at: pointer(a[0]), count: length(a[1]))
                let key = propertyKey(path)
                guard let value = property(key, state: state) else { return .notFound }
                try give(value, call: call, state: state, pointerAt: a[2], sizeAt: a[3])
                return .ok
            },
            proxy("proxy_set_property", 4) { call, a in
                let memory = try call.requireMemory()
                let key = propertyKey(try memory.read(at: pointer(a[0]), count: length(a[1])))
                let value = try memory.read(at: pointer(a[2]), count: length(a[3]))
                guard let stream = state.stream else { return .notFound }
                stream.withContents { $0.properties[key] = value }
                return .ok
            },
            proxy("proxy_get_header_map_pairs", 3) { call, a in
                guard let map = try headers(a[0], state: state) else { return .notFound }
                try give(HeaderMapCoding.encode(map.pairs), call: call, state: state, pointerAt: a[1], sizeAt: a[2])
                return .ok
            },
            proxy("proxy_get_header_map_size", 2) { call, a in
                guard let map = try headers(a[0], state: state) else { return .notFound }
                try call.requireMemory().writeUInt32(UInt32(HeaderMapCoding.encode(map.pairs).count), at: pointer(a[1]))
                return .ok
            },
            proxy("proxy_set_header_map_pairs", 3) { call, a in
                let bytes = try call.requireMemory().read(at: pointer(a[1]), count: length(a[2]))
                guard let pairs = HeaderMapCoding.decode(bytes) else { return .parseFailure }
                return try editHeaders(a[0], state: state) { $0 = HeaderList(pairs) }
            },
            proxy("proxy_get_header_map_value", 5) { call, a in
                let name = try call.requireMemory().readString(at: pointer(a[1]), count: length(a[2]))
                guard let map = try headers(a[0], state: state) else { return .notFound }
                // ABI 0.1.0 answers a missing header with an empty value (its Rust SDK traps on NotFound).
                guard let value = map[name] ?? (state.abi == .v0_1_0 ? "" : nil) else { return .notFound }
                try give(Array(value.utf8), call: call, state: state, pointerAt: a[3], sizeAt: a[4])
                return .ok
            },
            proxy("proxy_add_header_map_value", 5) { call, a in
                let memory = try call.requireMemory()
                let name = try memory.readString(at: pointer(a[1]), count: length(a[2]))
                let value = try memory.readString(at: pointer(a[3]), count: length(a[4]))
                return try editHeaders(a[0], state: state) { $0.add(name, value) }
            },
            proxy("proxy_replace_header_map_value", 5) { call, a in
                let memory = try call.requireMemory()
                let name = try memory.readString(at: pointer(a[1]), count: length(a[2]))
                let value = try memory.readString(at: pointer(a[3]), count: length(a[4]))
                return try editHeaders(a[0], state: state) { $0.replace(name, value) }
            },
            proxy("proxy_remove_header_map_value", 3) { call, a in
                let name = try call.requireMemory().readString(at: pointer(a[1]), count: length(a[2]))
                return try editHeaders(a[0], state: state) { $0.remove(name) }
            },
            proxy("proxy_get_buffer_bytes", 5) { call, a in
                guard let buffer = try buffer(a[0], state: state) else { return .notFound }
                // Unsigned, and clamped: the Rust SDK asks for 0xFFFFFFFF bytes to mean "all".
                let start = length(a[1])
                let maxSize = length(a[2])
                guard start <= buffer.count else { return .badArgument }
                let slice = Array(buffer[start..<start + min(buffer.count - start, maxSize)])
                try give(slice, call: call, state: state, pointerAt: a[3], sizeAt: a[4])
                return .ok
            },
            proxy("proxy_get_buffer_status", 3) { call, a in
                guard let buffer = try buffer(a[0], state: state) else { return .notFound }
                let memory = try call.requireMemory()
                try memory.writeUInt32(UInt32(buffer.count), at: pointer(a[1]))
                try memory.writeUInt32(0, at: pointer(a[2]))
                return .ok
            },
            proxy("proxy_set_buffer_bytes", 5) { call, a in
                let bytes = try call.requireMemory().read(at: pointer(a[3]), count: length(a[4]))
                let start = length(a[1])
                let size = length(a[2])
                guard let stream = state.stream else { return .badArgument }
                return stream.withContents { contents -> Status in
                    // As Envoy: a start at or past the end appends; otherwise `size` bytes from
                    // `start` are replaced (start 0, size 0 prepends).
                    func splice(_ buffer: inout [UInt8]) -> Status {
                        if start >= buffer.count {
                            buffer += bytes
                        } else {
                            buffer.replaceSubrange(start..<start + min(size, buffer.count - start), with: bytes)
                        }
                        return .ok
                    }
                    switch ProxyWasmABI.BufferType(rawValue: int32(a[0])) {
                    case .requestBody: return splice(&contents.requestBody)
                    case .responseBody: return splice(&contents.responseBody)
                    default: return .notFound
                    }
                }
            },
            proxy("proxy_send_local_response", 8) { call, a in
                let memory = try call.requireMemory()
                let details = try memory.readString(at: pointer(a[1]), count: length(a[2]))
                let body = try memory.read(at: pointer(a[3]), count: length(a[4]))
                let headerBytes = try memory.read(at: pointer(a[5]), count: length(a[6]))
                guard let pairs = HeaderMapCoding.decode(headerBytes) else { return .parseFailure }
                let status = int(a[0])
                guard (200...599).contains(status), let stream = state.stream else { return .badArgument }
                stream.withContents {
                    $0.localResponse = FilterStream.LocalResponse(
                        status: status, details: details, body: body, headers: HeaderList(pairs))
                }
                return .ok
            },
            proxy("proxy_set_effective_context", 1) { _, a in
                state.withCurrent { $0.effectiveContext = int32(a[0]) }
                return .ok
            },
            proxy("proxy_get_configuration", 2) { call, a in
                // ABI 0.1.0's way to read the plugin configuration.
                guard !state.pluginConfiguration.isEmpty else { return .notFound }
                try give(state.pluginConfiguration, call: call, state: state, pointerAt: a[0], sizeAt: a[1])
                return .ok
            },
            proxy("proxy_continue_stream", 1) { _, _ in .ok },
            proxy("proxy_close_stream", 1) { _, _ in .ok },
            proxy("proxy_continue_request", 0) { _, _ in .ok },
            proxy("proxy_continue_response", 0) { _, _ in .ok },
            proxy("proxy_clear_route_cache", 0) { _, _ in .ok },
            proxy("proxy_done", 0) { _, _ in .ok },
        ]
    }

    // MARK: - Helpers

    private static func proxy(
        _ name: String, _ parameters: Int, _ body: @escaping (inout HostCall, [WasmValue]) throws -> Status
    ) -> HostFunction {
        HostFunction(
            module: "env", name: name,
            signature: FunctionSignature(parameters: Array(repeating: .i32, count: parameters), results: [.i32])
        ) { call, arguments in
            [.i32(try body(&call, arguments).rawValue)]
        }
    }

    private static func int32(_ value: WasmValue) -> Int32 {
        if case .i32(let v) = value { return v }
        return 0
    }

    private static func int(_ value: WasmValue) -> Int { Int(int32(value)) }

    private static func pointer(_ value: WasmValue) -> UInt64 { UInt64(UInt32(bitPattern: int32(value))) }

    private static func length(_ value: WasmValue) -> Int { Int(UInt32(bitPattern: int32(value))) }

    private static func littleEndian64(_ value: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
    }

    private static func level(_ value: WasmValue) -> Logger.Level {
        switch int32(value) {
        case 0: return .trace
        case 1: return .debug
        case 2: return .info
        case 3: return .warning
        case 4: return .error
        default: return .critical
        }
    }

    /// Copies `bytes` into memory the guest allocates, and writes where and how long at the
    /// guest's two return pointers.
    private static func give(
        _ bytes: [UInt8], call: HostCall, state: ProxyWasmState, pointerAt: WasmValue, sizeAt: WasmValue
    ) throws {
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
        try memory.writeUInt32(address, at: pointer(pointerAt))
        try memory.writeUInt32(UInt32(bytes.count), at: pointer(sizeAt))
    }

    /// A property path: segments separated by NUL bytes (`request\0path`), looked up dotted.
    private static func propertyKey(_ path: [UInt8]) -> String {
        path.split(separator: 0, omittingEmptySubsequences: true).map { String(decoding: $0, as: UTF8.self) }
            .joined(separator: ".")
    }

    private static func property(_ key: String, state: ProxyWasmState) -> [UInt8]? {
        switch key {
        case "plugin_name": return Array(state.pluginName.utf8)
        case "plugin_root_id": return []  // the C++ SDK picks its root context by this; "" is the default one
        case "plugin_vm_id": return []
        default: return state.stream?.withContents { $0.properties[key] }
        }
    }

    private static func headers(_ type: WasmValue, state: ProxyWasmState) throws -> HeaderList? {
        guard let stream = state.stream else { return nil }
        return stream.withContents { contents -> HeaderList? in
            switch ProxyWasmABI.MapType(rawValue: int32(type)) {
            case .requestHeaders: return contents.requestHeaders
            case .requestTrailers: return contents.requestTrailers
            case .responseHeaders: return contents.responseHeaders
            case .responseTrailers: return contents.responseTrailers
            default: return nil
            }
        }
    }

    private static func editHeaders(
        _ type: WasmValue, state: ProxyWasmState, _ edit: (inout HeaderList) -> Void
    ) throws
        -> Status
    {
        guard let stream = state.stream else { return .notFound }
        return stream.withContents { contents -> Status in
            switch ProxyWasmABI.MapType(rawValue: int32(type)) {
            case .requestHeaders: edit(&contents.requestHeaders)
            case .requestTrailers: edit(&contents.requestTrailers)
            case .responseHeaders: edit(&contents.responseHeaders)
            case .responseTrailers: edit(&contents.responseTrailers)
            default: return .notFound
            }
            return .ok
        }
    }

    private static func buffer(_ type: WasmValue, state: ProxyWasmState) throws -> [UInt8]? {
        switch ProxyWasmABI.BufferType(rawValue: int32(type)) {
        case .pluginConfiguration: return state.pluginConfiguration
        case .vmConfiguration: return state.vmConfiguration
        case .requestBody: return state.stream?.withContents { $0.requestBody }
        case .responseBody: return state.stream?.withContents { $0.responseBody }
        default: return nil
        }
    }
}
