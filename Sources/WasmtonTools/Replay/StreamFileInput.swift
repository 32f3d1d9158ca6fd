import Foundation
import WasmtonCapture
public import WasmtonStreams

/// The records of a `process --input` file (`lines` or `jsonl`), read by the stream engine's
/// own file source: the same records, topic (the file's name), partition 0 and offsets (line
/// numbers) that `process` would see.
public final class StreamFileInput: ReplayInput {
    /// The file's non-blank lines, counted up front for progress and ETA.
    public let expectedCount: Int?
    private let source: FileRecordSource
    private var pending: [CapturedRecord] = []
    private var exhausted = false

    /// Opens `path`, read as `format`, and counts its lines.
    public init(path: String, format: FileRecordSource.Format) throws(ReplayError) {
        do throws(StreamError) {
            source = try FileRecordSource(path: path, format: format)
        } catch {
            throw .input(error)
        }
        expectedCount = Self.nonBlankLines(path)
    }

    /// How many lines of `path` hold more than spaces and tabs; `nil` if it cannot be read.
    static func nonBlankLines(_ path: String) -> Int? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        var count = 0
        var blank = true
        while let chunk = try? handle.read(upToCount: 1 << 16), !chunk.isEmpty {
            for byte in chunk {
                switch byte {
                case UInt8(ascii: "\n"):
                    if !blank { count += 1 }
                    blank = true
                case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
                    break
                default:
                    blank = false
                }
            }
        }
        return blank ? count : count + 1
    }

    deinit {
        source.close()
    }

    public func next() throws(ReplayError) -> ReplayItem? {
        while pending.isEmpty {
            guard !exhausted else { return nil }
            do throws(StreamError) {
                let batch = try source.poll(maxRecords: 256, timeout: .zero)
                pending = batch.records.reversed().map { CapturedRecord(task: $0) }
                exhausted = batch.exhausted
            } catch {
                throw .input(error)
            }
        }
        return .record(pending.removeLast())
    }
}
