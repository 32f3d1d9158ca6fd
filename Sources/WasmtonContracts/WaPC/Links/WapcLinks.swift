public import Logging
public import WasmtonRuntime

/// The host-call links of a command (`--link`, `links:`), resolved at start: the modules they
/// lead to are loaded, checked and instantiated once, cycles are refused, and each module's
/// ``WapcHostCalls`` gets a handler per link.
///
/// Links apply to every module's host calls: the modules a command runs and the linked ones. A
/// link never leads a module back to itself (for that module it does not exist). Wasmton cannot
/// see which host calls a guest makes, so it assumes a module that imports `__host_call` may use
/// any link; if links could then lead from a module the command runs back to it,
/// ``init(_:modules:callers:runtime:configuration:logger:)`` throws
/// ``WapcLinkError/cycle(path:links:)``. Among linked modules only, a call that would enter a
/// module already on the way fails with a host error instead (refusing those at start would
/// refuse any two linked modules that both log through the host).
///
/// A linked call runs on the calling guest's thread while it waits. Whatever goes wrong in it (a
/// trap in the linked module, an HTTP error, a refused destination) fails the host call with a
/// host error the guest reads; it never fails the calling guest itself.
public final class WapcLinks: Sendable {
    /// A module that links lead to, loaded by the caller, and the sandbox its instances get.
    public struct Module: Sendable {
        public var module: WasmModule
        public var sandbox: Sandbox

        public init(module: WasmModule, sandbox: Sandbox) {
            self.module = module
            self.sandbox = sandbox
        }
    }

    /// How linked calls run.
    public struct Configuration: Sendable {
        /// Idle instances kept per linked module (`serve`: its pool size).
        public var maxIdleInstances: Int
        /// How long an HTTP link may take to answer, connecting included.
        public var httpTimeout: Duration

        public init(maxIdleInstances: Int = 1, httpTimeout: Duration = .seconds(30)) {
            self.maxIdleInstances = maxIdleInstances
            self.httpTimeout = httpTimeout
        }
    }

    /// The links, in the order given.
    public let links: [WapcLink]
    private let modules: [String: WapcLinkedModule]
    private let metrics: [WapcLinkMetrics]
    private let http: WapcHTTPLinks
    private let logger: Logger

    /// The module paths `links` lead to, each once, in order: load these and give them to
    /// ``init(_:modules:callers:runtime:configuration:logger:)``.
    public static func modulePaths(of links: [WapcLink]) -> [String] {
        var paths: [String] = []
        for link in links {
            if let path = link.target.modulePath, !paths.contains(path) { paths.append(path) }
        }
        return paths
    }

    /// Resolves `links`: `modules` holds each path of ``modulePaths(of:)``; `callers` are the
    /// modules the command runs (for the cycle check). Instantiates every linked module once, so
    /// one that is not a waPC module or fails at start-up is refused here.
    public init(
        _ links: [WapcLink], modules: [String: Module], callers: [WasmModule], runtime: WasmRuntime,
        configuration: Configuration = Configuration(), logger: Logger
    ) throws(WapcLinkError) {
        self.links = links
        self.logger = logger
        metrics = links.map(WapcLinkMetrics.init(link:))
        var linked: [String: WapcLinkedModule] = [:]
        for path in Self.modulePaths(of: links) {
            guard let given = modules[path] else { throw .moduleFailed(path: path, reason: "the module was not loaded") }
            linked[path] = WapcLinkedModule(
                module: given.module, sandbox: given.sandbox, runtime: runtime, maxIdle: configuration.maxIdleInstances,
                logger: logger)
        }
        self.modules = linked
        try Self.checkCycles(links, linked: linked, callers: callers)
        http = WapcHTTPLinks(timeout: configuration.httpTimeout)
        for module in linked.values { register(in: module.hostCalls, caller: module.module, network: module.network) }
        for (path, module) in linked.sorted(by: { $0.key < $1.key }) {
            do {
                try module.prewarm()
            } catch {
                close()
                throw .moduleFailed(path: path, reason: "\(error)")
            }
        }
    }

