import Foundation

/// How a config file's values become option values: `${NAME}` from the environment (`$${` is a
/// literal `${`), secrets refused unless they come from there, and paths resolved against the
/// file's folder.
struct ConfigExpansion: Sendable {
    let environment: [String: String]
    /// The config file's folder: relative paths in the file are relative to it.
    let directory: URL

    /// A scalar with `${NAME}` replaced from the environment (`$${` is a literal `${`). A key
    /// that looks like a secret must take its value from the environment.
    func callAsFunction(_ value: ConfigValue, key: String) throws(ConfigError) -> String {
        guard case .scalar(let raw, _, let location) = value else {
            throw ConfigError(value.location, "\(key) needs a value, not \(value.kind)")
        }
        if Self.looksSecret(key), !raw.contains("${") { throw Self.secretError(key, at: location) }
        var out = ""
        var rest = raw[...]
        while let dollar = rest.firstIndex(of: "$") {
            out += rest[..<dollar]
            let after = rest[rest.index(after: dollar)...]
            if after.hasPrefix("${") {
                out += "${"
                rest = after.dropFirst(2)
            } else if after.hasPrefix("{"), let close = after.firstIndex(of: "}") {
                let name = String(after[after.index(after: after.startIndex)..<close])
                guard let variable = environment[name] else {
                    throw ConfigError(location, "\(key): the environment variable \(name) is not set")
                }
                out += variable
                rest = after[after.index(after: close)...]
            } else {
                out += "$"
                rest = after
            }
        }
        return out + rest
    }

    static func looksSecret(_ key: String) -> Bool {
        let lower = key.lowercased()
        return ["password", "secret", "token", "credential"].contains { lower.contains($0) }
    }

    static func secretError(_ key: String, at location: ConfigLocation) -> ConfigError {
        ConfigError(location, "\(key) looks like a secret: keep it out of the file, write ${ENV_VAR} and set that variable")
    }

    /// A path relative to the config file's folder (absolute paths and `@FILE` forms as given).
    func resolve(_ path: String) -> String {
        guard !path.isEmpty, !path.hasPrefix("/") else { return path }
        return directory.appendingPathComponent(path).standardizedFileURL.path
    }
}
