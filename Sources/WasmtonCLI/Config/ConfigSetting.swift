import ArgumentParser

/// One option's values from a config file, each with the key and place it came from. It turns
/// them into the option's type, and any failure into a ``ConfigError`` that already names the
/// key and line: nothing has to guess later which key a message is about.
struct ConfigSetting: Sendable {
    /// One value as written, and where.
    struct Value: Sendable {
        var text: String
        var key: String
        var location: ConfigLocation
    }

    /// The option's name, without `--` (`X` for `-X`).
    let option: String
    var values: [Value]
    /// Whether the command line gave this option too: its value wins over the file's.
    var typed = false

    /// The value that counts for a single-valued option: the last one.
    var last: Value { values[values.count - 1] }

    /// `value` as the option's type, or an error naming its key and line.
    func converted<T: ExpressibleByArgument>(_ value: Value) throws(ConfigError) -> T {
        guard let converted = T(argument: value.text) else {
            throw error(at: value, "'\(value.text)' is not \(Self.kind(of: T.self)) (--\(option))")
        }
        return converted
    }

    /// `value`, checked by `check` (the check the option's flag gets), as the option's type.
    func checked<T: ExpressibleByArgument>(
        _ value: Value, by check: ((T) throws(CLIError) -> Void)?
    ) throws(ConfigError) -> T {
        let converted: T = try converted(value)
        do throws(CLIError) {
            try check?(converted)
        } catch {
            throw self.error(at: value, error.description)
        }
        return converted
    }

    /// `message` about `value`, pointing at its key and line.
    func error(at value: Value, _ message: String) -> ConfigError {
        ConfigError(value.location, "\(value.key): \(message)")
    }

    /// What a value of `type` must look like, for messages.
    private static func kind(of type: Any.Type) -> String {
        switch type {
        case is Bool.Type: return "true or false"
        case is Double.Type: return "a number"
        default: return "a whole number"
        }
    }
}
