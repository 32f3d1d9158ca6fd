import ArgumentParser
import Foundation
import WasmtonContracts
import WasmtonRuntime

/// `wasmton run FILE [-- ARGS…]`: run a WASI command with the host's stdio and exit with its code.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a WASI command module (its _start), passing stdin, stdout and stderr through.",
        discussion:
            "Options go before FILE; everything after FILE (or after --) is the guest's argv. Exits with the guest's exit code.")

    @OptionGroup var sandbox: SandboxOptions

    @Argument(help: "The command module (.wasm or .wat).")
    var file: String

    @Argument(parsing: .captureForPassthrough, help: "Arguments for the guest.")
    var arguments: [String] = []

    func run() throws {
        try reportingFailures {
            var guestArguments = arguments
            if guestArguments.first == "--" { guestArguments.removeFirst() }
            let name = URL(fileURLWithPath: file).lastPathComponent
            let guestSandbox = try sandbox.sandbox(arguments: [name] + guestArguments, stdio: .inherit, modulePath: file)
            // Denied network access is logged; it goes to stderr, never into the guest's stdout.
            StandardErrorLogging.bootstrap(level: .warning)
            let runtime = try sandbox.runtime()
            let module = try runtime.load(path: file)
            let code: Int32
            do {
                code = try WASICommand.run(module, runtime: runtime, sandbox: guestSandbox)
            } catch GuestError.notACommand(let exported) {
                throw CLIError.usage(
                    "\(file) is not a WASI command (it has no _start export); use `wasmton invoke \(file) FUNCTION` to call one of: \(exported.joined(separator: ", "))"
                )
            }
            if code != 0 { throw ExitCode(code) }
        }
    }
}
