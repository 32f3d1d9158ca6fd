import ArgumentParser

/// `--reload-interval`, for the commands that reload their modules without a restart (`serve`,
/// `process`): how often files are checked; SIGHUP always reloads.
struct ReloadOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "How often to check module files (and --config) for changes to reload; 0: only on SIGHUP.",
            valueName: "SECONDS"))
    var reloadInterval: String = "2"

    mutating func validate() throws {
        try validating { _ = try interval() }
    }

    /// The interval; `nil` for 0 (SIGHUP only).
    func interval() throws(CLIError) -> Duration? {
        guard let interval = SandboxOptions.parseDuration(reloadInterval), interval >= .zero else {
            throw .usage("--reload-interval '\(reloadInterval)' is not a duration (examples: 2, 500ms, 0)")
        }
        return interval == .zero ? nil : interval
    }
}
