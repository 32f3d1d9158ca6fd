import Foundation
import WasmtonContracts
import WasmtonGateway

/// Maps a checked ``ConfigFile`` to one command's options: the sections and keys `serve`,
/// `proxy` or `process` reads, each key turned into the option it names (`pool-size:` is
/// `--pool-size`), with values expanded (``ConfigExpansion``) and every value remembering the
/// key and line it came from (``ConfigSettings``). The command stores them into its typed options.
struct ConfigCommandMapping {
    let file: ConfigFile
    private var expand: ConfigExpansion { file.expansion }

    init(_ file: ConfigFile) {
        self.file = file
    }

    /// `serve`'s settings: the `http` section, the top-level sandbox and the served modules.
    func serve() throws(ConfigError) -> ConfigSettings {
        guard let http = file.sections["http"] else {
            throw ConfigError(location, "the config file has no http section for serve")
        }
        var settings = ConfigSettings()
        try common(&settings)
        var served: [ConfigFile.Module]?
        for field in try ConfigShape.map(http) {
            switch field.key {
            case "serve":
                served = try ConfigShape.list(field).map { item throws(ConfigError) in
                    try module(named: try ConfigShape.text(item, key: "serve"), at: item.location, contract: .wapc)
                }
            case "filters":
                try filters(field, into: &settings)
            default:
                try flags(field, prefix: "http", into: &settings)
            }
        }
        if let links = file.sections["links"] { try self.links(links, into: &settings) }
        let modules = served ?? file.modules.filter { $0.contract == .wapc }
        guard !modules.isEmpty else {
            throw ConfigError(http.keyLocation, "http: no wapc module to serve (declare one under modules)")
        }
        for module in modules {
            settings.add(
                ConfigSettings.positional, "\(module.name)=\(module.path)", key: "modules.\(module.name)", at: module.location)
            guard let sandbox = module.sandbox else { continue }
            for field in try ConfigShape.map(ConfigValue.Entry(key: "sandbox", keyLocation: module.location, value: sandbox)) {
                guard field.key == "allow-connect" else {
                    throw ConfigError(
                        field.keyLocation,
                        "modules.\(module.name).sandbox.\(field.key): serve gives all its modules one sandbox; set \(field.key) in the top-level sandbox (per-module sandboxes apply to streams, and to allow-connect)"
                    )
                }
                for rule in try ConfigShape.list(field) {
                    settings.add(
                        "allow-connect", "\(module.name)=\(try expand(rule, key: field.key))",
                        key: "modules.\(module.name).sandbox.allow-connect", at: rule.location)
                }
            }
        }
        return settings
    }

    /// `proxy`'s settings: the `proxy` section and the top-level sandbox (for its filters).
    func proxy() throws(ConfigError) -> ConfigSettings {
        guard let proxy = file.sections["proxy"] else { throw ConfigError(location, "the config file has no proxy section") }
        var settings = ConfigSettings()
        try common(&settings)
        for field in try ConfigShape.map(proxy) {
            if field.key == "filters" {
                try filters(field, into: &settings)
            } else {
                try flags(field, prefix: "proxy", into: &settings)
            }
        }
        return settings
    }

