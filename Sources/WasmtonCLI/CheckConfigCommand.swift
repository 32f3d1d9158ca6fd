import ArgumentParser
import Foundation
import WasmtonRuntime

/// `wasmton check-config FILE`: everything that can be checked without starting anything. The
/// file's shape and keys, each section's options (checked by the command that would run them),
/// environment variables it needs, and every module: that it loads, validates and has its
/// contract's exports. Each problem is one line that points at the file's line.
struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Check a config file: its keys, every section's options, and its modules.")

    @Argument(help: "The config file (YAML).")
    var file: String

    func run() throws {
        try reportingFailures {
            let config: ConfigFile
            do throws(ConfigError) {
                config = try ConfigFile.load(file)
            } catch {
                throw CLIError.config(error)
            }
            var problems: [String] = []
            var summary: [String] = []
            let runtime = WasmRuntime()
            for module in config.modules {
                if let problem = Self.check(module, runtime: runtime) {
                    problems.append("\(module.pathLocation): module \(module.name): \(problem)")
                }
            }
            if !config.modules.isEmpty {
                summary.append(
                    "modules: \(config.modules.map { "\($0.name) (\($0.contract.rawValue))" }.joined(separator: ", "))")
            }
            if config.has("http") {
                problems += Self.check(ServeCommand.self, "serve", config)
                summary.append("http")
            }
            if config.has("proxy") {
                problems += Self.check(ProxyCommand.self, "proxy", config)
                summary.append("proxy")
            }
            for stream in config.streamNames {
                problems += Self.check(ProcessCommand.self, "process", config, ["--stream", stream])
            }
            if !config.streamNames.isEmpty { summary.append("streams: \(config.streamNames.joined(separator: ", "))") }
            for problem in problems { FileHandle.standardError.write(Data("\(problem)\n".utf8)) }
            guard problems.isEmpty else { throw CLIError.configProblems(problems.count) }
            print("\(file): ok (\(summary.joined(separator: "; ")))")
        }
    }

    /// Configures `Command` from the file as running it would (its checks included); the problem,
    /// pointing at the key and line when it is about a value from the file, if any.
    private static func check<Command: ConfigurableCommand>(
        _ command: Command.Type, _ name: String, _ file: ConfigFile, _ arguments: [String] = []
    ) -> [String] {
        do {
            _ = try Command.configured(by: file, arguments)
            return []
        } catch CLIError.config(let error) {
            return [error.description]
        } catch {
            return ["\(name): \(ConfigCommandLine.message(for: error, of: Command.self))"]
        }
    }

    /// Why `module` cannot run as its contract says, or `nil`.
    private static func check(_ module: ConfigFile.Module, runtime: WasmRuntime) -> String? {
        guard FileManager.default.fileExists(atPath: module.path) else { return "no file at \(module.path)" }
        let loaded: WasmModule
        do {
            loaded = try runtime.load(path: module.path)
        } catch {
            return "\(error)"
        }
        let needed: String
        switch module.contract {
        case .wapc: needed = "__guest_call"
        case .pollTask: needed = "run"
        }
        guard loaded.exportedFunctions.contains(needed) else {
            return "\(module.path) is not a \(module.contract.rawValue) module: it does not export \(needed)"
        }
        return nil
    }
}
