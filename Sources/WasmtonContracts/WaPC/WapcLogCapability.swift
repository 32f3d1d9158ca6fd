public import Logging
import WasmtonMessagePack

/// `wasmton:log`: lets a guest write to the host's log at a level it chooses (operations
/// `trace`, `debug`, `info`, `warn`, `error`), tagged with its module. The payload is a
/// MessagePack string, or plain UTF-8 text.
public enum WapcLogCapability {
    /// The namespace guests name in `__host_call`.
    public static let namespace = "wasmton:log"

    /// Registers the capability in `hostCalls`, logging to `logger`.
    public static func register(in hostCalls: WapcHostCalls, logger: Logger) {
        hostCalls.register(namespace: namespace) { call in
            let level: Logger.Level
            switch call.operation {
            case "trace": level = .trace
            case "debug": level = .debug
            case "info": level = .info
            case "warn", "warning": level = .warning
            case "error": level = .error
            default:
                throw WapcHostCallError(
                    "wasmton:log has no operation '\(call.operation)' (use trace, debug, info, warn or error)")
            }
            let text: String
            if case .string(let decoded)? = try? MessagePack.decode(call.payload) {
                text = decoded
            } else {
                text = String(decoding: call.payload, as: UTF8.self)
            }
            logger.log(level: level, "\(text)", metadata: ["module": "\(call.module)", "source": "wasmton:log"])
            return []
        }
    }
}
