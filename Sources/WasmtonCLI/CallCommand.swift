import ArgumentParser
import Foundation
import Logging
import WasmtonContracts
import WasmtonGateway
import WasmtonMessagePack
import WasmtonRuntime

/// `wasmton call MODULE OPERATION [--json …|--msgpack FILE|--data …] [--raw]`: run one waPC operation
/// and print its result as JSON, like the book's `invoker` and `wapc.js`.
struct CallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "call",
        abstract: "Call a waPC operation with a JSON, MessagePack or raw payload and print the result as JSON.",
        discussion: """
            The module is instantiated and its _start, _initialize and wapc_init run (whichever exist). The JSON \
            payload is converted to MessagePack, the waPC convention; MessagePack values JSON cannot hold are written \
            as {"$bin": base64}, {"$ext": …}, {"$f32": …} and read back the same way. --data sends bytes as they are, \
            for operations whose payload is not MessagePack (pair it with --raw). Guest logs (__console_log, \
            wasmton:log) go to stderr. Exit status: 0 on success, 1 when the guest answers with an error, 134 when \
            it traps or exceeds a limit.
            """)

    @OptionGroup var sandbox: SandboxOptions

    @OptionGroup(title: "Host-call links") var linkOptions: LinkOptions

    @Option(help: ArgumentHelp("The payload as JSON ('-' reads stdin).", valueName: "JSON"))
    var json: String?

    @Option(help: ArgumentHelp("A file holding the MessagePack payload ('-' reads stdin).", valueName: "FILE"))
    var msgpack: String?

    @Option(
        help: ArgumentHelp(
            "The payload as raw bytes, unconverted: TEXT, @FILE for a file's bytes, or '-' for stdin.",
            valueName: "TEXT|@FILE|-"))
    var data: String?

    @Flag(help: "Print the result bytes as they are instead of converting MessagePack to JSON.")
    var raw = false

    @Argument(help: "The waPC module (.wasm or .wat).")
    var module: String

    @Argument(help: "The operation to call, e.g. check_word_exists.")
    var operation: String

    func run() throws {
        try reportingFailures {
            guard [json, msgpack, data].compactMap({ $0 }).count <= 1 else {
                throw CLIError.usage("give one payload: --json, --msgpack or --data, not several")
            }
            let payload = try readPayload()
            StandardErrorLogging.bootstrap(level: .info)
            let linked = try linkOptions.moduleNames()
            let guestSandbox = try sandbox.sandbox(
                arguments: [module], stdio: .inherit, modulePath: module, otherModules: linked)
            let runtime = try sandbox.runtime()
            let loaded = try runtime.load(path: module)
            let logger = Logger(label: "wasmton.call")
            let hostCalls = WapcHostCalls.builtIn(logger: logger)
            let links = try linkOptions.resolve(
                runtime: runtime, callers: [loaded], sandbox: sandbox,
                modules: [ServedModule.nameAndPath(module).name] + linked, maxIdleInstances: 1, logger: logger)
            defer { links?.close() }
            links?.register(in: hostCalls, caller: loaded, network: guestSandbox.network)
            let result: [UInt8]
            do throws(WapcError) {
                let guest = try WapcGuest(
                    runtime: runtime, module: loaded, sandbox: guestSandbox, hostCalls: hostCalls, logger: logger)
                defer { guest.close() }
                result = try guest.call(operation, payload: payload)
            } catch {
                throw CLIError.wapc(error)
            }
            if raw {
                FileHandle.standardOutput.write(Data(result))
                return
            }
            if result.isEmpty { return }
            guard let value = try? MessagePack.decode(result) else {
                FileHandle.standardError.write(Data("wasmton: the result is not MessagePack; printing its bytes\n".utf8))
                FileHandle.standardOutput.write(Data(result))
                return
            }
            print(value.jsonText())
        }
    }

    private func readPayload() throws(CLIError) -> [UInt8] {
        if let data {
            if data == "-" { return try read("-", what: "--data") }
            if data.hasPrefix("@") { return try read(String(data.dropFirst()), what: "--data") }
            return Array(data.utf8)
        }
        if let msgpack {
            let bytes = try read(msgpack, what: "--msgpack")
            do {
                _ = try MessagePack.decode(bytes)
            } catch {
                throw .usage("--msgpack \(msgpack) is not valid MessagePack: \(error)")
            }
            return bytes
        }
        guard let json else { return [] }
        let text = json == "-" ? try read("-", what: "--json") : Array(json.utf8)
        do {
            return try MessagePack.fromJSON(text)
        } catch {
            throw .usage("--json is not valid JSON: \(error)")
        }
    }

    private func read(_ path: String, what: String) throws(CLIError) -> [UInt8] {
        if path == "-" { return Array(FileHandle.standardInput.readDataToEndOfFile()) }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .io("\(what) \(path): cannot read the file")
        }
        return Array(data)
    }
}
