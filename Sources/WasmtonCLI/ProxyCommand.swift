import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import WasmtonContracts
import WasmtonGateway
import WasmtonRuntime

/// `wasmton proxy --listen :P --upstream http://HOST:Q --filter F.wasm…`: a filtering reverse
/// proxy, like Envoy's HTTP listener with the wasm filter in front of one cluster.
struct ProxyCommand: AsyncParsableCommand, ConfigurableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proxy",
        abstract: "A reverse proxy that runs proxy-wasm filters (Envoy's wasm filter ABI 0.2.1) on every request.",
        discussion: """
            Every request runs through the filters in order (request headers, then body if a filter reads \
            bodies), is forwarded to the upstream unless a filter answered it, and its answer runs back through \
            the filters in reverse order. Bodies stream through unless a filter reads them; upstream connections \
            are kept alive; hop-by-hop headers are dropped and x-forwarded-for added. One VM per filter per \
            worker, reused across requests; a VM that traps is restarted (at most 5 times in 10 s). SIGTERM or \
            SIGINT lets in-flight requests finish, then exits 0.
            """)

    @Option(
        help: ArgumentHelp("Where to listen: PORT, :PORT or HOST:PORT (host 127.0.0.1 unless given).", valueName: "[HOST]:PORT"))
    var listen: String?

    @Option(help: ArgumentHelp("The service to forward to, e.g. http://127.0.0.1:8080.", valueName: "URL"))
    var upstream: String?

    @Option(help: ArgumentHelp("Filter VMs per filter (workers), default: cores.", valueName: "N"))
    var workers: Int = GatewayConfiguration.processorCount

    @Option(
        help: ArgumentHelp(
            "Most body bytes a filter may hold while it pauses (e.g. 1M, 64K); beyond: 413, or 502 for a response.",
            valueName: "BYTES"))
    var maxBodySize: String = "1M"

    @Option(help: ArgumentHelp("How long the upstream may take to answer (504 past it).", valueName: "SECONDS"))
    var upstreamTimeout: String = "30"

    @Option(help: ArgumentHelp("Serve Prometheus metrics at http://127.0.0.1:PORT/metrics.", valueName: "PORT"))
    var metricsPort: Int?

    /// How long a filter event may take and still run inline on the event loop (hidden: for
    /// benchmarks under valgrind, where every event is slower than the default 1 ms; `off`: never).
    @Option(
        help: ArgumentHelp(
            "Longest filter event that still runs inline on the event loop (default 1ms; off: never).",
            valueName: "DURATION", visibility: .hidden))
    var inlineFilterBudget: String = "1ms"

    @OptionGroup(title: "Connections") var connectionOptions: ConnectionOptions

    @OptionGroup(title: "Filters (proxy-wasm)") var filterOptions: FilterOptions

    @OptionGroup(title: "Sandbox") var sandbox: SandboxOptions

    @OptionGroup(title: "Service") var service: ServiceOptions

    static var configFields: [String: ConfigField<Self>] {
        ConfigField.merging(
            [
                "listen": .optional(\.listen), "upstream": .optional(\.upstream), "workers": .value(\.workers),
                "max-body-size": .value(\.maxBodySize), "upstream-timeout": .value(\.upstreamTimeout),
                "metrics-port": .optional(\.metricsPort),
            ],
            groups: [
                ConfigField.group(\.connectionOptions), ConfigField.group(\.filterOptions), ConfigField.group(\.sandbox),
                ConfigField.group(\.service),
            ])
    }

    var configPath: String? { service.config }

    func settings(from file: ConfigFile) throws(ConfigError) -> ConfigSettings { try file.proxySettings() }

    /// With `--config`, the checks wait for the file's values (``ConfigCommandLine``).
    mutating func validate() throws {
        guard configPath == nil else { return }
        try validating { try check() }
    }

    /// The checks that need no files, so `check-config` makes them too.
    func check() throws(CLIError) {
        try service.check()
        _ = try connectionOptions.limits()
        _ = try settings()
        _ = try inlineBudget()
    }

    /// `--listen`, `--upstream`, `--workers`, `--max-body-size` and `--upstream-timeout`, parsed.
    private func settings() throws(CLIError) -> (
        host: String, port: Int, target: FilteringProxy.Upstream, maxBody: Int, timeout: Duration
    ) {
        guard let listen else { throw .usage("give --listen [HOST]:PORT (or listen: in the config file's proxy section)") }
        guard let upstream else { throw .usage("give --upstream URL (or upstream: in the config file's proxy section)") }
        let (host, port) = try Self.address(listen)
        let target: FilteringProxy.Upstream
        do throws(GatewayConfigurationError) {
            target = try FilteringProxy.Upstream(parsing: upstream)
        } catch {
            throw .option("upstream", error.description)
        }
        guard workers >= 1 else { throw .option("workers", "--workers must be at least 1") }
        guard let maxBody = SandboxOptions.parseBytes(maxBodySize), maxBody > 0 else {
            throw .option("max-body-size", "--max-body-size '\(maxBodySize)' is not a size in bytes (examples: 1048576, 64K, 1M)")
        }
        guard let timeout = SandboxOptions.parseDuration(upstreamTimeout), timeout > .zero else {
            throw .option(
                "upstream-timeout", "--upstream-timeout '\(upstreamTimeout)' is not a positive duration (examples: 2, 500ms)")
        }
        return (host, port, target, maxBody, timeout)
    }

    /// `--inline-filter-budget`, parsed: nil for `off`.
    private func inlineBudget() throws(CLIError) -> Duration? {
        if inlineFilterBudget == "off" { return nil }
        guard let budget = SandboxOptions.parseDuration(inlineFilterBudget), budget > .zero else {
            throw .usage(
                "--inline-filter-budget '\(inlineFilterBudget)' is not a positive duration or off (examples: 1ms, 1s)")
        }
        return budget
    }

    func run() async throws {
        try await reportingFailures {
            let (host, port, target, maxBody, timeout) = try settings()
            var guestSandbox = try sandbox.sandbox(arguments: [], stdio: .inherit, modulePath: nil)
            // A filter callback that never returns must not hold a worker forever.
            if guestSandbox.limits.timeout == nil { guestSandbox.limits.timeout = .seconds(1) }
            let runtime = try sandbox.runtime(meteringOnWasmKit: true)
            let filters = try filterOptions.filters(runtime: runtime)
            try service.bootstrap()
            let tracing = try service.tracing()
            let metrics = metricsPort.map { MetricsEndpoint(host: "127.0.0.1", port: $0) }
            let logger = Logger(label: "wasmton.proxy")
            let chain: FilterChain?
            do throws(GatewayConfigurationError) {
                chain =
                    filters.isEmpty
                    ? nil
                    : try FilterChain(filters: filters, runtime: runtime, sandbox: guestSandbox, workers: workers, logger: logger)
            } catch {
                throw CLIError.gateway(error)
            }
            var configuration = FilteringProxy.Configuration(
                host: host, port: port, upstream: target, maxBodyBytes: maxBody, upstreamTimeout: timeout,
                connections: try connectionOptions.limits())
            configuration.inlineFilterBudget = try inlineBudget()
            let proxy = FilteringProxy(configuration: configuration, chain: chain, logger: logger)
            let names = filters.map(\.configuration.name).joined(separator: ", ")
            let server = ProxyService(proxy) { port in
                logger.notice(
                    "listening",
                    metadata: ["address": "http://\(host):\(port)", "upstream": "\(target.base)", "filters": "\(names)"])
            }
            // The exporter and metrics first, so that they stop last.
            let services: [any Service] = (tracing.map { [$0] } ?? []) + (metrics.map { [$0] } ?? []) + [server]
            let group = ServiceGroup(
                configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            do {
                try await group.run()
            } catch let error as CLIError {
                throw error
            } catch {
                throw CLIError.io("cannot proxy on \(host):\(port): \(error)")
            }
            let statistics = proxy.statistics
            logger.notice(
                "stopped",
                metadata: [
                    "requests_on_event_loop": "\(statistics.direct)", "requests_passed_on": "\(statistics.passedOn)",
                    "upstream_connections": "\(statistics.upstreamConnects)",
                ])
        }
    }

    /// Parses `--listen`: `8080`, `:8080` or `0.0.0.0:8080`.
    static func address(_ text: String) throws(CLIError) -> (host: String, port: Int) {
        var host = "127.0.0.1"
        var portText = Substring(text)
        if let colon = text.lastIndex(of: ":") {
            if colon != text.startIndex { host = String(text[..<colon]) }
            portText = text[text.index(after: colon)...]
        }
        guard let port = Int(portText), (0...65_535).contains(port) else {
            throw .option("listen", "--listen '\(text)' is not [HOST]:PORT (examples: :10000, 127.0.0.1:10000)")
        }
        return (host, port)
    }
}
