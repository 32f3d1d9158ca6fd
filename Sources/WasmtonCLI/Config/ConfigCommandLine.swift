import Synchronization

/// `serve`, `proxy`, `process` or `replay` with `--config FILE`: the file's part of the command
/// line goes in front of what was typed (so typed options win), and messages about an option
/// from the file point at its line. `replay` takes a stream's sandbox and limits (or, with
/// `--wapc`, the http section's), not its input.
enum ConfigCommandLine {
    static let commands = ["serve", "proxy", "process", "replay"]
    private static let current = Mutex<ConfigArguments?>(nil)

    /// The arguments with the config file's expanded in, or as they are without `--config`.
    static func expand(_ arguments: [String]) throws(ConfigError) -> [String] {
        guard let command = arguments.first, commands.contains(command),
            let path = value(of: "--config", in: arguments)
        else { return arguments }
        let file = try ConfigFile.load(path)
        var expanded: ConfigArguments
        switch command {
        case "serve": expanded = try file.serveArguments()
        case "proxy": expanded = try file.proxyArguments()
        case "replay":
            let production =
                arguments.contains("--wapc")
                ? try file.serveArguments() : try file.processArguments(stream: value(of: "--stream", in: arguments))
            expanded = production.keeping(flags: ReplayCommand.configFlags)
        default: expanded = try file.processArguments(stream: value(of: "--stream", in: arguments))
        }
        expanded.typed = Array(arguments.dropFirst())
        current.withLock { $0 = expanded }
        return [command] + expanded.arguments + arguments.dropFirst()
    }

    /// `message` pointing at the config file's line when it is about an option from the file.
    static func locate(_ message: String) -> String {
        current.withLock { $0?.locate(message) } ?? message
    }

    /// The value of `--NAME VALUE` or `--NAME=VALUE`, the last one given.
    static func value(of option: String, in arguments: [String]) -> String? {
        var found: String?
        for (index, argument) in arguments.enumerated() {
            if argument == "--" { break }
            if argument == option, index + 1 < arguments.count {
                found = arguments[index + 1]
            } else if argument.hasPrefix(option + "=") {
                found = String(argument.dropFirst(option.count + 1))
            }
        }
        return found
    }
}
