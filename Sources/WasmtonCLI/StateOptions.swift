import ArgumentParser
import Foundation
import WasmtonContracts
import WasmtonStreams

/// `process` options for stateful processors: where the stores live, their limits, and the
/// changelog topic in Kafka mode.
struct StateOptions: ParsableArguments, ConfigurableOptions {
    @Option(
        help: ArgumentHelp(
            "Keep the processor's key-scoped state here (one SQLite store per partition); survives restarts.",
            valueName: "DIR"))
    var stateDir: String?

    @Option(help: ArgumentHelp("Kafka: the compacted changelog topic backing the state (TOPIC-state).", valueName: "TOPIC"))
    var stateTopic: String?

    @Option(help: ArgumentHelp("Largest value state_put accepts.", valueName: "BYTES"))
    var stateMaxValueBytes: String = "1M"

    @Option(help: ArgumentHelp("Most bytes of keys and values one partition's store may hold.", valueName: "BYTES"))
    var stateMaxBytes: String = "1G"

    static var configFields: [String: ConfigField<Self>] {
        [
            "state-dir": .optional(\.stateDir), "state-topic": .optional(\.stateTopic),
            "state-max-value-bytes": .value(\.stateMaxValueBytes), "state-max-bytes": .value(\.stateMaxBytes),
        ]
    }

    /// The state settings for `input`, or `nil` without `--state-dir`.
    func settings(for input: StreamInput) throws(CLIError) -> StateSettings? {
        guard let stateDir else {
            guard stateTopic == nil else { throw .option("state-topic", "--state-topic needs --state-dir") }
            return nil
        }
        guard let maxValue = SandboxOptions.parseBytes(stateMaxValueBytes), maxValue > 0 else {
            throw .option(
                "state-max-value-bytes", "--state-max-value-bytes '\(stateMaxValueBytes)' is not a size (examples: 4096, 64K, 1M)"
            )
        }
        guard let maxStore = SandboxOptions.parseBytes(stateMaxBytes), maxStore > 0 else {
            throw .option("state-max-bytes", "--state-max-bytes '\(stateMaxBytes)' is not a size (examples: 64M, 1G)")
        }
        let limits = StateLimits(maxValueBytes: maxValue, maxStoreBytes: maxStore)
        switch input {
        case .file(let path, _, _):
            guard stateTopic == nil else { throw .option("state-topic", "--state-topic applies to Kafka input only") }
            return StateSettings(
                directory: stateDir, topic: URL(fileURLWithPath: path).lastPathComponent, limits: limits,
                continuingOffsets: true)
        case .kafka(let kafka):
            let topic = kafka.subscription.topic
            let changelog = StateChangelog(topic: stateTopic ?? "\(topic)-state", subscription: kafka.subscription)
            return StateSettings(directory: stateDir, topic: topic, limits: limits, changelog: changelog)
        }
    }
}
