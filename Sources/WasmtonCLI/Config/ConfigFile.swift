import Foundation

/// A Wasmton config file (YAML): the modules a process runs, the HTTP gateway (`http`), the
/// filtering proxy (`proxy`), the stream subscriptions (`streams`) and the host-call links
/// (`links`, for `serve`). Every key below those is
/// named as the command-line option it stands for (`pool-size:` is `--pool-size`): `serve
/// --config`, `proxy --config` and `process --config` store the file's values into the same typed
/// options, with the same checks; options typed on the command line win.
///
/// Secrets never sit in the file: a value is `${NAME}` from the environment, and a key that looks
/// like a secret (password, secret, token, credential) must be given that way.
///
/// The compiler is split by job: this type loads the YAML (``ConfigValue``, with line numbers)
/// and checks its shape (``ConfigShape``); ``ConfigExpansion`` expands values; and
/// ``ConfigCommandMapping`` maps a section to a command's options (``ConfigSettings``), which
/// the command stores into its typed options (``ConfigurableCommand``).
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
    let sections: [String: ConfigValue.Entry]
    /// How the file's values expand (environment, secrets, paths).
    let expansion: ConfigExpansion

    static let topLevelKeys = [
        "log-level", "log-format", "otlp-endpoint", "engine", "sandbox", "modules", "http", "proxy", "streams", "links",
    ]

    /// Reads and checks the file's shape with line numbers (the options themselves are checked by
    /// the commands, through ``ConfigCommandMapping``).
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
        directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        expansion = ConfigExpansion(environment: environment, directory: directory)
        guard case .map(let entries, _) = try ConfigValue.parse(text, file: path) else {
            throw ConfigError(
                ConfigLocation(file: path, line: 1, column: 1),
                "the file must be a mapping of sections (\(Self.topLevelKeys.joined(separator: ", ")))")
        }
        var sections: [String: ConfigValue.Entry] = [:]
        for entry in entries {
            try ConfigShape.known(entry, among: Self.topLevelKeys, in: "the file")
            sections[entry.key] = entry
        }
        self.sections = sections
        var modules: [Module] = []
        if let entry = sections["modules"] {
            for module in try ConfigShape.map(entry) {
                var path: String?
                var pathLocation = module.keyLocation
                var contract: Module.Contract?
                var sandbox: ConfigValue?
                for field in try ConfigShape.map(module) {
                    try ConfigShape.known(field, among: ["path", "contract", "sandbox"], in: "module \(module.key)")
                    switch field.key {
                    case "path":
                        path = try ConfigShape.text(field)
                        pathLocation = field.value.location
                    case "contract":
                        let name = try ConfigShape.text(field)
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
                        name: module.key, path: expansion.resolve(path), contract: contract, sandbox: sandbox,
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

    /// `serve`'s options from this file (``ConfigCommandMapping/serve()``).
    func serveSettings() throws(ConfigError) -> ConfigSettings {
        try ConfigCommandMapping(self).serve()
    }

    /// `proxy`'s options from this file (``ConfigCommandMapping/proxy()``).
    func proxySettings() throws(ConfigError) -> ConfigSettings {
        try ConfigCommandMapping(self).proxy()
    }

    /// `process`'s options for the stream `name` (``ConfigCommandMapping/process(stream:)``).
    func processSettings(stream name: String?) throws(ConfigError) -> ConfigSettings {
        try ConfigCommandMapping(self).process(stream: name)
    }
}
