import Logging
import WasmtonRuntime

/// `proxy_log` and `proxy_get_log_level`: the filter's log lines go to the host's logger,
/// tagged with the filter's name, at the ABI's levels (0 trace … 5 critical).
struct ProxyWasmLogging {
    let state: ProxyWasmState
    let logger: Logger

    var functions: [HostFunction] {
        [
            ProxyWasmImports.function("proxy_log", 3) { call, a in
                try log(call, level: a.int32(0), message: a.span(1))
            },
            ProxyWasmImports.function("proxy_get_log_level", 1) { call, a in
                try logLevel(call, into: a.address(0))
            },
        ]
    }

    func log(_ call: HostCall, level: Int32, message: GuestSpan) throws -> ProxyWasmABI.Status {
        guard let level = Self.level(level) else { return .badArgument }
        // Below the logger's level the line is not read out of the guest at all.
        guard level >= logger.logLevel else { return .ok }
        let text = try message.string(in: call)
        logger.log(level: level, "\(text)", metadata: ["filter": "\(state.pluginName)"])
        return .ok
    }

    func logLevel(_ call: HostCall, into address: UInt64) throws -> ProxyWasmABI.Status {
        let level: UInt32
        switch logger.logLevel {
        case .trace: level = 0
        case .debug: level = 1
        case .info, .notice: level = 2
        case .warning: level = 3
        case .error: level = 4
        case .critical: level = 5
        }
        try call.requireMemory().writeUInt32(level, at: address)
        return .ok
    }

    private static func level(_ value: Int32) -> Logger.Level? {
        switch value {
        case 0: return .trace
        case 1: return .debug
        case 2: return .info
        case 3: return .warning
        case 4: return .error
        case 5: return .critical
        default: return nil
        }
    }
}
