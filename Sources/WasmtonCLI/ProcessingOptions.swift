import ArgumentParser
import WasmtonStreams

/// `process` options of the engine itself, named after Decaton's processor properties.
struct ProcessingOptions: ParsableArguments, ConfigurableOptions {
    /// Per-task deadline when `--timeout` is not given, so a guest that never returns cannot stall a key forever.
    static let defaultTimeout = Duration.seconds(60)

    @Option(help: ArgumentHelp("Sub-partitions (concurrent workers) per partition.", valueName: "N"))
    var partitionConcurrency: Int = 1

    @Option(help: ArgumentHelp("Pause a partition when this many of its records are in flight.", valueName: "N"))
    var maxPendingRecords: Int = 10_000

    @Option(help: ArgumentHelp("How often completed offsets are committed, e.g. 1s, 500ms.", valueName: "DURATION"))
    var commitInterval: String = "1s"

    @Option(
        help: ArgumentHelp("Skip and commit records with this key (repeatable, or comma-separated).", valueName: "KEY"))
    var ignoreKeys: [String] = []

    @Option(help: ArgumentHelp("At most N tasks a second per partition.", valueName: "N"))
    var rateLimit: Int?

    @Flag(help: "Give every task a fresh instance instead of reusing one per sub-partition.")
    var isolateTasks = false

    @Option(help: ArgumentHelp("Attempts after the first before a record is dead-lettered.", valueName: "N"))
    var maxRetries: Int = 3

    @Option(help: ArgumentHelp("How long a failed record waits before it is retried, e.g. 1s.", valueName: "DURATION"))
    var retryBackoff: String = "1s"

    static var configFields: [String: ConfigField<Self>] {
        [
            "partition-concurrency": .value(\.partitionConcurrency), "max-pending-records": .value(\.maxPendingRecords),
            "commit-interval": .value(\.commitInterval), "ignore-keys": .list(\.ignoreKeys), "rate-limit": .optional(\.rateLimit),
            "isolate-tasks": .value(\.isolateTasks), "max-retries": .value(\.maxRetries), "retry-backoff": .value(\.retryBackoff),
        ]
    }

    func settings(for input: StreamInput) throws(CLIError) -> StreamSettings {
        var settings = StreamSettings()
        settings.partitionConcurrency = partitionConcurrency
        settings.maxPendingRecords = maxPendingRecords
        settings.rateLimitPerPartition = rateLimit
        settings.ignoredKeys = Set(
            ignoreKeys.flatMap { $0.split(separator: ",", omittingEmptySubsequences: true) }.map { Array($0.utf8) })
        guard let interval = SandboxOptions.parseDuration(commitInterval), interval > .zero else {
            throw .option(
                "commit-interval", "--commit-interval '\(commitInterval)' is not a positive duration (examples: 1s, 500ms)")
        }
        settings.commitInterval = interval
        guard let backoff = SandboxOptions.parseDuration(retryBackoff), backoff >= .zero else {
            throw .option("retry-backoff", "--retry-backoff '\(retryBackoff)' is not a duration (examples: 1s, 500ms, 0)")
        }
        guard maxRetries >= 0 else { throw .option("max-retries", "--max-retries cannot be negative") }
        let (retryTopic, deadLetterTopic) = input.retryTopics(retrying: maxRetries > 0)
        settings.retry = RetryPolicy(
            maxRetries: maxRetries, backoff: backoff, retryTopic: retryTopic, deadLetterTopic: deadLetterTopic)
        settings.outputTopic = input.outputTopic
        return settings
    }
}
