import Foundation
import WasmtonStreams

/// Where `process` reads records from, decided by its options: a local file or a Kafka topic.
enum StreamInput {
    case file(path: String, format: FileRecordSource.Format, options: FileInputOptions)
    case kafka(KafkaInput)

    /// The file's retry topic (kept in memory) and the names the file sink routes.
    static let fileOutputTopic = "output"
    static let fileDeadLetterTopic = "dead-letters"

    init(file: FileInputOptions, kafka: KafkaOptions) throws(CLIError) {
        if let path = file.input {
            guard !kafka.isUsed else {
                throw .usage(
                    "--input reads a local file; it cannot be combined with Kafka options (--bootstrap-servers, --topic, --group, -X, …)"
                )
            }
            self = .file(path: path, format: try file.format(), options: file)
            return
        }
        guard file.output == nil, file.deadLetterFile == nil, !file.follow, file.inputFormat == "lines" else {
            throw .usage("--output, --dead-letter-file, --follow and --input-format apply to --input only")
        }
        guard let servers = kafka.bootstrapServers, let topic = kafka.topic, let group = kafka.group else {
            throw .usage("give --input FILE, or all of --bootstrap-servers, --topic and --group")
        }
        self = .kafka(try KafkaInput(servers: servers, topic: topic, group: group, options: kafka))
    }

    /// The retry and dead-letter topics for this input (`nil` retry topic when retries are off).
    func retryTopics(retrying: Bool) -> (String?, String?) {
        switch self {
        case .file(let path, _, let options):
            let name = URL(fileURLWithPath: path).lastPathComponent
            return (retrying ? "\(name)-retry" : nil, options.deadLetterFile == nil ? nil : Self.fileDeadLetterTopic)
        case .kafka(let input):
            return (retrying ? input.retryTopic : nil, input.deadLetterTopic)
        }
    }

    var outputTopic: String? {
        switch self {
        case .file: return Self.fileOutputTopic
        case .kafka(let input): return input.outputTopic
        }
    }

    /// Builds the source and sink and runs `engine` over them until done or shut down.
    func run(engine: StreamEngine) throws(StreamError) -> StreamSummary {
        switch self {
        case .file(let path, let format, let output):
            let retryTopic = engine.settings.retry.retryTopic.map(LocalTopic.init(name:))
            let source = try FileRecordSource(path: path, format: format, follow: output.follow, retryTopic: retryTopic)
            var routes: [String: FileRecordSink.Destination] = [
                Self.fileOutputTopic: output.output.flatMap { $0 == "-" ? nil : .jsonLinesFile(path: $0) }
                    ?? .standardOutput
            ]
            if let retryTopic { routes[retryTopic.name] = .localTopic(retryTopic) }
            if let deadLetters = output.deadLetterFile {
                routes[Self.fileDeadLetterTopic] = .jsonLinesFile(path: deadLetters)
            }
            let sink = try FileRecordSink(routes: routes)
            return try engine.run(source: source, sink: sink)
        case .kafka(let input):
            return try engine.run(kafka: input.subscription)
        }
    }
}
