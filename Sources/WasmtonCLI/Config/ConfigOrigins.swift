/// Where the options a config file set got their values: the key and line of each option whose
/// file value the command holds (not one the command line gave). An error a command meets later
/// about such an option (``CLIError/option(_:_:)``) then names that key and line.
struct ConfigOrigins: Sendable {
    private var values: [String: ConfigSetting.Value] = [:]

    /// Remembers that `setting`'s option holds the file's value.
    mutating func record(_ setting: ConfigSetting) {
        values[setting.option] = setting.last
    }

    /// `error`, as a config file error at the key and line, when it is about an option whose
    /// value came from the file; otherwise as it is.
    func locate(_ error: CLIError) -> CLIError {
        guard case .option(let option, let message) = error, let value = values[option] else { return error }
        return .config(ConfigError(value.location, "\(value.key): \(message)"))
    }
}
