/// The shape checks of a config file's values, each failing with the line and the key: a
/// mapping where one is needed, one value or a list, a plain value, a Boolean, a known key (with
/// the closest one suggested).
enum ConfigShape {
    static func map(_ entry: ConfigValue.Entry) throws(ConfigError) -> [ConfigValue.Entry] {
        switch entry.value {
        case .map(let entries, _): return entries
        case .null: return []
        default:
            throw ConfigError(entry.value.location, "\(entry.key) must be a mapping (KEY: VALUE lines), not \(entry.value.kind)")
        }
    }

    /// One value or a list of them.
    static func list(_ entry: ConfigValue.Entry) throws(ConfigError) -> [ConfigValue] {
        switch entry.value {
        case .list(let items, _): return items
        case .scalar: return [entry.value]
        case .null: return []
        case .map: throw ConfigError(entry.value.location, "\(entry.key) must be a value or a list, not a mapping")
        }
    }

    static func text(_ entry: ConfigValue.Entry) throws(ConfigError) -> String {
        try text(entry.value, key: entry.key)
    }

    static func text(_ value: ConfigValue, key: String) throws(ConfigError) -> String {
        guard case .scalar(let text, _, _) = value else {
            throw ConfigError(value.location, "\(key) must be a value, not \(value.kind)")
        }
        return text
    }

    static func bool(_ entry: ConfigValue.Entry) throws(ConfigError) -> Bool {
        guard case .scalar(let raw, true, _) = entry.value else {
            throw ConfigError(entry.value.location, "\(entry.key) must be true or false")
        }
        return isTrue(raw)
    }

    /// A YAML Boolean's truth (`true`, `yes`, `on` in any case; the rest are false).
    static func isTrue(_ raw: String) -> Bool {
        ["true", "yes", "on"].contains(raw.lowercased())
    }

    /// Fails on a key that is not among `keys`, suggesting the closest one.
    static func known(_ entry: ConfigValue.Entry, among keys: [String], in place: String) throws(ConfigError) {
        guard !keys.contains(entry.key) else { return }
        throw ConfigError(
            entry.keyLocation,
            "unknown key \(entry.key) in \(place)\(hint(for: entry.key, among: keys)); known: \(keys.joined(separator: ", "))")
    }

    /// ` (did you mean KEY?)` with the key among `keys` closest to `key`, or nothing when none is close.
    static func hint(for key: String, among keys: [String]) -> String {
        let suggestion = keys.sorted().min { distance($0, key) < distance($1, key) }
        return suggestion.map { distance($0, key) <= 3 ? " (did you mean \($0)?)" : "" } ?? ""
    }

    /// Edit distance, for suggestions.
    private static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var row = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var previous = row[0]
            row[0] = i
            for j in stride(from: 1, through: b.count, by: 1) {
                let current = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                previous = current
            }
        }
        return row[b.count]
    }
}
