import Foundation
import Yams

/// A config file's YAML as a tree that remembers where each value is: scalars (as written),
/// lists and mappings (in file order, keys unique).
indirect enum ConfigValue: Sendable {
    case scalar(String, isBool: Bool, ConfigLocation)
    case list([ConfigValue], ConfigLocation)
    case map([Entry], ConfigLocation)
    case null(ConfigLocation)

    struct Entry: Sendable {
        var key: String
        var keyLocation: ConfigLocation
        var value: ConfigValue
    }

    var location: ConfigLocation {
        switch self {
        case .scalar(_, _, let location), .list(_, let location), .map(_, let location), .null(let location):
            return location
        }
    }

    /// What kind of value this is, for messages.
    var kind: String {
        switch self {
        case .scalar: return "a value"
        case .list: return "a list"
        case .map: return "a mapping"
        case .null: return "nothing"
        }
    }

    /// Parses `text` (the file at `file`).
    static func parse(_ text: String, file: String) throws(ConfigError) -> ConfigValue {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw Self.error(error, file: file)
        } catch {
            throw ConfigError(ConfigLocation(file: file, line: 0, column: 0), "not YAML: \(error)")
        }
        guard let node else { throw ConfigError(ConfigLocation(file: file, line: 0, column: 0), "the file is empty") }
        return try convert(node, file: file)
    }

    private static func convert(_ node: Node, file: String) throws(ConfigError) -> ConfigValue {
        let location = ConfigLocation(file: file, line: node.mark?.line ?? 0, column: node.mark?.column ?? 0)
        switch node {
        case .scalar(let scalar):
            if scalar.style == .plain, ["", "~", "null", "Null", "NULL"].contains(scalar.string) {
                return .null(location)
            }
            return .scalar(scalar.string, isBool: scalar.style == .plain && node.bool != nil, location)
        case .sequence(let sequence):
            var items: [ConfigValue] = []
            for item in sequence { items.append(try convert(item, file: file)) }
            return .list(items, location)
        case .mapping(let mapping):
            var entries: [Entry] = []
            for (key, value) in mapping {
                let keyLocation = ConfigLocation(file: file, line: key.mark?.line ?? 0, column: key.mark?.column ?? 0)
                guard case .scalar(let name) = key else {
                    throw ConfigError(keyLocation, "a key must be a plain name, not a list or mapping")
                }
                if let first = entries.first(where: { $0.key == name.string }) {
                    throw ConfigError(keyLocation, "\(name.string) is given twice (first at line \(first.keyLocation.line))")
                }
                entries.append(Entry(key: name.string, keyLocation: keyLocation, value: try convert(value, file: file)))
            }
            return .map(entries, location)
        case .alias:
            throw ConfigError(location, "YAML aliases are not supported; write the value out")
        }
    }

    private static func error(_ error: YamlError, file: String) -> ConfigError {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let what = context.map { "\($0.text) " } ?? ""
            return ConfigError(
                ConfigLocation(file: file, line: mark.line, column: mark.column), "not valid YAML: \(what)\(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return ConfigError(
                ConfigLocation(file: file, line: context.mark.line, column: context.mark.column),
                "\(duplicates.joined(separator: ", ")) is given twice")
        default:
            return ConfigError(ConfigLocation(file: file, line: 0, column: 0), "not valid YAML: \(error)")
        }
    }
}
