import ArgumentParser
import Logging
import WasmtonContracts
import WasmtonGateway
import WasmtonRuntime

/// `--link [BINDING@]NAMESPACE[/OPERATION]=TARGET`, for the commands that run waPC modules: what
/// their guests' `__host_call`s reach besides the built-in capabilities.
struct LinkOptions: ParsableArguments, ConfigurableOptions {
    @Option(
        name: .customLong("link"),
        help: ArgumentHelp(
            "Answer the guests' host calls to NAMESPACE (one OPERATION, one BINDING) with TARGET: PATH.wasm[#OP] (another waPC module's operation, by default the same name), http(s)://URL (a POST of the payload; the host must be allowed by --allow-connect) or echo (the payload itself). Repeatable; the most specific link wins.",
            valueName: "[BINDING@]NAMESPACE[/OPERATION]=TARGET"))
    var links: [String] = []

    static var configFields: [String: ConfigField<Self>] { ["link": .list(\.links, check: Self.check)] }

    /// Fails on a link that is not `[BINDING@]NAMESPACE[/OPERATION]=TARGET`.
    static func check(_ link: String) throws(CLIError) {
        do throws(WapcLinkError) {
            _ = try WapcLink(parsing: link)
        } catch {
            throw .link(error)
        }
    }

    /// The links, parsed (without loading anything).
    func parsed() throws(CLIError) -> [WapcLink] {
        do {
            return try WapcLink.parse(links)
        } catch {
            throw .link(error)
        }
    }

    /// The names of the modules the links lead to, for `--allow-connect MODULE=` rules.
    func moduleNames() throws(CLIError) -> [String] {
        WapcLinks.modulePaths(of: try parsed()).map { ServedModule.nameAndPath($0).name }
    }

    /// Loads the linked modules, each in the sandbox `sandbox` describes for it (its own
    /// `--allow-connect MODULE=` rules; `modules` names every module of the command), and
    /// resolves the links for `callers`, the modules the command runs. `nil` without links.
    func resolve(
        runtime: WasmRuntime, callers: [WasmModule], sandbox: SandboxOptions, modules: [String], maxIdleInstances: Int,
        logger: Logger
    ) throws(CLIError) -> WapcLinks? {
        let links = try parsed()
        guard !links.isEmpty else { return nil }
        var loaded: [String: WapcLinks.Module] = [:]
        for path in WapcLinks.modulePaths(of: links) {
            let module: WasmModule
            do {
                module = try runtime.load(path: path)
            } catch {
                throw .link(.moduleFailed(path: path, reason: error.description))
            }
            let name = ServedModule.nameAndPath(path).name
            var moduleSandbox = try sandbox.sandbox(arguments: [path], stdio: .inherit, modulePath: nil)
            moduleSandbox.network = try sandbox.networkPolicy(module: name, modules: modules)
            loaded[path] = WapcLinks.Module(module: module, sandbox: moduleSandbox)
        }
        let timeout = try sandbox.socketTimeoutDuration()
        do {
            return try WapcLinks(
                links, modules: loaded, callers: callers, runtime: runtime,
                configuration: .init(maxIdleInstances: maxIdleInstances, httpTimeout: timeout),
                logger: logger)
        } catch {
            throw .link(error)
        }
    }
}
