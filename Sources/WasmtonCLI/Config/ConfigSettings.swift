/// One command's part of a config file: the options it sets, each named as its flag without
/// `--` (`pool-size:` sets `pool-size`), with every value as written and the key and line it
/// came from. A command stores them into its typed options (``ConfigurableCommand``); they are
/// never turned back into command-line arguments.
struct ConfigSettings: Sendable {
    /// The name that stands for a command's positional argument (the modules it runs).
    static let positional = "<positional>"

    /// The options in the order the file first sets them.
    private(set) var all: [ConfigSetting] = []

    /// Adds a value of `option`, from `key` at `location`; an option set again gets the value after
    /// the earlier ones (the last one wins for a single value; a list keeps them all).
    mutating func add(_ option: String, _ text: String, key: String, at location: ConfigLocation) {
        let value = ConfigSetting.Value(text: text, key: key, location: location)
        if let index = all.firstIndex(where: { $0.option == option }) {
            all[index].values.append(value)
        } else {
            all.append(ConfigSetting(option: option, values: [value]))
        }
    }

    /// A Boolean option: `true` or `false`.
    mutating func add(_ option: String, _ value: Bool, key: String, at location: ConfigLocation) {
        add(option, value ? "true" : "false", key: key, at: location)
    }

    /// These settings with only the options in `options`: the part of another command's
    /// configuration that a command uses (`replay` takes a stream's sandbox and limits, not its
    /// input).
    func keeping(options: Set<String>) -> ConfigSettings {
        var kept = ConfigSettings()
        kept.all = all.filter { options.contains($0.option) }
        return kept
    }
}
