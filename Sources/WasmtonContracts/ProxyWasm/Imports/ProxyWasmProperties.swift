import WasmtonRuntime

/// `proxy_get_property` and `proxy_set_property`: the plugin's own properties and those a filter
/// sets on its stream, by path (segments separated by NUL bytes, looked up dotted).
struct ProxyWasmProperties {
    typealias Status = ProxyWasmABI.Status
    let state: ProxyWasmState

    var functions: [HostFunction] {
        [
            ProxyWasmImports.function("proxy_get_property", 4) { call, a in
                try get(call, path: a.span(0), into: a.returnSlots(2))
            },
            ProxyWasmImports.function("proxy_set_property", 4) { call, a in
                try set(call, path: a.span(0), value: a.span(2))
            },
        ]
    }

    func get(_ call: HostCall, path: GuestSpan, into out: ProxyWasmReturn) throws -> Status {
        guard let value = value(Self.key(try path.bytes(in: call))) else { return .notFound }
        try out.give(value, call: call, state: state)
        return .ok
    }

    func set(_ call: HostCall, path: GuestSpan, value: GuestSpan) throws -> Status {
        let key = Self.key(try path.bytes(in: call))
        let value = try value.bytes(in: call)
        guard let stream = state.stream else { return .notFound }
        stream.withContents { $0.properties[key] = value }
        return .ok
    }

    private func value(_ key: String) -> [UInt8]? {
        switch key {
        case "plugin_name": return Array(state.pluginName.utf8)
        case "plugin_root_id": return []  // the C++ SDK picks its root context by this; "" is the default one
        case "plugin_vm_id": return []
        default: return state.stream?.withContents { $0.property(key) }
        }
    }

    /// `request\0path` → `request.path`.
    private static func key(_ path: [UInt8]) -> String {
        path.split(separator: 0, omittingEmptySubsequences: true).map { String(decoding: $0, as: UTF8.self) }
            .joined(separator: ".")
    }
}
