import WasmtonRuntime

/// The header-map functions: read, replace and edit the request's and response's headers and
/// trailers of the stream whose callback is running.
struct ProxyWasmHeaderMaps {
    typealias Status = ProxyWasmABI.Status
    let state: ProxyWasmState

    var functions: [HostFunction] {
        [
            ProxyWasmImports.function("proxy_get_header_map_pairs", 3) { call, a in
                try pairs(call, map: a.int32(0), into: a.returnSlots(1))
            },
            ProxyWasmImports.function("proxy_get_header_map_size", 2) { call, a in
                try size(call, map: a.int32(0), into: a.address(1))
            },
            ProxyWasmImports.function("proxy_set_header_map_pairs", 3) { call, a in
                try setPairs(call, map: a.int32(0), encoded: a.span(1))
            },
            ProxyWasmImports.function("proxy_get_header_map_value", 5) { call, a in
                try value(call, map: a.int32(0), name: a.span(1), into: a.returnSlots(3))
            },
            ProxyWasmImports.function("proxy_add_header_map_value", 5) { call, a in
                try add(call, map: a.int32(0), name: a.span(1), value: a.span(3))
            },
            ProxyWasmImports.function("proxy_replace_header_map_value", 5) { call, a in
                try replace(call, map: a.int32(0), name: a.span(1), value: a.span(3))
            },
            ProxyWasmImports.function("proxy_remove_header_map_value", 3) { call, a in
                try remove(call, map: a.int32(0), name: a.span(1))
            },
        ]
    }

    func pairs(_ call: HostCall, map: Int32, into out: ProxyWasmReturn) throws -> Status {
        guard let headers = headers(map) else { return .notFound }
        try out.give(HeaderMapCoding.encode(headers.fields), call: call, state: state)
        return .ok
    }

    func size(_ call: HostCall, map: Int32, into address: UInt64) throws -> Status {
        guard let headers = headers(map) else { return .notFound }
        try call.requireMemory().writeUInt32(UInt32(HeaderMapCoding.size(headers.fields)), at: address)
        return .ok
    }

    func setPairs(_ call: HostCall, map: Int32, encoded: GuestSpan) throws -> Status {
        guard let pairs = HeaderMapCoding.decode(try encoded.bytes(in: call)) else { return .parseFailure }
        return edit(map) { $0 = HeaderList(pairs) }
    }

    func value(_ call: HostCall, map: Int32, name: GuestSpan, into out: ProxyWasmReturn) throws -> Status {
        let name = try name.string(in: call)
        guard let headers = headers(map) else { return .notFound }
        // ABI 0.1.0 answers a missing header with an empty value (its Rust SDK traps on NotFound).
        guard let value = headers[name] ?? (state.abi == .v0_1_0 ? "" : nil) else { return .notFound }
        try out.give(Array(value.utf8), call: call, state: state)
        return .ok
    }

    func add(_ call: HostCall, map: Int32, name: GuestSpan, value: GuestSpan) throws -> Status {
        let (name, value) = (try name.string(in: call), try value.string(in: call))
        return edit(map) { $0.add(name, value) }
    }

    func replace(_ call: HostCall, map: Int32, name: GuestSpan, value: GuestSpan) throws -> Status {
        let (name, value) = (try name.string(in: call), try value.string(in: call))
        return edit(map) { $0.replace(name, value) }
    }

    func remove(_ call: HostCall, map: Int32, name: GuestSpan) throws -> Status {
        let name = try name.string(in: call)
        return edit(map) { $0.remove(name) }
    }

    private func headers(_ map: Int32) -> HeaderList? {
        guard let stream = state.stream else { return nil }
        return stream.withContents { contents -> HeaderList? in
            switch ProxyWasmABI.MapType(rawValue: map) {
            case .requestHeaders: return contents.requestHeaders
            case .requestTrailers: return contents.requestTrailers
            case .responseHeaders: return contents.responseHeaders
            case .responseTrailers: return contents.responseTrailers
            default: return nil
            }
        }
    }

    private func edit(_ map: Int32, _ change: (inout HeaderList) -> Void) -> Status {
        guard let stream = state.stream else { return .notFound }
        return stream.withContents { contents -> Status in
            switch ProxyWasmABI.MapType(rawValue: map) {
            case .requestHeaders: change(&contents.requestHeaders)
            case .requestTrailers: change(&contents.requestTrailers)
            case .responseHeaders: change(&contents.responseHeaders)
            case .responseTrailers: change(&contents.responseTrailers)
            default: return .notFound
            }
            return .ok
        }
    }
}
