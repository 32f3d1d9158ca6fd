/// One command's part of a config file as the command-line arguments it stands for, remembering
/// which key each came from: the command parses them as if typed, so every option has its
/// config key (the same name) and the same checks, and a message naming `--pool-size` can
/// point at the line of `pool-size:`.
struct ConfigArguments: Sendable {
    struct Origin: Sendable {
        var flag: String?
        var value: String
        var key: String
        var location: ConfigLocation
        /// A Boolean flag, given without a value.
        var isFlag = false
    }

    private(set) var arguments: [String] = []
    private(set) var origins: [Origin] = []
    /// The options typed after the file's: a message about one of them is not about the file.
    var typed: [String] = []

    /// `--flag value`.
    mutating func option(_ flag: String, _ value: String, key: String, at location: ConfigLocation) {
        arguments += [flag, value]
        origins.append(Origin(flag: flag, value: value, key: key, location: location))
    }

    /// `--flag` alone (a Boolean flag set to true).
    mutating func flag(_ flag: String, key: String, at location: ConfigLocation) {
        arguments.append(flag)
        origins.append(Origin(flag: flag, value: "", key: key, location: location, isFlag: true))
    }

    /// A positional argument.
    mutating func positional(_ value: String, key: String, at location: ConfigLocation) {
        arguments.append(value)
        origins.append(Origin(flag: nil, value: value, key: key, location: location))
    }

    /// These arguments without the positional ones and without the options not in `flags`: the
    /// part of another command's configuration that a command uses (`replay` takes a stream's
    /// sandbox and limits, not its input).
    func keeping(flags: Set<String>) -> ConfigArguments {
        var kept = ConfigArguments()
        kept.typed = typed
        for origin in origins {
            guard let flag = origin.flag, flags.contains(flag) else { continue }
            if origin.isFlag {
                kept.flag(flag, key: origin.key, at: origin.location)
            } else {
                kept.option(flag, origin.value, key: origin.key, at: origin.location)
            }
        }
        return kept
    }

    /// The key a command's message is about: the last one whose option the message names (the
    /// value the command complains about came last), else one whose value it quotes.
    func origin(of message: String) -> Origin? {
        if let named = origins.last(where: { origin in origin.flag.map { Self.names(message, $0) } ?? false }) {
            guard let flag = named.flag, !typed.contains(where: { $0 == flag || $0.hasPrefix(flag + "=") }) else { return nil }
            return named
        }
        return origins.last { $0.value.count >= 3 && message.contains($0.value) }
    }

    /// `message` with the config place in front, when it is about a key of the file.
    func locate(_ message: String) -> String {
        guard let origin = origin(of: message) else { return message }
        return "\(origin.location): \(origin.key): \(message)"
    }

    /// Whether `message` names `flag` as a whole word (`--port`, not `--port-range`).
    private static func names(_ message: String, _ flag: String) -> Bool {
        var rest = message[...]
        while let range = rest.range(of: flag) {
            let after = range.upperBound
            if after == rest.endIndex || !(rest[after].isLetter || rest[after].isNumber || rest[after] == "-") {
                return true
            }
            rest = rest[after...]
        }
        return false
    }
}
