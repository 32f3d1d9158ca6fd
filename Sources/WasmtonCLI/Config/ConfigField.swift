import ArgumentParser

/// How a config key is stored into one typed option of `Options` (an options group or a
/// command): the file's values converted to the option's type, unless the command line gave the
/// option, whose value wins. A list keeps the file's values first and the typed ones after them.
struct ConfigField<Options> {
    /// Stores the setting; whether the file's value is the one the option now holds (so that a
    /// later error about the option can name the file's key).
    let store: (inout Options, ConfigSetting) throws(ConfigError) -> Bool

    /// A single value; the last one the file gives counts.
    static func value<T: ExpressibleByArgument>(_ path: WritableKeyPath<Options, T>) -> Self {
        Self { options, setting throws(ConfigError) in
            guard !setting.typed else { return false }
            options[keyPath: path] = try setting.converted(setting.last)
            return true
        }
    }

    /// An optional value, unless the command line set it (a positional argument, whose flag
    /// cannot be told apart from the others, counts as set when it has a value).
    static func optional<T: ExpressibleByArgument>(_ path: WritableKeyPath<Options, T?>) -> Self {
        Self { options, setting throws(ConfigError) in
            guard !setting.typed, options[keyPath: path] == nil else { return false }
            let value: T = try setting.converted(setting.last)
            options[keyPath: path] = value
            return true
        }
    }

    /// A repeatable option: every value, each checked by `check` as it is stored, in front of the
    /// typed ones.
    static func list<T: ExpressibleByArgument>(
        _ path: WritableKeyPath<Options, [T]>, check: ((T) throws(CLIError) -> Void)? = nil
    ) -> Self {
        Self { options, setting throws(ConfigError) in
            var values: [T] = []
            for value in setting.values { values.append(try setting.checked(value, by: check)) }
            let typed = options[keyPath: path]
            options[keyPath: path] = values + typed
            return typed.isEmpty
        }
    }

    /// `fields` together with those of the options groups `groups` holds.
    static func merging(_ fields: [String: Self], groups: [[String: Self]]) -> [String: Self] {
        groups.reduce(fields) { all, group in all.merging(group) { own, _ in own } }
    }

    /// The fields of an options group, as fields of the command that holds it.
    static func group<Group: ConfigurableOptions>(_ path: WritableKeyPath<Options, Group>) -> [String: Self] {
        Group.configFields.mapValues { field in
            Self { options, setting throws(ConfigError) in try field.store(&options[keyPath: path], setting) }
        }
    }
}
