import Logging
import WasmtonRuntime

/// `__console_log`: a guest's log line, at info level, tagged with its module. The Zig SDK
/// declares it without an import module, so it arrives from `env` too.
struct WapcConsoleImports {
    let module: String
    let logger: Logger

    func functions(zigAlias: Bool) -> [HostFunction] {
        let log = WapcImports.function("__console_log", [.i32, .i32], [], actsOutsideGuest: true) { call, a in
            try self.log(call, message: GuestSpan(a[0], a[1]))
            return []
        }
        guard zigAlias else { return [log] }
        return [log, HostFunction(module: "env", name: log.name, signature: log.signature, body: log.body)]
    }

    func log(_ call: HostCall, message: GuestSpan) throws {
        let text = try message.string(in: call)
        logger.info("\(text)", metadata: ["module": "\(module)", "source": "__console_log"])
    }
}