    /// Registers a handler per link in `hostCalls`, the registry of `caller`'s instances, whose
    /// HTTP links connect only where `network` allows. Links that lead back to `caller` are left
    /// out, so its calls fall to a less specific link or go unlinked.
    public func register(in hostCalls: WapcHostCalls, caller: WasmModule, network: NetworkPolicy) {
        for (link, metrics) in zip(links, metrics) {
            let handler: WapcHostCalls.Handler
            switch link.target {
            case .echo:
                handler = { call in try metrics.measure { () throws(WapcHostCallError) in call.payload } }
            case .module(let path, let operation):
                guard let module = modules[path], module.module.bytes != caller.bytes else { continue }
                handler = { [logger] call in
                    try metrics.measure { () throws(WapcHostCallError) in
                        try Self.call(
                            module, operation: operation ?? call.operation, for: call, from: caller, link: link, logger: logger)
                    }
                }
            case .http(let url, let host, let port):
                handler = { [http] call in
                    try metrics.measure { () throws(WapcHostCallError) in
                        try http.post(call, to: url, host: host, port: port, network: network)
                    }
                }
            }
            hostCalls.register(namespace: link.namespace, operation: link.operation, binding: link.binding, handler)
        }
    }

    /// Closes the linked modules' idle instances.
    public func close() {
        for module in modules.values { module.close() }
    }

    /// One call into a linked module from a guest of `caller`: its answer, or its failure as a
    /// host error. Refused when the module is already on the way (``WapcLinkChain``).
    private static func call(
        _ module: WapcLinkedModule, operation: String, for call: WapcHostCall, from caller: WasmModule, link: WapcLink,
        logger: Logger
    ) throws(WapcHostCallError) -> [UInt8] {
        var chain = WapcLinkChain.current
        if chain.isEmpty { chain = [WapcLinkChain.Entry(name: caller.name, bytes: caller.bytes)] }
        guard !chain.contains(where: { $0.bytes == module.module.bytes }) else {
            let names = chain.map(\.name) + [module.name]
            throw WapcHostCallError("link cycle refused: \(names.joined(separator: " → ")) (link \(link))")
        }
        chain.append(WapcLinkChain.Entry(name: module.name, bytes: module.module.bytes))
        let result = WapcLinkChain.$current.withValue(chain) { () -> Result<[UInt8], WapcError> in
            do throws(WapcError) {
                return .success(try module.call(operation, payload: call.payload))
            } catch {
                return .failure(error)
            }
        }
        switch result {
        case .success(let response):
            return response
        case .failure(let error):
            if let message = error.guestMessage { throw WapcHostCallError(message) }
            logger.warning(
                "linked module \(module.name) failed in \(operation) for \(call.module) (link \(link)): \(error)",
                metadata: ["module": "\(call.module)", "link": "\(link)"])
            throw WapcHostCallError("linked module \(module.name) failed: \(error)")
        }
    }

    /// Refuses links that could lead from a module back to itself through other modules.
    private static func checkCycles(
        _ links: [WapcLink], linked: [String: WapcLinkedModule], callers: [WasmModule]
    ) throws(WapcLinkError) {
        var graph = WapcLinkGraph()
        let callsHost = { (module: WasmModule) in
            module.imports.contains { $0.module == "wapc" && $0.name == "__host_call" }
        }
        let starts = callers.map { graph.node(name: $0.name, bytes: $0.bytes) }
        let all = callers + linked.keys.sorted().compactMap { linked[$0]?.module }
        let targets = Set(linked.values.map { graph.node(name: $0.name, bytes: $0.module.bytes) })
        for module in all {
            let node = graph.node(name: module.name, bytes: module.bytes)
            guard callsHost(module) else { continue }
            for target in targets.sorted() { graph.connect(node, to: target) }
        }
        // A link to a module the command runs that no other module could take leads only back
        // to that module: a cycle of one, which the graph (never linking a module to itself) misses.
        for link in links {
            guard let path = link.target.modulePath, let target = linked[path],
                let caller = callers.first(where: { $0.bytes == target.module.bytes }), callsHost(caller),
                !all.contains(where: { $0.bytes != target.module.bytes && callsHost($0) })
            else { continue }
            throw .cycle(path: [caller.name, caller.name], links: [link.description])
        }
        guard let cycle = graph.cycle(through: starts) else { return }
        let names = cycle.map(graph.name)
        var leading: [String] = []
        for step in cycle.dropFirst() {
            for link in links {
                guard let path = link.target.modulePath, let module = linked[path],
                    graph.node(name: module.name, bytes: module.module.bytes) == step
                else { continue }
                if !leading.contains(link.description) { leading.append(link.description) }
            }
        }
        throw .cycle(path: names, links: leading)
    }
}
