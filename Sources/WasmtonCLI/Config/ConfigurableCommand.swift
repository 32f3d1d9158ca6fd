import ArgumentParser

/// A command that can take its options from a config file (`--config FILE`): the part of the
/// file it reads, the typed options that part may set, and the checks its `validate()` makes,
/// which must run again once the file's values are in (``configure(from:typed:)``).
protocol ConfigurableCommand: ParsableCommand, ConfigurableOptions {
    /// `--config`, when given.
    var configPath: String? { get }
    /// This command's part of `file`.
    func settings(from file: ConfigFile) throws(ConfigError) -> ConfigSettings
    /// The checks of `validate()`, which skips them with `--config` until the file's values are in.
    func check() throws(CLIError)
}

extension ConfigurableCommand {
    /// Stores `file`'s values into the options the command line left unset (`typed` names those
    /// it gave), then makes the command's checks. An error about a value from the file names its
    /// key and line; the returned origins let later errors do the same.
    mutating func configure(from file: ConfigFile, typed: Set<String>) throws(CLIError) -> ConfigOrigins {
        let fields = Self.configFields
        var origins = ConfigOrigins()
        do throws(ConfigError) {
            for var setting in try settings(from: file).all {
                guard let field = fields[setting.option] else {
                    let hint = ConfigShape.hint(for: setting.option, among: Array(fields.keys))
                    throw setting.error(
                        at: setting.last,
                        "\(Self.configuration.commandName ?? "this command") has no option \(setting.option)\(hint)")
                }
                setting.typed = typed.contains(setting.option)
                if try field.store(&self, setting) { origins.record(setting) }
            }
        } catch {
            throw .config(error)
        }
        do throws(CLIError) {
            try check()
        } catch {
            throw origins.locate(error)
        }
        return origins
    }

    /// The command as `file` alone configures it (`check-config`, a reload): parsed from
    /// `--config PATH` and `arguments`, then configured.
    static func configured(by file: ConfigFile, _ arguments: [String] = []) throws -> Self {
        var command = try parse(["--config", file.path] + arguments)
        _ = try command.configure(from: file, typed: [])
        return command
    }
}
