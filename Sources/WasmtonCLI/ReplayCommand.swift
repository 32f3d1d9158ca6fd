import ArgumentParser
import Foundation
import WasmtonCapture
import WasmtonContracts
import WasmtonGateway
import WasmtonRuntime
import WasmtonStreams
import WasmtonTools

#if canImport(Glibc)
    import Glibc
#endif

/// `wasmton replay NEW.wasm [--baseline OLD.wasm] (--input FILE | --bootstrap-servers … --topic …)`:
/// what a new version of a module does to recorded traffic, compared with the old one.
struct ReplayCommand: ParsableCommand, ConfigurableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay recorded records (or waPC requests) through a module, and compare it with its baseline.",
        discussion: """
            Every input runs through the module (and --baseline) under the production sandbox and limits \
            (--config FILE --stream NAME takes them from a stream, or with --wapc from the http section; options \
            given here win), on a reused instance or a fresh one per input with --isolate-tasks. Fuel is metered. \
            Read-only: emitted records stay in memory, no offset is committed, sockets stay closed unless \
            --allow-connect. The report counts outcomes, lists the inputs the two modules handled differently \
            (the first 20; all with --json) and compares fuel and wall-time percentiles. Exit status: 0 when \
            equivalent, 1 when they differ or regress past --max-fuel-increase/--max-latency-increase, 2 for bad \
            options or input.
            """)

    /// The options of a config file's stream (or http section) that replay takes: sandbox and limits.
    static var configFields: [String: ConfigField<Self>] {
        ConfigField.merging(
            ["isolate-tasks": .value(\.isolateTasks), "fresh-instance": .value(\.isolateTasks)],
            groups: [ConfigField.group(\.sandbox)])
    }

    var configPath: String? { config }

    /// A stream's settings (the http section's with `--wapc`), without those that are not sandbox or limits.
    func settings(from file: ConfigFile) throws(ConfigError) -> ConfigSettings {
        let production = wapc ? try file.serveSettings() : try file.processSettings(stream: stream)
        return production.keeping(options: Set(Self.configFields.keys))
    }

    /// The sandbox's limits (the rest is checked by ``validate()``, which needs no config file).
    func check() throws(CLIError) {
        _ = try sandbox.sandbox(arguments: [], stdio: .discard, modulePath: nil)
    }

    @Argument(help: "The new module (.wasm or .wat): a PollTask processor, or a waPC module with --wapc.")
    var module: String

    @Option(help: ArgumentHelp("The module it replaces, to compare with.", valueName: "OLD.wasm"))
    var baseline: String?

    @Option(
        help: ArgumentHelp(
            "Read inputs from FILE: a capture file (`wasmton capture`, `serve --capture`) or a `process --input` file.",
            valueName: "FILE"))
    var input: String?

    @Option(
        help: ArgumentHelp(
            "How --input is read: auto (a capture file if it starts with a capture header, else lines), capture, lines or jsonl.",
            valueName: "FORMAT"))
    var inputFormat: String = "auto"

    @OptionGroup(title: "Kafka (read-only)") var kafka: KafkaRangeOptions

    @Flag(help: "The modules are waPC modules (implied by a capture of waPC requests).")
    var wapc = false

    @Option(help: ArgumentHelp("With waPC requests: replay only those captured for this served module.", valueName: "NAME"))
    var servedModule: String?

    @Flag(
        name: [.customLong("isolate-tasks"), .customLong("fresh-instance")],
        help: "A fresh instance for every input, as `process --isolate-tasks` and `serve --fresh-instance` do.")
    var isolateTasks = false

    @OptionGroup(title: "Sandbox") var sandbox: SandboxOptions

    @Option(help: ArgumentHelp("Take the sandbox and limits from this config file.", valueName: "FILE"))
    var config: String?

    @Option(help: ArgumentHelp("With --config: the stream whose sandbox and limits apply.", valueName: "NAME"))
    var stream: String?

    @Flag(help: "Print the report as one JSON object, with every differing input.")
    var json = false

    @Option(help: ArgumentHelp("Fail when the p50 or p99 fuel grows by more than PCT percent.", valueName: "PCT"))
    var maxFuelIncrease: Double?

    @Option(help: ArgumentHelp("Fail when the p50 or p99 wall time grows by more than PCT percent.", valueName: "PCT"))
    var maxLatencyIncrease: Double?

    mutating func validate() throws {
        try validating {
            if stream != nil, config == nil { throw CLIError.usage("--stream names a stream of a --config file") }
            if input != nil, kafka.isUsed {
                throw CLIError.usage(
                    "--input reads a file; it cannot be combined with Kafka options (--bootstrap-servers, --topic, …)")
            }
            if input == nil, !kafka.isUsed {
                throw CLIError.usage("give --input FILE, or --bootstrap-servers and --topic to read Kafka")
            }
            if kafka.isUsed { try kafka.check() }
            guard ["auto", "capture", "lines", "jsonl"].contains(inputFormat) else {
                throw CLIError.usage("--input-format '\(inputFormat)' is not one of: auto, capture, lines, jsonl")
            }
            for (name, value) in [("--max-fuel-increase", maxFuelIncrease), ("--max-latency-increase", maxLatencyIncrease)] {
                if let value, !(value >= 0 && value.isFinite) {
                    throw CLIError.usage("\(name) must be a percentage of 0 or more")
                }
            }
            if baseline == nil, maxFuelIncrease != nil || maxLatencyIncrease != nil {
                throw CLIError.usage("--max-fuel-increase and --max-latency-increase compare with a --baseline")
            }
        }
    }

    func run() throws {
        var status: Int32 = 0
        try reportingFailures(status: 2) {
            let source = try openInput()
            let modules = try makeModules(wapc: source.wapc)
            defer { modules.close() }
            do throws(ReplayError) {
                try modules.check()
            } catch {
                throw CLIError.replay(error)
            }
            var builder = ReplayReportBuilder(
                candidate: module, baseline: baseline,
                thresholds: ReplayThresholds(maxFuelIncrease: maxFuelIncrease, maxLatencyIncrease: maxLatencyIncrease))
            let terminal = isatty(STDERR_FILENO) == 1
            let noun = source.wapc ? "requests" : "records"
            var line = ReplayProgressLine()
            let replayer = Replayer(
                modules: modules, onlyModule: servedModule,
                progress: terminal
                    ? { done, total in
                        let text = line.text(done: done, total: total, noun: noun)
                        FileHandle.standardError.write(Data("\r\u{1B}[K\(text)".utf8))
                    } : nil)
            do throws(ReplayError) {
                try replayer.run(source.input, into: &builder)
            } catch {
                throw CLIError.replay(error)
            }
            if terminal { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            let report = builder.report()
            let text = json ? ReplayReportJSON.render(report) : ReplayReportText.render(report)
            FileHandle.standardOutput.write(Data(text.utf8))
            status = report.isEquivalent ? 0 : 1
        }
        if status != 0 { throw ExitCode(status) }
    }

    /// The input, and whether it holds waPC requests.
    private func openInput() throws(CLIError) -> (input: any ReplayInput, wapc: Bool) {
        guard let input else {
            let ranges = try kafka.ranges()
            let properties = try kafka.kafkaProperties()
            do throws(ReplayError) {
                return (try KafkaRangeInput(ranges: ranges, properties: properties), false)
            } catch {
                throw .replay(error)
            }
        }
        do throws(ReplayError) {
            let format: String
            if inputFormat == "auto" {
                format = CaptureReader.isCapture(input) ? "capture" : "lines"
            } else {
                format = inputFormat
            }
            switch format {
            case "capture":
                let capture = try CaptureFileInput(path: input)
                return (capture, capture.kind == .wapc)
            default:
                return (try StreamFileInput(path: input, format: format == "jsonl" ? .jsonLines : .lines), false)
            }
        } catch {
            throw .replay(error)
        }
    }

    private func makeModules(wapc requests: Bool) throws(CLIError) -> ReplayModules {
        let wapc = self.wapc || requests
        let runtime = try sandbox.runtime(meteringOnWasmKit: true, countingFuel: true)
        let paths = [module] + (baseline.map { [$0] } ?? [])
        let names = paths.map { ServedModule.nameAndPath($0).name }
        func limits(for path: String) throws(CLIError) -> Sandbox {
            var limits = try sandbox.sandbox(
                arguments: [path], stdio: .discard, modulePath: path,
                otherModules: names.filter { $0 != ServedModule.nameAndPath(path).name })
            if limits.limits.timeout == nil { limits.limits.timeout = ProcessingOptions.defaultTimeout }
            return limits
        }
        func load(_ path: String) throws(CLIError) -> WasmModule {
            do throws(ModuleError) {
                return try runtime.load(path: path)
            } catch {
                throw .module(error)
            }
        }
        if wapc {
            let candidate = WapcReplayer(
                runtime: runtime, module: try load(module), sandbox: try limits(for: module), freshInstance: isolateTasks)
            let old = try baseline.map { path throws(CLIError) in
                WapcReplayer(
                    runtime: runtime, module: try load(path), sandbox: try limits(for: path), freshInstance: isolateTasks)
            }
            return .wapc(candidate: candidate, baseline: old)
        }
        func replayer(_ path: String) throws(CLIError) -> PollTaskReplayer {
            PollTaskReplayer(
                factory: ProcessorFactory(
                    runtime: runtime, module: try load(path), sandbox: try limits(for: path), isolateTasks: isolateTasks))
        }
        let candidate = try replayer(module)
        let old = try baseline.map { path throws(CLIError) in try replayer(path) }
        return .pollTask(candidate: candidate, baseline: old)
    }
}
