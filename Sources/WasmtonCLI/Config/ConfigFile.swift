import Foundation
import WasmtonContracts
import WasmtonGateway

/// A Wasmton config file (YAML): the modules a process runs, the HTTP gateway (`http`), the
/// filtering proxy (`proxy`), the stream subscriptions (`streams`) and the host-call links
/// (`links`, for `serve`). Every key below those is
/// named as the command-line option it stands for (`pool-size:` is `--pool-size`), so
/// `serve --config`, `proxy --config` and `process --config` parse the file's part as if it were
/// typed, with the same checks; options typed after it win.
///
/// Secrets never sit in the file: a value is `${NAME}` from the environment, and a key that looks
/// like a secret (password, secret, token, credential) must be given that way.
struct ConfigFile: Sendable {
    /// A module the file declares.
    struct Module: Sendable {
        enum Contract: String, Sendable, CaseIterable {
            case wapc
            case pollTask = "poll-task"
        }

        var name: String
        var path: String
        var contract: Contract
        var sandbox: ConfigValue?
        var location: ConfigLocation
        /// Where `path:` is, for problems with the file.
        var pathLocation: ConfigLocation
    }

    let path: String
    let directory: URL
    let modules: [Module]
    private let sections: [String: ConfigValue.Entry]
    private let environment: [String: String]

    static let topLevelKeys = [
        "log-level", "log-format", "otlp-endpoint", "engine", "sandbox", "modules", "http", "proxy", "streams", "links",
    ]

