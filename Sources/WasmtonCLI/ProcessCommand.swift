import ArgumentParser
import Dispatch
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import WasmtonContracts
import WasmtonRuntime
import WasmtonStreams

#if canImport(Glibc)
    import Glibc
#endif

/// `wasmton process MODULE (--input FILE | --bootstrap-servers … --topic … --group …)`: run a
/// PollTask processor over a file or a Kafka topic with Decaton's processing model.
struct ProcessCommand: AsyncParsableCommand, ConfigurableCommand {
    static let configuration = CommandConfiguration(
        commandName: "process",
        abstract: "Run a PollTask stream processor over a local file or a Kafka topic.",
        discussion: """
            With --input, records come from a local file (one per line; --input-format jsonl for \
            {"key","value","headers"} lines) and the command exits when the file is done, unless --follow. \
            With --bootstrap-servers, --topic and --group, it consumes Kafka until SIGINT/SIGTERM. Records of one \
            key are processed one at a time in offset order; failures go to a retry topic and, after --max-retries, \
            to a dead-letter topic. With --state-dir, processors keep key-scoped state (wasmton.state_get/put/delete) \
            that survives restarts and is changed once per record; in Kafka mode it is backed by a changelog topic.
            """)

    @OptionGroup(title: "Input (embedded default, no broker)") var file: FileInputOptions
    @OptionGroup(title: "Kafka") var kafka: KafkaOptions
    @OptionGroup(title: "Processing") var processing: ProcessingOptions
    @OptionGroup(title: "State") var state: StateOptions
    @OptionGroup(title: "Sandbox") var sandbox: SandboxOptions

    @OptionGroup(title: "Service") var service: ServiceOptions

    @Option(help: ArgumentHelp("Serve Prometheus metrics at http://HOST:PORT/metrics.", valueName: "PORT"))
    var metricsPort: Int?

    @Option(help: ArgumentHelp("Address for --metrics-port (0.0.0.0 in a container).", valueName: "HOST"))
    var metricsHost: String = "127.0.0.1"

    @Option(help: ArgumentHelp("With --config: the stream to run (needed when the file has several).", valueName: "NAME"))
    var stream: String?

    @OptionGroup(title: "Reload") var reload: ReloadOptions

    @Argument(help: "The processor module (.wasm or .wat): exports memory and run, imports decaton.poll_task.")
    var module: String?

    static var configFields: [String: ConfigField<Self>] {
        ConfigField.merging(
            [
                "metrics-port": .optional(\.metricsPort), "metrics-host": .value(\.metricsHost),
                ConfigSettings.positional: .optional(\.module),
            ],
            groups: [
                ConfigField.group(\.file), ConfigField.group(\.kafka), ConfigField.group(\.processing),
                ConfigField.group(\.state), ConfigField.group(\.sandbox),
                ConfigField.group(\.service), ConfigField.group(\.reload),
            ])
    }

    var configPath: String? { service.config }

    func settings(from file: ConfigFile) throws(ConfigError) -> ConfigSettings { try file.processSettings(stream: stream) }

    /// With `--config`, the checks wait for the file's values (``ConfigCommandLine``).
    mutating func validate() throws {
        if stream != nil, configPath == nil { throw ValidationError("--stream names a stream of a --config file") }
        guard configPath == nil else { return }
        try validating { try check() }
    }

    /// The checks that need no files, so `check-config` makes them too.
    func check() throws(CLIError) {
        try service.check()
        _ = try reload.interval()
        let module = try processor()
        let input = try StreamInput(file: file, kafka: kafka)
        _ = try processing.settings(for: input)
        _ = try state.settings(for: input)
        _ = try sandbox.sandbox(arguments: [module], stdio: .inherit, modulePath: module)
    }

    /// The processor module's path.
    func processor() throws(CLIError) -> String {
        guard let module else { throw .usage("name the processor module (or a stream's module: in the config file)") }
        return module
    }

    func run() async throws {
        try await reportingFailures {
            let module = try processor()
            let input = try StreamInput(file: file, kafka: kafka)
            var limits = try sandbox.sandbox(arguments: [module], stdio: .inherit, modulePath: module)
            if limits.limits.timeout == nil { limits.limits.timeout = ProcessingOptions.defaultTimeout }
            let runtime = try sandbox.runtime(meteringOnWasmKit: true)
            let loaded = try runtime.load(path: module)
            let factory = ProcessorFactory(
                runtime: runtime, module: loaded, sandbox: limits, isolateTasks: processing.isolateTasks)
            var settings = try processing.settings(for: input)
            settings.state = try state.settings(for: input)

            try service.bootstrap()
            let logger = Logger(label: "wasmton.process")
            // Listed first so that they stop last: the group shuts its services down in reverse.
            var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
            if let tracing = try service.tracing() { services.append(.init(service: tracing)) }
            let metricsUp = ListeningGate()
            if let port = metricsPort {
                services.append(.init(service: MetricsEndpoint(host: metricsHost, port: port, onListening: metricsUp.open)))
            } else {
                metricsUp.open()
            }
            let engine: StreamEngine
            do throws(StreamError) {
                engine = try StreamEngine(settings: settings, factory: factory, logger: logger)
            } catch {
                throw CLIError.stream(error)
            }
            let streamService = StreamService(engine: engine) { [input] engine throws(StreamError) in
                try input.run(engine: engine)
            }
            // When the input ends (a file without --follow), or the stream fails, the rest stop too.
            services.append(
                .init(
                    service: metricsUp.holding(streamService), successTerminationBehavior: .gracefullyShutdownGroup,
                    failureTerminationBehavior: .gracefullyShutdownGroup))
            let reloading = ProcessReload(
                engine: engine, runtime: runtime, sandbox: limits, isolateTasks: processing.isolateTasks, modulePath: module,
                configPath: service.config, stream: stream, logger: logger)
            services.insert(.init(service: reloading.watcher(interval: try reload.interval())), at: services.count - 1)
            let group = ServiceGroup(configuration: .init(services: services, logger: logger))
            let signals = ShutdownSignals { Task { await group.triggerGracefulShutdown() } }
            defer { signals.cancel() }
            do {
                try await group.run()
            } catch let error as StreamError {
                throw CLIError.stream(error)
            }
            guard let summary = streamService.summary else { throw CLIError.io("the stream stopped without a summary") }
            let line =
                "processed \(summary.processed), discarded \(summary.discarded), retried \(summary.retried), dead-lettered \(summary.deadLettered), emitted \(summary.emitted)"
            FileHandle.standardError.write(Data("wasmton: \(line)\n".utf8))
            if summary.deadLettered > 0, case .file = input {
                throw CLIError.failedRecords(summary.deadLettered)
            }
        }
    }
}

/// Calls `onShutdown` on the first SIGINT or SIGTERM; a second one exits at once (130).
final class ShutdownSignals {
    private let sources: [any DispatchSourceSignal]

    init(onShutdown: @escaping @Sendable () -> Void) {
        let count = Mutex(0)
        sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                let seen = count.withLock { value -> Int in
                    value += 1
                    return value
                }
                if seen > 1 {
                    FileHandle.standardError.write(Data("wasmton: second signal, exiting without a final commit\n".utf8))
                    exit(130)
                }
                onShutdown()
            }
            source.resume()
            return source
        }
    }

    func cancel() {
        for source in sources { source.cancel() }
    }
}
