import ArgumentParser
import Foundation
import WasmtonKafka

/// The options of `capture` and `replay` that pick a range of a topic to read, read-only: no
/// group is joined and nothing is committed or produced.
struct KafkaRangeOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Kafka brokers to bootstrap from.", valueName: "HOST:PORT[,…]"))
    var bootstrapServers: String?

    @Option(help: ArgumentHelp("The topic to read.", valueName: "TOPIC"))
    var topic: String?

    @Option(help: ArgumentHelp("A partition to read (repeatable; default: all of the topic's).", valueName: "N"))
    var partition: [Int32] = []

    @Option(help: ArgumentHelp("Start at this offset in each partition (default: the earliest kept).", valueName: "OFFSET"))
    var fromOffset: Int64?

    @Option(
        help: ArgumentHelp(
            "Start at the first record at or after this time: milliseconds since 1970, or ISO 8601 (2026-12-07T10:00:00Z).",
            valueName: "TIME"))
    var fromTime: String?

    @Option(help: ArgumentHelp("Read at most N records per partition (default: up to the end as it is now).", valueName: "N"))
    var count: Int64?

    @Option(
        name: .customShort("X"),
        help: ArgumentHelp(
            "A librdkafka property, passed unchanged (repeatable); group and commit settings are overridden.",
            valueName: "KEY=VALUE"))
    var properties: [String] = []

    var isUsed: Bool {
        bootstrapServers != nil || topic != nil || !partition.isEmpty || fromOffset != nil || fromTime != nil
            || count != nil || !properties.isEmpty
    }

    /// The checks that need no broker.
    func check() throws(CLIError) {
        guard bootstrapServers != nil, topic != nil else {
            throw .usage("reading Kafka needs both --bootstrap-servers and --topic")
        }
        if fromOffset != nil, fromTime != nil { throw .usage("give --from-offset or --from-time, not both") }
        if let fromOffset, fromOffset < 0 { throw .usage("--from-offset cannot be negative") }
        if let count, count < 1 { throw .usage("--count must be at least 1") }
        if let bad = partition.first(where: { $0 < 0 }) { throw .usage("--partition \(bad) is not a partition number") }
        _ = try start()
        _ = try kafkaProperties()
    }

    func start() throws(CLIError) -> KafkaRangeStart {
        if let fromOffset { return .offset(fromOffset) }
        guard let fromTime else { return .beginning }
        if let milliseconds = Int64(fromTime) { return .time(milliseconds: milliseconds) }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let plain = ISO8601DateFormatter()
        guard let date = formatter.date(from: fromTime) ?? plain.date(from: fromTime) else {
            throw .usage(
                "--from-time '\(fromTime)' is neither milliseconds since 1970 nor an ISO 8601 time (2026-12-07T10:00:00Z)")
        }
        return .time(milliseconds: Int64((date.timeIntervalSince1970 * 1000).rounded()))
    }

    func kafkaProperties() throws(CLIError) -> KafkaProperties {
        var parsed: KafkaProperties
        do {
            parsed = try KafkaProperty.parse(all: properties)
        } catch {
            throw .usage("-X: \(error)")
        }
        if let bootstrapServers { parsed.insert((key: "bootstrap.servers", value: bootstrapServers), at: 0) }
        // librdkafka's own log lines (a refused connection, say) would come before the one
        // `error:` line a failure ends with; -X log_level=6 brings them back.
        if KafkaProperty.value(of: "log_level", in: parsed) == nil { parsed.insert((key: "log_level", value: "2"), at: 0) }
        return parsed
    }

    /// The ranges to read, asked of the broker.
    func ranges() throws(CLIError) -> [KafkaRange] {
        try check()
        let properties = try kafkaProperties()
        let start = try start()
        do throws(KafkaError) {
            return try KafkaRangeReader.plan(
                topic: topic ?? "", partitions: partition.isEmpty ? nil : partition, start: start, count: count,
                properties: properties)
        } catch {
            throw .replay(.kafka(error))
        }
    }
}
