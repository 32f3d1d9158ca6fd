import ArgumentParser
import WasmtonGateway

/// The listener limits of `serve` and `proxy`: an idle timeout and a connection cap.
struct ConnectionOptions: ParsableArguments, ConfigurableOptions {
    @Option(
        help: ArgumentHelp(
            "Close a connection with no request in progress, or only part of a request's head, after this long (e.g. 60, 500ms).",
            valueName: "SECONDS"))
    var idleTimeout: String = "60"

    @Option(help: ArgumentHelp("Connections open at once; more are closed with a warning.", valueName: "N"))
    var maxConnections: Int = 10_000

    static var configFields: [String: ConfigField<Self>] {
        ["idle-timeout": .value(\.idleTimeout), "max-connections": .value(\.maxConnections)]
    }

    mutating func validate() throws {
        try validating { _ = try limits() }
    }

    /// The options, parsed.
    func limits() throws(CLIError) -> ConnectionLimits {
        guard let timeout = SandboxOptions.parseDuration(idleTimeout), timeout > .zero else {
            throw .option("idle-timeout", "--idle-timeout '\(idleTimeout)' is not a positive duration (examples: 60, 500ms)")
        }
        guard maxConnections >= 1 else { throw .option("max-connections", "--max-connections must be at least 1") }
        return ConnectionLimits(idleTimeout: timeout, maxConnections: maxConnections)
    }
}
