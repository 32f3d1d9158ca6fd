import WasmtonCapture
public import WasmtonStreams

/// The records of a `process --input` file (`lines` or `jsonl`), read by the stream engine's
/// own file source: the same records, topic (the file's name), partition 0 and offsets (line
/// numbers) that `process` would see.
public final class StreamFileInput: ReplayInput {
    public let expectedCount: Int? = nil
    private let source: FileRecordSource
    private var pending: [CapturedRecord] = []
    private var exhausted = false

    public init(path: String, format: FileRecordSource.Format) throws(ReplayError) {
        do throws(StreamError) {
            source = try FileRecordSource(path: path, format: format)
        } catch {
            throw .input(error)
        }
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