    /// `process`'s settings for the stream called `name` (or the only one): its settings, its
    /// module, the top-level sandbox and then the module's own.
    func process(stream name: String?) throws(ConfigError) -> ConfigSettings {
        guard let streams = file.sections["streams"] else {
            throw ConfigError(location, "the config file has no streams section")
        }
        let all = try ConfigShape.map(streams)
        let stream: ConfigValue.Entry
        if let name {
            guard let named = all.first(where: { $0.key == name }) else {
                throw ConfigError(
                    streams.keyLocation, "no stream named '\(name)' (streams: \(all.map(\.key).joined(separator: ", ")))")
            }
            stream = named
        } else {
            guard all.count == 1, let only = all.first else {
                throw ConfigError(
                    streams.keyLocation,
                    "name the stream to run with --stream (streams: \(all.map(\.key).joined(separator: ", ")))")
            }
            stream = only
        }
        var settings = ConfigSettings()
        try common(&settings)
        var module: ConfigFile.Module?
        let prefix = "streams.\(stream.key)"
        for field in try ConfigShape.map(stream) {
            switch field.key {
            case "module":
                module = try self.module(named: try ConfigShape.text(field), at: field.value.location, contract: .pollTask)
            case "input":
                for input in try ConfigShape.map(field) {
                    try ConfigShape.known(
                        input, among: ["file", "format", "follow", "output", "dead-letter-file"], in: "\(prefix).input")
                    let option = ["file": "input", "format": "input-format"][input.key] ?? input.key
                    if input.key == "follow" {
                        settings.add(option, try ConfigShape.bool(input), key: "\(prefix).input.follow", at: input.value.location)
                    } else {
                        var value = try expand(input.value, key: input.key)
                        if input.key != "format" { value = expand.resolve(value) }
                        settings.add(option, value, key: "\(prefix).input.\(input.key)", at: input.value.location)
                    }
                }
            case "kafka":
                for kafka in try ConfigShape.map(field) {
                    if kafka.key == "properties" {
                        for property in try ConfigShape.map(kafka) {
                            settings.add(
                                "X", "\(property.key)=\(try expand(property.value, key: property.key))",
                                key: "\(prefix).kafka.properties.\(property.key)", at: property.value.location)
                        }
                    } else {
                        try flags(kafka, prefix: "\(prefix).kafka", into: &settings)
                    }
                }
            default:
                try flags(field, prefix: prefix, into: &settings)
            }
        }
        guard let module else { throw ConfigError(stream.keyLocation, "stream \(stream.key) has no module") }
        if let sandbox = module.sandbox {
            for field in try ConfigShape.map(ConfigValue.Entry(key: "sandbox", keyLocation: module.location, value: sandbox)) {
                try sandboxOption(field, prefix: "modules.\(module.name).sandbox", into: &settings)
            }
        }
        settings.add(ConfigSettings.positional, module.path, key: "\(prefix).module", at: module.location)
        return settings
    }

    // MARK: - Pieces

    private var location: ConfigLocation { ConfigLocation(file: file.path, line: 0, column: 0) }

    /// The top-level `log-level`, `log-format`, `otlp-endpoint`, `engine` and `sandbox`.
    private func common(_ settings: inout ConfigSettings) throws(ConfigError) {
        for key in ["log-level", "log-format", "otlp-endpoint", "engine"] {
            if let entry = file.sections[key] { try flags(entry, prefix: "", into: &settings) }
        }
        if let sandbox = file.sections["sandbox"] {
            for field in try ConfigShape.map(sandbox) { try sandboxOption(field, prefix: "sandbox", into: &settings) }
        }
    }

    /// A sandbox key: `dir` and `allow-connect` take one value or a list, `env` a mapping (or a
    /// list of NAME=VALUE); the rest are plain options.
    private func sandboxOption(
        _ field: ConfigValue.Entry, prefix: String, into settings: inout ConfigSettings
    )
        throws(ConfigError)
    {
        let key = "\(prefix).\(field.key)"
        switch field.key {
        case "dir":
            for item in try ConfigShape.list(field) {
                let value = try expand(item, key: field.key)
                let host = value.range(of: "::").map { String(value[..<$0.lowerBound]) } ?? value
                let guest = value.range(of: "::").map { String(value[$0.lowerBound...]) } ?? ""
                settings.add("dir", expand.resolve(host) + guest, key: key, at: item.location)
            }
        case "env":
            if case .map(let variables, _) = field.value {
                for variable in variables {
                    let value = try expand(variable.value, key: variable.key)
                    settings.add(
                        "env", "\(variable.key)=\(value)", key: "\(key).\(variable.key)", at: variable.value.location)
                }
            } else {
                for item in try ConfigShape.list(field) {
                    let text = try expand(item, key: field.key)
                    let name = String(text.prefix { $0 != "=" })
                    if text.contains("="), ConfigExpansion.looksSecret(name), case .scalar(let raw, _, _) = item,
                        !raw.contains("${")
                    {
                        throw ConfigExpansion.secretError(name, at: item.location)
                    }
                    settings.add("env", text, key: key, at: item.location)
                }
            }
        case "allow-connect":
            for item in try ConfigShape.list(field) {
                settings.add("allow-connect", try expand(item, key: field.key), key: key, at: item.location)
            }
        default:
            try flags(field, prefix: prefix, into: &settings)
        }
    }

