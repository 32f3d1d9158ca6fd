import ArgumentParser
import Foundation
import WasmtonCapture
import WasmtonKafka
import WasmtonTools

/// `wasmton capture --bootstrap-servers … --topic … --output FILE`: copy a range of a topic into a
/// capture file, read-only, so that a replay can be repeated offline or attached to a bug report.
struct CaptureCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "capture",
        abstract: "Copy a range of a Kafka topic into a capture file, for `wasmton replay`.",
        discussion: """
            Reads the partitions (all, or --partition) from --from-offset or --from-time (default: the earliest \
            record kept) up to their end as it is when the capture starts, at most --count records per partition. \
            Read-only: no consumer group is joined, no offset is committed, nothing is produced. The file keeps each \
            record's key, value bytes, headers, topic, partition, offset and timestamp (JSON lines, bytes in base64; \
            see README, "Before you deploy"). Exit status 0, or 2 for bad options or an unreachable broker.
            """)

    @OptionGroup(title: "Kafka") var kafka: KafkaRangeOptions

    @Option(name: .shortAndLong, help: ArgumentHelp("The capture file to write (replaced if it exists).", valueName: "FILE"))
    var output: String

    mutating func validate() throws {
        try validating { try kafka.check() }
    }

    func run() throws {
        try reportingFailures(status: 2) {
            let ranges = try kafka.ranges()
            let properties = try kafka.kafkaProperties()
            do throws(ReplayError) {
                let writer: CaptureWriter
                do throws(CaptureError) {
                    writer = try CaptureWriter(path: output, kind: .records)
                } catch {
                    throw .capture(error)
                }
                let input = try KafkaRangeInput(ranges: ranges, properties: properties)
                while let item = try input.next() {
                    guard case .record(let record) = item else { continue }
                    do throws(CaptureError) { try writer.write(record) } catch { throw .capture(error) }
                }
                do throws(CaptureError) { try writer.close() } catch { throw .capture(error) }
                let read = ranges.filter { $0.count > 0 }.map(\.description).joined(separator: ", ")
                FileHandle.standardError.write(
                    Data(
                        "wasmton: captured \(writer.count) records from \(read.isEmpty ? "an empty range" : read) to \(output)\n"
                            .utf8))
            } catch {
                throw CLIError.replay(error)
            }
        }
    }
}
