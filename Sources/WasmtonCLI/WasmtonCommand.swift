public import ArgumentParser
import Foundation

/// The `wasmton` command line: the triggers (`process`, `serve`, `proxy`) and the module tools.
///
/// Asynchronous, so that the triggers run their services (the stream, the gateway or proxy, a
/// metrics endpoint, a trace exporter, a module watcher) in one `ServiceGroup` on the main
/// task; the module tools stay plain synchronous subcommands.
public struct WasmtonCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "wasmton",
        abstract: "A server-side WebAssembly host: run sandboxed Wasm modules and inspect them.",
        version: "0.1.0",
        subcommands: [
            InspectCommand.self, ValidateCommand.self, Wat2WasmCommand.self, InvokeCommand.self, RunCommand.self,
            ProcessCommand.self, ReplayCommand.self, CaptureCommand.self, StateCommand.self, CallCommand.self, ServeCommand.self,
            ProxyCommand.self,
            CheckConfigCommand.self,
        ]
    )

    public init() {}

    /// Parses the process's arguments and runs the command. Usage errors are reported like every
    /// other failure: one `error:` line on stderr and exit status 2 (`--help` for the details).
    public static func runFromCommandLine() async -> Never {
        let arguments = Array(CommandLine.arguments.dropFirst())
        do {
            var command = try parseAsRoot(arguments)
            do throws(CLIError) {
                command = try ConfigCommandLine.configure(command, arguments: arguments)
            } catch {
                // A mistake in the file points at its line; a failed check of a typed option reads
                // as `validate()`'s would.
                guard case .config = error else { throw ValidationError(error.description) }
                FileHandle.standardError.write(Data("error: \(error)\n".utf8))
                Foundation.exit(2)
            }
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
            Foundation.exit(0)
        } catch {
            let status = exitCode(for: error)
            if status == .success {
                let message = fullMessage(for: error)
                if !message.isEmpty { print(message) }
                Foundation.exit(0)
            }
            let message = self.message(for: error).split(separator: "\n").first.map(String.init) ?? ""
            if message.isEmpty { Foundation.exit(status.rawValue) }  // an ExitCode carrying a guest's status
            var line = message
            if line.hasPrefix("Error: ") { line.removeFirst("Error: ".count) }
            FileHandle.standardError.write(Data("error: \(line) (see `wasmton --help`)\n".utf8))
            Foundation.exit(status == .validationFailure ? 2 : status.rawValue)
        }
    }
}