    /// A key that is an option of the same name: its value, or each of a list's; a YAML Boolean
    /// as `true` or `false`.
    private func flags(
        _ field: ConfigValue.Entry, prefix: String, into settings: inout ConfigSettings
    )
        throws(ConfigError)
    {
        let key = prefix.isEmpty ? field.key : "\(prefix).\(field.key)"
        switch field.value {
        case .scalar(let raw, true, let location):
            settings.add(field.key, ConfigShape.isTrue(raw), key: key, at: location)
        case .scalar, .null:
            settings.add(field.key, try expand(field.value, key: field.key), key: key, at: field.value.location)
        case .list(let items, _):
            for item in items { settings.add(field.key, try expand(item, key: field.key), key: key, at: item.location) }
        case .map(_, let location):
            throw ConfigError(location, "\(key) takes a value or a list, not a mapping")
        }
    }

    /// `filters:` a list of `PATH`, `PATH:CONFIG`, or `{path, config}` (a mapping or list
    /// configuration is passed as JSON).
    private func filters(_ field: ConfigValue.Entry, into settings: inout ConfigSettings) throws(ConfigError) {
        for item in try ConfigShape.list(field) {
            if case .map(let entries, _) = item {
                var path: String?
                var configuration: String?
                for entry in entries {
                    try ConfigShape.known(entry, among: ["path", "config"], in: "a filter")
                    if entry.key == "path" {
                        path = expand.resolve(try expand(entry.value, key: "path"))
                    } else {
                        configuration = try json(entry.value)
                    }
                }
                guard let path else { throw ConfigError(item.location, "a filter needs a path") }
                settings.add("filter", configuration.map { "\(path):\($0)" } ?? path, key: "filters", at: item.location)
            } else {
                let (path, configuration) = HTTPFilter.pathAndConfiguration(try expand(item, key: "filters"))
                let resolved = expand.resolve(path)
                settings.add(
                    "filter", configuration.isEmpty ? resolved : "\(resolved):\(configuration)", key: "filters",
                    at: item.location)
            }
        }
    }

    /// `links:` a mapping of `[BINDING@]NAMESPACE[/OPERATION]: TARGET`, or a list of
    /// `KEY=TARGET`: a `link` each; a module target's path is relative to the file's folder.
    private func links(_ field: ConfigValue.Entry, into settings: inout ConfigSettings) throws(ConfigError) {
        var specs: [(String, ConfigLocation)] = []
        if case .map(let entries, _) = field.value {
            for entry in entries {
                specs.append(("\(entry.key)=\(try expand(entry.value, key: entry.key))", entry.keyLocation))
            }
        } else {
            for item in try ConfigShape.list(field) { specs.append((try expand(item, key: "links"), item.location)) }
        }
        for (spec, location) in specs {
            var resolved = spec
            if let link = try? WapcLink(parsing: spec), case .module(let path, let operation) = link.target {
                let target = expand.resolve(path) + (operation.map { "#\($0)" } ?? "")
                resolved = "\(link.key)=\(target)"
            }
            settings.add("link", resolved, key: "links", at: location)
        }
    }

    /// A filter configuration: a scalar as it is, a mapping or list as JSON.
    private func json(_ value: ConfigValue) throws(ConfigError) -> String {
        func any(_ value: ConfigValue) throws(ConfigError) -> Any {
            switch value {
            case .scalar(let raw, let isBool, _):
                if isBool { return ConfigShape.isTrue(raw) }
                let text = try expand(value, key: "config")
                return Int(text).map { $0 as Any } ?? Double(text).map { $0 as Any } ?? text
            case .null: return NSNull()
            case .list(let items, _):
                var out: [Any] = []
                for item in items { out.append(try any(item)) }
                return out
            case .map(let entries, _):
                var out: [String: Any] = [:]
                for entry in entries { out[entry.key] = try any(entry.value) }
                return out
            }
        }
        if case .scalar = value { return try expand(value, key: "config") }
        let object = try any(value)
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        else {
            throw ConfigError(value.location, "this filter configuration cannot be written as JSON")
        }
        return String(decoding: data, as: UTF8.self)
    }

    private func module(
        named name: String, at location: ConfigLocation, contract: ConfigFile.Module.Contract
    ) throws(ConfigError)
        -> ConfigFile.Module
    {
        guard let module = file.modules.first(where: { $0.name == name }) else {
            throw ConfigError(
                location, "no module named '\(name)' (modules: \(file.modules.map(\.name).joined(separator: ", ")))")
        }
        guard module.contract == contract else {
            throw ConfigError(
                location, "module \(name) is a \(module.contract.rawValue) module; this needs a \(contract.rawValue) one")
        }
        return module
    }
}
