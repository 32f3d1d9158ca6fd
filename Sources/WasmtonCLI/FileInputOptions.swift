import ArgumentParser
import WasmtonStreams

/// `process` options for the embedded default: records from a local file, outputs to files.
struct FileInputOptions: ParsableArguments, ConfigurableOptions {
    @Option(help: ArgumentHelp("Read records from FILE (one per line) instead of Kafka.", valueName: "FILE"))
    var input: String?

    @Option(help: ArgumentHelp("How a line becomes a record: lines (the line is the value) or jsonl.", valueName: "FORMAT"))
    var inputFormat: String = "lines"

    @Flag(help: "Keep reading what is appended to the input file, until SIGINT/SIGTERM.")
    var follow = false

    @Option(
        help: ArgumentHelp(
            "With --input: write emitted records to FILE as JSON lines ('-' for stdout, the default).",
            valueName: "FILE"))
    var output: String?

    @Option(
        help: ArgumentHelp(
            "With --input: write records that failed every attempt to FILE as JSON lines (default: log them).",
            valueName: "FILE"))
    var deadLetterFile: String?

    static var configFields: [String: ConfigField<Self>] {
        [
            "input": .optional(\.input), "input-format": .value(\.inputFormat), "follow": .value(\.follow),
            "output": .optional(\.output), "dead-letter-file": .optional(\.deadLetterFile),
        ]
    }

    func format() throws(CLIError) -> FileRecordSource.Format {
        guard let format = FileRecordSource.Format(rawValue: inputFormat) else {
            throw .option("input-format", "--input-format '\(inputFormat)' is not one of: lines, jsonl")
        }
        return format
    }
}
