import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import WasmtonCapture
import WasmtonContracts
import WasmtonGateway
import WasmtonRuntime

/// `wasmton serve MODULE… --port P`: serve waPC modules over HTTP through the gateway.
struct ServeCommand: AsyncParsableCommand, ConfigurableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve waPC modules over HTTP: POST /v1/MODULE/OPERATION with a JSON or MessagePack body.",
        discussion: """
            Each module is served under its file name without extension, or NAME=PATH. Requests borrow a \
            pre-instantiated instance from the module's pool; a trapped instance is replaced, never reused. With \
            --default-operation, the first module's operation also answers the book's forms at / \
            (curl -G localhost:8080 --data-urlencode 'key={"name":"foo"}', or curl -d "name=foo" localhost:8080). \
            Also serves /healthz, /readyz and /metrics (Prometheus). SIGTERM or SIGINT stops accepting, lets \
            in-flight requests finish, and exits 0.
            """)

    @Option(help: ArgumentHelp("Port to listen on (0 picks a free one and prints it).", valueName: "PORT"))
    var port: Int = 8080

    @Option(help: ArgumentHelp("Address to listen on (0.0.0.0 in a container).", valueName: "HOST"))
    var host: String = "127.0.0.1"

    @Option(help: ArgumentHelp("Instances per module, i.e. calls that run at once (default: cores).", valueName: "N"))
    var poolSize: Int = GatewayConfiguration.processorCount

    @Option(help: ArgumentHelp("Requests per module that may wait for an instance; more get 503.", valueName: "N"))
    var maxWaiting: Int = 128

    @Flag(help: "Give each request a new instance instead of a pooled one (no state survives a request).")
    var freshInstance = false

    @Option(help: ArgumentHelp("Largest request body; larger ones get 413 (e.g. 1M, 64K).", valueName: "BYTES"))
    var maxBodySize: String = "1M"

    @Option(help: ArgumentHelp("Per-request deadline, waiting included (504 past it; e.g. 2, 500ms).", valueName: "SECONDS"))
    var requestTimeout: String = "30"

    @Option(help: ArgumentHelp("Serve the first module's OPERATION at / in the book's forms.", valueName: "OPERATION"))
    var defaultOperation: String?

    @OptionGroup(title: "Reload") var reload: ReloadOptions

    @Option(
        help: ArgumentHelp(
            "Run quick calls of modules that import no blocking functions on the request's own thread for up to this long, "
                + "then move them to a guest thread (0: always a guest thread).",
            valueName: "SECONDS"))
    var callSlice: String = "2ms"

    @Flag(
        inversion: .prefixedNo,
        help: ArgumentHelp(
            "Answer /v1/…, / and the probes on the connection's event loop, without Hummingbird's task per "
                + "connection (--no-event-loop-answers: every request through Hummingbird's router)."))
    var eventLoopAnswers = true

    @OptionGroup(title: "Connections") var connectionOptions: ConnectionOptions

    @Option(
        help: ArgumentHelp(
            "Sample waPC requests (module, operation, payload) into this capture file, for `wasmton replay`.",
            valueName: "FILE"))
    var capture: String?

    @Option(help: ArgumentHelp("With --capture: keep one request in N.", valueName: "N"))
    var captureSample: Int = 1

    @Option(help: ArgumentHelp("With --capture: stop capturing after N requests.", valueName: "N"))
    var captureMax: Int = 10_000

    @OptionGroup(title: "Filters (proxy-wasm)") var filterOptions: FilterOptions

    @OptionGroup(title: "Sandbox") var sandbox: SandboxOptions

    @OptionGroup(title: "Host-call links") var linkOptions: LinkOptions

    @OptionGroup(title: "Service") var service: ServiceOptions

    @Argument(help: "The waPC modules to serve: PATH or NAME=PATH.")
    var modules: [String] = []

    static var configFields: [String: ConfigField<Self>] {
        ConfigField.merging(
            [
                "port": .value(\.port), "host": .value(\.host), "pool-size": .value(\.poolSize),
                "max-waiting": .value(\.maxWaiting), "fresh-instance": .value(\.freshInstance),
                "max-body-size": .value(\.maxBodySize), "request-timeout": .value(\.requestTimeout),
                "default-operation": .optional(\.defaultOperation), "call-slice": .value(\.callSlice),
                "event-loop-answers": .value(\.eventLoopAnswers), "capture": .optional(\.capture),
                "capture-sample": .value(\.captureSample), "capture-max": .value(\.captureMax),
                ConfigSettings.positional: .list(\.modules),
            ],
            groups: [
                ConfigField.group(\.reload), ConfigField.group(\.connectionOptions), ConfigField.group(\.filterOptions),
                ConfigField.group(\.sandbox),
                ConfigField.group(\.linkOptions), ConfigField.group(\.service),
            ])
    }

    var configPath: String? { service.config }

    func settings(from file: ConfigFile) throws(ConfigError) -> ConfigSettings { try file.serveSettings() }

    /// With `--config`, the checks wait for the file's values (``ConfigCommandLine``).
    mutating func validate() throws {
        guard configPath == nil else { return }
        try validating { try check() }
    }

    /// The checks that need no files, so `check-config` makes them too.
    func check() throws(CLIError) {
        try service.check()
        _ = try reload.interval()
        _ = try connectionOptions.limits()
        guard !modules.isEmpty else { throw .usage("name at least one module to serve (PATH or NAME=PATH)") }
        guard (0...65_535).contains(port) else { throw .option("port", "--port \(port) is not a TCP port") }
        guard poolSize >= 1 else { throw .option("pool-size", "--pool-size must be at least 1") }
        guard maxWaiting >= 0 else { throw .option("max-waiting", "--max-waiting cannot be negative") }
        _ = try limits()
        _ = try slice()
        _ = try sandbox.sandbox(arguments: [], stdio: .inherit, modulePath: nil)
        _ = try linkOptions.parsed()
        guard captureSample >= 1 else { throw .option("capture-sample", "--capture-sample must be at least 1") }
        guard captureMax >= 1 else { throw .option("capture-max", "--capture-max must be at least 1") }
    }

    /// `--call-slice`, parsed; nil for 0.
    private func slice() throws(CLIError) -> Duration? {
        guard let slice = SandboxOptions.parseDuration(callSlice), slice >= .zero else {
            throw .option("call-slice", "--call-slice '\(callSlice)' is not a duration (examples: 2ms, 0 to turn it off)")
        }
        return slice == .zero ? nil : slice
    }

    /// `--max-body-size` and `--request-timeout`, parsed.
    private func limits() throws(CLIError) -> (maxBody: Int, timeout: Duration) {
        guard let maxBody = SandboxOptions.parseBytes(maxBodySize), maxBody > 0 else {
            throw .option("max-body-size", "--max-body-size '\(maxBodySize)' is not a size in bytes (examples: 1048576, 64K, 1M)")
        }
        guard let timeout = SandboxOptions.parseDuration(requestTimeout), timeout > .zero else {
            throw .option(
                "request-timeout", "--request-timeout '\(requestTimeout)' is not a positive duration (examples: 2, 500ms)")
        }
        return (maxBody, timeout)
    }

    func run() async throws {
        try await reportingFailures {
            let (maxBody, timeout) = try limits()
            let names = modules.map { ServedModule.nameAndPath($0).name }
            // `--allow-connect MODULE=` may name linked modules too.
            let allNames = names + (try linkOptions.moduleNames())
            let guestSandbox = try sandbox.sandbox(arguments: [], stdio: .inherit, modulePath: nil)
            // The request deadline needs fuel metering to stop a guest that never calls the host.
            let runtime = try sandbox.runtime(meteringOnWasmKit: true)
            var served: [ServedModule] = []
            for argument in modules {
                let (name, path) = ServedModule.nameAndPath(argument)
                var module = ServedModule(name: name, module: try runtime.load(path: path))
                module.network = try sandbox.networkPolicy(module: name, modules: allNames)
                served.append(module)
            }
            try service.bootstrap()
            // Before anything makes metric handles (the links make theirs as they resolve).
            let metricsText = PrometheusExport.bootstrap()
            let tracing = try service.tracing()
            let logger = Logger(label: "wasmton.serve")
            let hostCalls = WapcHostCalls.builtIn(logger: logger)
            // With links, each module gets a registry of its own: its links leave out those leading
            // back to it, and its HTTP links connect where its own --allow-connect rules allow.
            let links = try linkOptions.resolve(
                runtime: runtime, callers: served.map(\.module), sandbox: sandbox, modules: allNames,
                maxIdleInstances: poolSize, logger: logger)
            defer { links?.close() }
            if let links {
                for index in served.indices {
                    let registry = WapcHostCalls.builtIn(logger: logger)
                    links.register(
                        in: registry, caller: served[index].module, network: served[index].network ?? guestSandbox.network)
                    served[index].hostCalls = registry
                }
            }
            let filters = try filterOptions.filters(runtime: runtime)
            let filterNames = filters.map(\.configuration.name).joined(separator: ", ")
            let sampler = try capture.map { path throws(CLIError) in
                do throws(CaptureError) {
                    return try CaptureSampler(path: path, every: captureSample, limit: captureMax)
                } catch {
                    throw CLIError.io(error.description)
                }
            }
            defer {
                if let sampler {
                    sampler.close()
                    logger.notice("captured", metadata: ["requests": "\(sampler.count)", "file": "\(sampler.path)"])
                }
            }
            let configuration = GatewayConfiguration(
                host: host, port: port, poolSize: poolSize, maxWaiting: maxWaiting, freshInstance: freshInstance,
                maxBodyBytes: maxBody, requestTimeout: timeout, sandbox: guestSandbox, defaultOperation: defaultOperation,
                filters: filters, connections: try connectionOptions.limits(), callSlice: try slice(),
                answersOnEventLoop: eventLoopAnswers, capture: sampler)
            let gateway: Gateway
            do throws(GatewayConfigurationError) {
                gateway = try Gateway(
                    runtime: runtime, modules: served, configuration: configuration, hostCalls: hostCalls, logger: logger,
                    metricsText: metricsText)
            } catch {
                throw CLIError.gateway(error)
            }
            let servedNames = names.joined(separator: ", ")
            var paths: [String: String] = [:]
            for argument in modules {
                let (name, path) = ServedModule.nameAndPath(argument)
                paths[name] = path
            }
            let watcher = ServeReload(
                gateway: gateway, runtime: runtime, modules: paths, configPath: service.config, logger: logger
            )
            .watcher(interval: try reload.interval())
            let server = GatewayService(gateway) { port in
                logger.notice(
                    "listening",
                    metadata: [
                        "address": "http://\(configuration.host):\(port)", "modules": "\(servedNames)",
                        "filters": "\(filterNames)",
                    ])
            }
            // The exporter first, so that it stops last and flushes the final spans.
            let services: [any Service] = (tracing.map { [$0] } ?? []) + [watcher, server]
            let group = ServiceGroup(
                configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            do {
                try await group.run()
            } catch let error as GatewayConfigurationError {
                throw CLIError.gateway(error)
            } catch {
                throw CLIError.io("cannot serve on \(host):\(port): \(error)")
            }
            logger.notice("stopped")
        }
    }
}
