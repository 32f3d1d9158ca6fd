import Logging
import WasmtonRuntime

/// The `env` functions AssemblyScript's runtime imports, offered when a module imports them (the
/// AssemblyScript waPC SDK's modules do): `abort` fails the call with the guest's message,
/// `seed` seeds its random numbers, `trace` logs.
struct AssemblyScriptImports {
    let module: String
    let logger: Logger

    func functions(imported: Set<String>) -> [HostFunction] {
        var functions: [HostFunction] = []
        if imported.contains("abort") {
            functions.append(
                HostFunction(module: "env", name: "abort", signature: .init(parameters: [.i32, .i32, .i32, .i32], results: [])) {
                    call, a in
                    throw abort(call, message: a[0], file: a[1], line: a[2], column: a[3])
                })
        }
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
                ) { call, a in
                    try trace(call, message: a[0])
                    return []
                })
        }
        return functions
    }

    /// `abort(message, fileName, line, column)`: the error that fails the call.
    func abort(_ call: HostCall, message: WasmValue, file: WasmValue, line: WasmValue, column: WasmValue) -> any Error {
        guard let memory = call.memory, case .i32(let line) = line, case .i32(let column) = column else {
            return GuestError.hostFunctionFailed(name: "env.abort", message: "guest aborted")
        }
        return GuestError.hostFunctionFailed(
            name: "env.abort",
            message: "guest aborted: \(Self.string(message, in: memory)) at \(Self.string(file, in: memory)):\(line):\(column)")
    }

    func trace(_ call: HostCall, message: WasmValue) throws {
        let text = Self.string(message, in: try call.requireMemory())
        logger.info("\(text)", metadata: ["module": "\(module)", "source": "env.trace"])
    }

    /// An AssemblyScript string: UTF-16LE, its byte length in the u32 just before the pointer.
    private static func string(_ value: WasmValue, in memory: LinearMemory) -> String {
        let address = UInt64(value.unsignedInt32)
        guard address >= 4, let length = try? memory.readUInt32(at: address - 4),
            let bytes = try? memory.read(at: address, count: Int(min(length, 4096)))
        else { return "?" }
        let units = stride(from: 0, to: bytes.count - 1, by: 2).map { UInt16(bytes[$0]) | UInt16(bytes[$0 + 1]) << 8 }
        return String(decoding: units, as: UTF16.self)
    }
}