    /// Reads and checks the file's shape (the options themselves are checked by the commands).
    static func load(
        _ path: String, environment: [String: String] = ProcessInfo.processInfo.environment
    )
        throws(ConfigError) -> ConfigFile
    {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError(
                ConfigLocation(file: path, line: 0, column: 0), "cannot read the config file: \(error.localizedDescription)")
        }
        return try ConfigFile(text: text, path: path, environment: environment)
    }

    init(text: String, path: String, environment: [String: String]) throws(ConfigError) {
        self.path = path
        self.environment = environment
        directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        guard case .map(let entries, _) = try ConfigValue.parse(text, file: path) else {
            throw ConfigError(
                ConfigLocation(file: path, line: 1, column: 1),
                "the file must be a mapping of sections (\(Self.topLevelKeys.joined(separator: ", ")))")
        }
        var sections: [String: ConfigValue.Entry] = [:]
        for entry in entries {
            try Self.known(entry, among: Self.topLevelKeys, in: "the file")
            sections[entry.key] = entry
        }
        self.sections = sections
        var modules: [Module] = []
        if let entry = sections["modules"] {
            for module in try Self.map(entry) {
                var path: String?
                var pathLocation = module.keyLocation
                var contract: Module.Contract?
                var sandbox: ConfigValue?
                for field in try Self.map(module) {
                    try Self.known(field, among: ["path", "contract", "sandbox"], in: "module \(module.key)")
                    switch field.key {
                    case "path":
                        path = try Self.text(field)
                        pathLocation = field.value.location
                    case "contract":
                        let name = try Self.text(field)
                        guard let value = Module.Contract(rawValue: name) else {
                            throw ConfigError(
                                field.value.location,
                                "contract '\(name)' is not one of \(Module.Contract.allCases.map(\.rawValue).joined(separator: ", "))"
                            )
                        }
                        contract = value
                    default:
                        sandbox = field.value
                    }
                }
                guard let path else { throw ConfigError(module.keyLocation, "module \(module.key) has no path") }
                guard let contract else {
                    throw ConfigError(module.keyLocation, "module \(module.key) has no contract (wapc or poll-task)")
                }
                modules.append(
                    Module(
                        name: module.key, path: Self.resolve(path, against: directory), contract: contract, sandbox: sandbox,
                        location: module.keyLocation, pathLocation: pathLocation))
            }
        }
        self.modules = modules
    }

    /// Whether the file has this section.
    func has(_ section: String) -> Bool { sections[section] != nil }

    /// The stream names, in file order.
    var streamNames: [String] {
        guard let entry = sections["streams"], case .map(let streams, _) = entry.value else { return [] }
        return streams.map(\.key)
    }

    // MARK: - Commands

    /// `serve`'s arguments: the `http` section, the top-level sandbox and the served modules.
    func serveArguments() throws(ConfigError) -> ConfigArguments {
        guard let http = sections["http"] else { throw ConfigError(location, "the config file has no http section for serve") }
        var arguments = ConfigArguments()
        try common(&arguments)
        var served: [Module]?
        for field in try Self.map(http) {
            switch field.key {
            case "serve":
                served = try Self.list(field).map { item throws(ConfigError) in
                    try module(named: try Self.text(item, key: "serve"), at: item.location, contract: .wapc)
                }
            case "filters":
                try filters(field, into: &arguments)
            default:
                try flags(field, prefix: "http", into: &arguments)
            }
        }
        if let links = sections["links"] { try self.links(links, into: &arguments) }
        let modules = served ?? self.modules.filter { $0.contract == .wapc }
        guard !modules.isEmpty else {
            throw ConfigError(http.keyLocation, "http: no wapc module to serve (declare one under modules)")
        }
        for module in modules {
            arguments.positional("\(module.name)=\(module.path)", key: "modules.\(module.name)", at: module.location)
            guard let sandbox = module.sandbox else { continue }
            for field in try Self.map(ConfigValue.Entry(key: "sandbox", keyLocation: module.location, value: sandbox)) {
                guard field.key == "allow-connect" else {
                    throw ConfigError(
                        field.keyLocation,
                        "modules.\(module.name).sandbox.\(field.key): serve gives all its modules one sandbox; set \(field.key) in the top-level sandbox (per-module sandboxes apply to streams, and to allow-connect)"
                    )
                }
                for rule in try Self.list(field) {
                    arguments.option(
                        "--allow-connect", "\(module.name)=\(try expand(rule, key: field.key))",
                        key: "modules.\(module.name).sandbox.allow-connect", at: rule.location)
                }
            }
        }
        return arguments
    }

    /// `proxy`'s arguments: the `proxy` section and the top-level sandbox (for its filters).
    func proxyArguments() throws(ConfigError) -> ConfigArguments {
        guard let proxy = sections["proxy"] else { throw ConfigError(location, "the config file has no proxy section") }
        var arguments = ConfigArguments()
        try common(&arguments)
        for field in try Self.map(proxy) {
            if field.key == "filters" {
                try filters(field, into: &arguments)
            } else {
                try flags(field, prefix: "proxy", into: &arguments)
            }
        }
        return arguments
    }

    /// `process`'s arguments for the stream called `name` (or the only one): its settings, its
    /// module, the top-level sandbox and then the module's own.
    func processArguments(stream name: String?) throws(ConfigError) -> ConfigArguments {
        guard let streams = sections["streams"] else { throw ConfigError(location, "the config file has no streams section") }
        let all = try Self.map(streams)
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
        var arguments = ConfigArguments()
        try common(&arguments)
        var module: Module?
        let prefix = "streams.\(stream.key)"
        for field in try Self.map(stream) {
            switch field.key {
            case "module":
                module = try self.module(named: try Self.text(field), at: field.value.location, contract: .pollTask)
            case "input":
                for input in try Self.map(field) {
                    try Self.known(
                        input, among: ["file", "format", "follow", "output", "dead-letter-file"], in: "\(prefix).input")
                    let flag = ["file": "--input", "format": "--input-format"][input.key] ?? "--\(input.key)"
                    if input.key == "follow" {
                        if try Self.bool(input) { arguments.flag(flag, key: "\(prefix).input.follow", at: input.keyLocation) }
                    } else {
                        var value = try expand(input.value, key: input.key)
                        if input.key != "format" { value = Self.resolve(value, against: directory) }
                        arguments.option(flag, value, key: "\(prefix).input.\(input.key)", at: input.value.location)
                    }
                }
            case "kafka":
                for kafka in try Self.map(field) {
                    if kafka.key == "properties" {
                        for property in try Self.map(kafka) {
                            arguments.option(
                                "-X", "\(property.key)=\(try expand(property.value, key: property.key))",
                                key: "\(prefix).kafka.properties.\(property.key)", at: property.value.location)
                        }
                    } else {
                        try flags(kafka, prefix: "\(prefix).kafka", into: &arguments)
                    }
                }
            default:
                try flags(field, prefix: prefix, into: &arguments)
            }
        }
        guard let module else { throw ConfigError(stream.keyLocation, "stream \(stream.key) has no module") }
        if let sandbox = module.sandbox {
            for field in try Self.map(ConfigValue.Entry(key: "sandbox", keyLocation: module.location, value: sandbox)) {
                try sandboxOption(field, prefix: "modules.\(module.name).sandbox", into: &arguments)
            }
        }
        arguments.positional(module.path, key: "\(prefix).module", at: module.location)
        return arguments
    }

    // MARK: - Pieces

    private var location: ConfigLocation { ConfigLocation(file: path, line: 0, column: 0) }

    /// The top-level `log-level`, `log-format`, `otlp-endpoint`, `engine` and `sandbox`.
    private func common(_ arguments: inout ConfigArguments) throws(ConfigError) {
        for key in ["log-level", "log-format", "otlp-endpoint", "engine"] {
            if let entry = sections[key] { try flags(entry, prefix: "", into: &arguments) }
        }
        if let sandbox = sections["sandbox"] {
            for field in try Self.map(sandbox) { try sandboxOption(field, prefix: "sandbox", into: &arguments) }
        }
    }

    /// A sandbox key: `dir` and `allow-connect` take one value or a list, `env` a mapping (or a
    /// list of NAME=VALUE); the rest are plain options.
    private func sandboxOption(
        _ field: ConfigValue.Entry, prefix: String, into arguments: inout ConfigArguments
    )
        throws(ConfigError)
    {
        let key = "\(prefix).\(field.key)"
        switch field.key {
        case "dir":
            for item in try Self.list(field) {
                let value = try expand(item, key: field.key)
                let host = value.range(of: "::").map { String(value[..<$0.lowerBound]) } ?? value
                let guest = value.range(of: "::").map { String(value[$0.lowerBound...]) } ?? ""
                arguments.option("--dir", Self.resolve(host, against: directory) + guest, key: key, at: item.location)
            }
        case "env":
            if case .map(let variables, _) = field.value {
                for variable in variables {
                    let value = try expand(variable.value, key: variable.key)
                    arguments.option(
                        "--env", "\(variable.key)=\(value)", key: "\(key).\(variable.key)", at: variable.value.location)
                }
            } else {
                for item in try Self.list(field) {
                    let text = try expand(item, key: field.key)
                    let name = String(text.prefix { $0 != "=" })
                    if text.contains("="), Self.looksSecret(name), case .scalar(let raw, _, _) = item, !raw.contains("${") {
                        throw Self.secretError(name, at: item.location)
                    }
                    arguments.option("--env", text, key: key, at: item.location)
                }
            }
        case "allow-connect":
            for item in try Self.list(field) {
                arguments.option("--allow-connect", try expand(item, key: field.key), key: key, at: item.location)
            }
        default:
            try flags(field, prefix: prefix, into: &arguments)
        }
    }

    /// A key that is an option: `--KEY VALUE`, repeated for a list; `true` sets a flag, `false`
    /// leaves it out.
    private func flags(
        _ field: ConfigValue.Entry, prefix: String, into arguments: inout ConfigArguments
    )
        throws(ConfigError)
    {
        let key = prefix.isEmpty ? field.key : "\(prefix).\(field.key)"
        let flag = "--\(field.key)"
        switch field.value {
        case .scalar(let raw, true, let location):
            if Self.isTrue(raw) {
                arguments.flag(flag, key: key, at: location)
            }
        case .scalar, .null:
            arguments.option(flag, try expand(field.value, key: field.key), key: key, at: field.value.location)
        case .list(let items, _):
            for item in items { arguments.option(flag, try expand(item, key: field.key), key: key, at: item.location) }
        case .map(_, let location):
            throw ConfigError(location, "\(key) takes a value or a list, not a mapping")
        }
    }

    /// `filters:` a list of `PATH`, `PATH:CONFIG`, or `{path, config}` (a mapping or list
    /// configuration is passed as JSON).
    private func filters(_ field: ConfigValue.Entry, into arguments: inout ConfigArguments) throws(ConfigError) {
        for item in try Self.list(field) {
            if case .map(let entries, _) = item {
                var path: String?
                var configuration: String?
                for entry in entries {
                    try Self.known(entry, among: ["path", "config"], in: "a filter")
                    if entry.key == "path" {
                        path = Self.resolve(try expand(entry.value, key: "path"), against: directory)
                    } else {
                        configuration = try json(entry.value)
                    }
                }
                guard let path else { throw ConfigError(item.location, "a filter needs a path") }
                arguments.option("--filter", configuration.map { "\(path):\($0)" } ?? path, key: "filters", at: item.location)
            } else {
                let (path, configuration) = HTTPFilter.pathAndConfiguration(try expand(item, key: "filters"))
                let resolved = Self.resolve(path, against: directory)
                arguments.option(
                    "--filter", configuration.isEmpty ? resolved : "\(resolved):\(configuration)", key: "filters",
                    at: item.location)
            }
        }
    }

    /// `links:` a mapping of `[BINDING@]NAMESPACE[/OPERATION]: TARGET`, or a list of
    /// `KEY=TARGET`: `--link` each; a module target's path is relative to the file's folder.
    private func links(_ field: ConfigValue.Entry, into arguments: inout ConfigArguments) throws(ConfigError) {
        var specs: [(String, ConfigLocation)] = []
        if case .map(let entries, _) = field.value {
            for entry in entries {
                specs.append(("\(entry.key)=\(try expand(entry.value, key: entry.key))", entry.keyLocation))
            }
        } else {
            for item in try Self.list(field) { specs.append((try expand(item, key: "links"), item.location)) }
        }
        for (spec, location) in specs {
            var resolved = spec
            if let link = try? WapcLink(parsing: spec), case .module(let path, let operation) = link.target {
                let target = Self.resolve(path, against: directory) + (operation.map { "#\($0)" } ?? "")
                resolved = "\(link.key)=\(target)"
            }
            arguments.option("--link", resolved, key: "links", at: location)
        }
    }

    /// A filter configuration: a scalar as it is, a mapping or list as JSON.
    private func json(_ value: ConfigValue) throws(ConfigError) -> String {
        func any(_ value: ConfigValue) throws(ConfigError) -> Any {
            switch value {
            case .scalar(let raw, let isBool, _):
                if isBool { return Self.isTrue(raw) }
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
        named name: String, at location: ConfigLocation, contract: Module.Contract
    ) throws(ConfigError)
        -> Module
    {
        guard let module = modules.first(where: { $0.name == name }) else {
            throw ConfigError(
                location, "no module named '\(name)' (modules: \(modules.map(\.name).joined(separator: ", ")))")
        }
        guard module.contract == contract else {
            throw ConfigError(
                location, "module \(name) is a \(module.contract.rawValue) module; this needs a \(contract.rawValue) one")
        }
        return module
    }

    /// A scalar with `${NAME}` replaced from the environment (`$${` is a literal `${`). A key
    /// that looks like a secret must take its value from the environment.
    func expand(_ value: ConfigValue, key: String) throws(ConfigError) -> String {
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

    // MARK: - Shapes

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
        let suggestion = keys.min { distance($0, entry.key) < distance($1, entry.key) }
        let hint = suggestion.map { distance($0, entry.key) <= 3 ? " (did you mean \($0)?)" : "" } ?? ""
        throw ConfigError(
            entry.keyLocation, "unknown key \(entry.key) in \(place)\(hint); known: \(keys.joined(separator: ", "))")
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

    /// A path relative to the config file's folder (absolute paths and `@FILE` forms as given).
    static func resolve(_ path: String, against directory: URL) -> String {
        guard !path.isEmpty, !path.hasPrefix("/") else { return path }
        return directory.appendingPathComponent(path).standardizedFileURL.path
    }
}
