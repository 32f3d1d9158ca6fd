import Logging
import WasmtonRuntime

/// The host side of the waPC ABI: the nine `wapc` imports (all values i32), plus AssemblyScript's
/// `env.abort` when a module imports it (the AssemblyScript waPC SDK's modules do).
///
/// Pointers come from the guest and are bounds-checked by `LinearMemory`: a bad one fails the
/// call as an out-of-bounds access, never the host.
enum WapcImports {
    static func functions(
        module: WasmModule, state: WapcCallState, hostCalls: WapcHostCalls, logger: Logger
    ) -> [HostFunction] {
        var functions = [
            wapc("__guest_request", [.i32, .i32], []) { call, args in
                let (operation, payload) = state.withExchange { ($0.operation, $0.payload) }
                let memory = try call.requireMemory()
                if !operation.isEmpty { try memory.write(operation, at: pointer(args[0])) }
                if !payload.isEmpty { try memory.write(payload, at: pointer(args[1])) }
                return []
            },
            wapc("__guest_response", [.i32, .i32], []) { call, args in
                let bytes = try read(call, args[0], args[1])
                state.withExchange { $0.guestResponse = bytes }
                return []
            },
            wapc("__guest_error", [.i32, .i32], []) { call, args in
                let bytes = try read(call, args[0], args[1])
                state.withExchange { $0.guestError = bytes }
                return []
            },
            wapc("__host_call", [.i32, .i32, .i32, .i32, .i32, .i32, .i32, .i32], [.i32], actsOutsideGuest: true) {
                call, args in
                let binding = try read(call, args[0], args[1])
                let namespace = try read(call, args[2], args[3])
                let operation = try read(call, args[4], args[5])
                let payload = try read(call, args[6], args[7])
                state.withExchange {
                    $0.hostResponse = nil
                    $0.hostError = nil
                }
                let request = WapcHostCall(
                    module: module.name, binding: String(decoding: binding, as: UTF8.self),
                    namespace: String(decoding: namespace, as: UTF8.self),
                    operation: String(decoding: operation, as: UTF8.self), payload: payload, deadline: call.deadline)
                switch hostCalls.dispatch(request) {
                case .success(let response):
                    state.withExchange { $0.hostResponse = response }
                    return [.i32(1)]
                case .failure(let error):
                    state.withExchange { $0.hostError = Array(error.message.utf8) }
                    return [.i32(0)]
                }
            },
            wapc("__host_response_len", [], [.i32]) { _, _ in
                [.i32(Int32(clamping: state.withExchange { $0.hostResponse?.count ?? 0 }))]
            },
            wapc("__host_response", [.i32], []) { call, args in
                if let bytes = state.withExchange({ $0.hostResponse }), !bytes.isEmpty {
                    try call.requireMemory().write(bytes, at: pointer(args[0]))
                }
                return []
            },
            wapc("__host_error_len", [], [.i32]) { _, _ in
                [.i32(Int32(clamping: state.withExchange { $0.hostError?.count ?? 0 }))]
            },
            wapc("__host_error", [.i32], []) { call, args in
                if let bytes = state.withExchange({ $0.hostError }), !bytes.isEmpty {
                    try call.requireMemory().write(bytes, at: pointer(args[0]))
                }
                return []
            },
            wapc("__console_log", [.i32, .i32], [], actsOutsideGuest: true) { call, args in
                let text = String(decoding: try read(call, args[0], args[1]), as: UTF8.self)
                logger.info("\(text)", metadata: ["module": "\(module.name)", "source": "__console_log"])
                return []
            },
        ]
        let imported = Set(module.imports.filter { $0.module == "env" }.map(\.name))
        if imported.contains("abort") { functions.append(assemblyScriptAbort) }
        if imported.contains("seed") {
            functions.append(
                HostFunction(module: "env", name: "seed", signature: .init(parameters: [], results: [.f64])) { _, _ in
                    [.f64(Double.random(in: 0..<1))]
                })
        }
        if imported.contains("trace") {
            functions.append(
                HostFunction(
                    module: "env", name: "trace",
                    signature: .init(parameters: [.i32, .i32, .f64, .f64, .f64, .f64, .f64], results: [])
                ) { call, args in
                    let text = assemblyScriptString(args[0], in: try call.requireMemory())
                    logger.info("\(text)", metadata: ["module": "\(module.name)", "source": "env.trace"])
                    return []
                })
        }
        // The Zig SDK declares __console_log without an import module, so it arrives from `env`.
        if imported.contains("__console_log"), let consoleLog = functions.first(where: { $0.name == "__console_log" }) {
            functions.append(
                HostFunction(module: "env", name: "__console_log", signature: consoleLog.signature, body: consoleLog.body))
        }
        return functions
    }

    /// A `wapc` import. Most only move bytes between the guest and the call's state, so they run
    /// in a time slice; those that act outside the guest (a host call, a log line) say so and
    /// end a sliced call before acting, so it can run again on a guest thread.
    private static func wapc(
        _ name: String, _ parameters: [ValueKind], _ results: [ValueKind], actsOutsideGuest: Bool = false,
        body: @escaping HostFunction.Body
    ) -> HostFunction {
        HostFunction(
            module: "wapc", name: name, signature: .init(parameters: parameters, results: results),
            runsInSlice: !actsOutsideGuest, body: body)
    }

    /// AssemblyScript's `abort(message, fileName, line, column)`: the strings are AssemblyScript
    /// strings (UTF-16LE, byte length in the u32 just before the pointer). Fails the call with
    /// the guest's message.
    private static var assemblyScriptAbort: HostFunction {
        HostFunction(
            module: "env", name: "abort", signature: .init(parameters: [.i32, .i32, .i32, .i32], results: [])
        ) { call, args in
            let memory = try call.requireMemory()
            guard case .i32(let line) = args[2], case .i32(let column) = args[3] else { return [] }
            throw GuestError.hostFunctionFailed(
                name: "env.abort",
                message:
                    "guest aborted: \(assemblyScriptString(args[0], in: memory)) at \(assemblyScriptString(args[1], in: memory)):\(line):\(column)"
            )
        }
    }

    /// An AssemblyScript string: UTF-16LE, its byte length in the u32 just before the pointer.
    private static func assemblyScriptString(_ value: WasmValue, in memory: LinearMemory) -> String {
        let address = pointer(value)
        guard address >= 4, let length = try? memory.readUInt32(at: address - 4),
            let bytes = try? memory.read(at: address, count: Int(min(length, 4096)))
        else { return "?" }
        let units = stride(from: 0, to: bytes.count - 1, by: 2).map { UInt16(bytes[$0]) | UInt16(bytes[$0 + 1]) << 8 }
        return String(decoding: units, as: UTF16.self)
    }

    static func pointer(_ value: WasmValue) -> UInt64 {
        guard case .i32(let raw) = value else { return 0 }
        return UInt64(UInt32(bitPattern: raw))
    }

    static func read(_ call: HostCall, _ address: WasmValue, _ length: WasmValue) throws(GuestError) -> [UInt8] {
        // A zero-length buffer may come with any pointer (Zig passes an undefined one): read nothing.
        guard case .i32(let count) = length, count != 0 else { return [] }
        return try call.requireMemory().read(at: pointer(address), count: Int(UInt32(bitPattern: count)))
    }
}
