import ArgumentParser
import Foundation
import WasmtonContracts
import WasmtonGateway
import WasmtonRuntime

/// The proxy-wasm filter options `serve` and `proxy` share.
struct FilterOptions: ParsableArguments, ConfigurableOptions {
    @Option(
        name: .customLong("filter"),
        help: ArgumentHelp(
            "Run a proxy-wasm filter on every request, in the order given. CONFIG is the plugin configuration (proxy_on_configure): text, or @FILE to read it from a file.",
            valueName: "FILTER.wasm[:CONFIG]"))
    var filters: [String] = []

    @Flag(help: "When a filter traps or hits a limit, let the request through without it (default: answer 500).")
    var filterFailOpen = false

    static var configFields: [String: ConfigField<Self>] {
        ["filter": .list(\.filters), "filter-fail-open": .value(\.filterFailOpen)]
    }

    /// Loads every filter module and its configuration.
    func filters(runtime: WasmRuntime) throws(CLIError) -> [HTTPFilter] {
        var loaded: [HTTPFilter] = []
        for argument in filters {
            let (path, text) = HTTPFilter.pathAndConfiguration(argument)
            var configuration = Array(text.utf8)
            if text.hasPrefix("@") {
                let file = String(text.dropFirst())
                guard let data = FileManager.default.contents(atPath: file) else {
                    throw .io("--filter \(argument): cannot read the configuration file \(file)")
                }
                configuration = Array(data)
            }
            let module: WasmModule
            do {
                module = try runtime.load(path: path)
            } catch {
                throw .module(error)
            }
            loaded.append(
                HTTPFilter(
                    module: module,
                    configuration: .init(name: ServedModule.nameAndPath(path).name, pluginConfiguration: configuration),
                    failOpen: filterFailOpen))
        }
        return loaded
    }
}
