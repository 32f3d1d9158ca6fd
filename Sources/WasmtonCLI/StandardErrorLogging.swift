import Logging

/// Sends the process's logs to stderr at a level the user picks with `--log-level`, as text or as
/// JSON lines (`--log-format json`) for a log collector.
enum StandardErrorLogging {
    enum Format: String {
        case text, json
    }

    /// Parses `--log-level` text, or says which levels exist.
    static func level(_ text: String) throws(CLIError) -> Logger.Level {
        guard let level = Logger.Level(rawValue: text) else {
            throw .option("log-level", "--log-level '\(text)' is not one of trace, debug, info, notice, warning, error")
        }
        return level
    }

    /// Bootstraps swift-log once, with every logger writing to stderr at `level`.
    static func bootstrap(level: Logger.Level, format: Format = .text) {
        LoggingSystem.bootstrap { label in
            switch format {
            case .text:
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            case .json:
                var handler = JSONLogHandler(label: label)
                handler.logLevel = level
                return handler
            }
        }
    }
}
