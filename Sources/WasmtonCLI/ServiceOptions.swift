import ArgumentParser
import Logging
import OTel
import ServiceLifecycle

/// The options of the long-running commands (`serve`, `proxy`, `process`): a config file to read
/// the rest from, and how to log.
struct ServiceOptions: ParsableArguments, ConfigurableOptions {
    @Option(
        help: ArgumentHelp(
            "Read this command's options from a config file (YAML; see README). Options given here win.",
            valueName: "FILE"))
    var config: String?

    @Option(help: ArgumentHelp("Log level: trace, debug, info, notice, warning, error.", valueName: "LEVEL"))
    var logLevel: String = "info"

    @Option(help: ArgumentHelp("Log lines as text, or as one JSON object each (json).", valueName: "FORMAT"))
    var logFormat: String = "text"

    @Option(
        help: ArgumentHelp(
            "Export OpenTelemetry traces over OTLP/HTTP to this collector (http://HOST:4318: spans go to /v1/traces).",
            valueName: "URL"))
    var otlpEndpoint: String?

    static var configFields: [String: ConfigField<Self>] {
        ["log-level": .value(\.logLevel), "log-format": .value(\.logFormat), "otlp-endpoint": .optional(\.otlpEndpoint)]
    }

    mutating func validate() throws {
        try validating { try check() }
    }

    /// The checks of ``validate()``, also for values from a config file.
    func check() throws(CLIError) {
        _ = try level()
        _ = try format()
        if let otlpEndpoint, !(otlpEndpoint.hasPrefix("http://") || otlpEndpoint.hasPrefix("https://")) {
            throw .option("otlp-endpoint", "--otlp-endpoint '\(otlpEndpoint)' must start with http:// or https://")
        }
    }

    /// With `--otlp-endpoint`: bootstraps the tracer (traces only; logs and metrics have their own
    /// backends) and returns the service that exports spans, to run beside the command's own.
    func tracing() throws(CLIError) -> (any Service)? {
        guard let otlpEndpoint else { return nil }
        var configuration = OTel.Configuration.default
        configuration.serviceName = "wasmton"
        configuration.logs.enabled = false
        configuration.metrics.enabled = false
        configuration.diagnosticLogger = .custom(Logger(label: "wasmton.otel"))
        // The collector's base URL, as OTEL_EXPORTER_OTLP_ENDPOINT: traces go to /v1/traces.
        let base = otlpEndpoint.hasSuffix("/") ? String(otlpEndpoint.dropLast()) : otlpEndpoint
        let hasPath = base.split(separator: "/", omittingEmptySubsequences: false).count > 3
        configuration.traces.otlpExporter.endpoint = hasPath ? base : base + "/v1/traces"
        configuration.traces.batchSpanProcessor.scheduleDelay = .milliseconds(500)
        do {
            return try OTel.bootstrap(configuration: configuration)
        } catch {
            throw .option("otlp-endpoint", "--otlp-endpoint: \(error)")
        }
    }

    func level() throws(CLIError) -> Logger.Level {
        try StandardErrorLogging.level(logLevel)
    }

    func format() throws(CLIError) -> StandardErrorLogging.Format {
        guard let format = StandardErrorLogging.Format(rawValue: logFormat) else {
            throw .option("log-format", "--log-format '\(logFormat)' is not one of text, json")
        }
        return format
    }

    /// Sends every logger to stderr at the chosen level and format.
    func bootstrap() throws(CLIError) {
        StandardErrorLogging.bootstrap(level: try level(), format: try format())
    }
}
