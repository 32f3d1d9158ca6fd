import ArgumentParser
import Logging

/// The options of the long-running commands (`serve`, `proxy`, `process`): a config file to read
/// the rest from, and how to log.
struct ServiceOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Read this command's options from a config file (YAML; see README). Options given here win.",
            valueName: "FILE"))
    var config: String?

    @Option(help: ArgumentHelp("Log level: trace, debug, info, notice, warning, error.", valueName: "LEVEL"))
    var logLevel: String = "info"

    @Option(help: ArgumentHelp("Log lines as text, or as one JSON object each (json).", valueName: "FORMAT"))
    var logFormat: String = "text"

    mutating func validate() throws {
        try validating {
            _ = try level()
            _ = try format()
        }
    }

    func level() throws(CLIError) -> Logger.Level {
        try StandardErrorLogging.level(logLevel)
    }

    func format() throws(CLIError) -> StandardErrorLogging.Format {
        guard let format = StandardErrorLogging.Format(rawValue: logFormat) else {
            throw .usage("--log-format '\(logFormat)' is not one of text, json")
        }
        return format
    }

    /// Sends every logger to stderr at the chosen level and format.
    func bootstrap() throws(CLIError) {
        StandardErrorLogging.bootstrap(level: try level(), format: try format())
    }
}
