import ArgumentParser

/// `--reload-interval`, for the commands that reload their modules without a restart (`serve`,
/// `process`): how often files are checked; SIGHUP always reloads.
struct ReloadOptions: ParsableArguments, ConfigurableOptions {
    @Option(
        help: ArgumentHelp(
            "How often to check module files (and --config) for changes to reload; 0: only on SIGHUP.",
            valueName: "SECONDS"))
    var reloadInterval: String = "2"

    static var configFields: [String: ConfigField<Self>] { ["reload-interval": .value(\.reloadInterval)] }

    mutating func validate() throws {
        try validating { _ = try interval() }
    }

    /// The interval; `nil` for 0 (SIGHUP only).
    func interval() throws(CLIError) -> Duration? {
        guard let interval = SandboxOptions.parseDuration(reloadInterval), interval >= .zero else {
            throw .option("reload-interval", "--reload-interval '\(reloadInterval)' is not a duration (examples: 2, 500ms, 0)")
        }
        return interval == .zero ? nil : interval
    }
}
