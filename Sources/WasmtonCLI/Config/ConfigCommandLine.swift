import ArgumentParser
import Synchronization

/// A command parsed from the command line with `--config FILE`: the file's values go into the
/// options the command line left unset (typed options win), and the command's checks run on the
/// result. Remembers where each option's value came from (``ConfigOrigins``), so that an error
/// the command meets later about a value from the file names its key and line.
enum ConfigCommandLine {
    private static let origins = Mutex(ConfigOrigins())

    /// `command` with its config file's values in; as it is without `--config`. `arguments` are
    /// the command line after the program's name, for the options it gave.
    static func configure(_ command: any ParsableCommand, arguments: [String]) throws(CLIError) -> any ParsableCommand {
        guard var configurable = command as? any ConfigurableCommand, let path = configurable.configPath else {
            return command
        }
        let file: ConfigFile
        do throws(ConfigError) {
            file = try ConfigFile.load(path)
        } catch {
            throw .config(error)
        }
        let found = try configurable.configure(from: file, typed: typedOptions(arguments))
        origins.withLock { $0 = found }
        return configurable
    }

    /// `error`'s message, pointing at the config file's key and line when it is about an option
    /// whose value came from the file.
    static func locate(_ error: CLIError) -> String {
        origins.withLock { $0.locate(error) }.description
    }

    /// The one-line message of an error met configuring `command` from a file alone (a reload,
    /// `check-config`): the file's own, a failed check's, or ArgumentParser's.
    static func message<Command: ParsableCommand>(for error: any Error, of command: Command.Type) -> String {
        switch error {
        case let error as ConfigError: return error.description
        case let error as CLIError: return error.description
        default:
            var message = Command.message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
            if message.hasPrefix("Error: ") { message.removeFirst("Error: ".count) }
            return message
        }
    }

    /// The options `arguments` give, by name without dashes (`--no-NAME` also counts as `NAME`;
    /// `-X` is `X`).
    static func typedOptions(_ arguments: [String]) -> Set<String> {
        var names: Set<String> = []
        for argument in arguments {
            if argument == "--" { break }
            if argument.hasPrefix("--") {
                let name = String(argument.dropFirst(2).prefix { $0 != "=" })
                names.insert(name)
                if name.hasPrefix("no-") { names.insert(String(name.dropFirst(3))) }
            } else if argument.hasPrefix("-"), let short = argument.dropFirst().first {
                names.insert(String(short))
            }
        }
        return names
    }
}
