import Foundation
import WasmtonContracts

#if canImport(Glibc)
    import Glibc
#endif

/// The embedded default source: records read from a local file, so a processor runs with no
/// broker. The file is one partition (partition 0 of a topic named after the file), a record's
/// offset is its line number counted from 0, and blank lines are skipped.
///
/// With ``Format/lines`` each line's bytes are the value. With ``Format/jsonLines`` each line is
/// `{"key": …, "value": …, "headers": {…}}`: a string value is passed as its UTF-8 bytes, any
/// other JSON value serialized. With `follow`, the source keeps reading what is appended to the
/// file, like `tail -f`. Retried records go to an in-memory ``LocalTopic`` consumed alongside.
public final class FileRecordSource: RecordSource {
    /// How a line becomes a record.
    public enum Format: String, Sendable, CaseIterable {
        case lines
        case jsonLines = "jsonl"
    }

    public let path: String
    public let topic: String
    public let format: Format
    public let follow: Bool
    /// Where the engine's retries go and come back from, when retries are on.
    public let retryTopic: LocalTopic?

    private let descriptor: Int32
    private var buffer: [UInt8] = []
    private var bufferStart = 0
    private var endOfFile = false
    private var nextLine: Int64 = 0
    private var paused: Set<TopicPartition> = []
    private var fileClosed = false

    /// Opens `path`; fails with a message naming the file if it cannot be read.
    public init(
        path: String, format: Format = .lines, follow: Bool = false, retryTopic: LocalTopic? = nil
    )
        throws(StreamError)
    {
        self.path = path
        self.format = format
        self.follow = follow
        self.retryTopic = retryTopic
        topic = URL(fileURLWithPath: path).lastPathComponent
        var info = stat()
        if stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
            throw .unreadableInput(path: path, reason: "is a directory")
        }
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw .unreadableInput(path: path, reason: String(cString: strerror(errno)))
        }
    }

    deinit {
        if !fileClosed { _ = Glibc.close(descriptor) }
    }

    private var filePartition: TopicPartition { TopicPartition(topic: topic, partition: 0) }

    public func start(listener: any RebalanceListener) throws(StreamError) {
        var owned = [filePartition]
        if let retryTopic { owned.append(TopicPartition(topic: retryTopic.name, partition: 0)) }
        listener.partitionsAssigned(owned)
    }

    public func poll(maxRecords: Int, timeout: Duration) throws(StreamError) -> SourceBatch {
        var records: [StreamTask] = []
        if follow { endOfFile = false }  // look again for what was appended since
        if !paused.contains(filePartition) {
            while records.count < maxRecords, let (number, line) = try readLine() {
                if let record = try record(from: line, number: number) { records.append(record) }
            }
        }
        if let retryTopic, !paused.contains(TopicPartition(topic: retryTopic.name, partition: 0)) {
            records += retryTopic.take(max: max(0, maxRecords - records.count))
        }
        let exhausted = !follow && endOfFile && (retryTopic?.isDrained ?? true)
        if records.isEmpty, follow, timeout > .zero {
            usleep(UInt32(min(timeout, .milliseconds(50)) / .microseconds(1)))
        }
        return SourceBatch(records: records, exhausted: exhausted)
    }

    public func pause(_ partitions: [TopicPartition]) { paused.formUnion(partitions) }
    public func resume(_ partitions: [TopicPartition]) { paused.subtract(partitions) }

    /// A file has no group to commit to: the offsets are only counted in the engine's metrics.
    public func commit(_ offsets: [TopicPartition: Int64], synchronously: Bool) throws(StreamError) {}

    public func close() {
        guard !fileClosed else { return }
        fileClosed = true
        _ = Glibc.close(descriptor)
    }

    // MARK: Reading

    /// The next complete line and its number (from 0), or `nil` at the end of what is written.
    /// In follow mode a last line without its newline waits for the rest.
    private func readLine() throws(StreamError) -> (Int64, ArraySlice<UInt8>)? {
        while true {
            if let newline = Self.newline(in: buffer, from: bufferStart) {
                var line = buffer[bufferStart..<newline]
                if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
                bufferStart = newline + 1
                defer { nextLine += 1 }
                return (nextLine, line)
            }
            if endOfFile && !follow {
                guard bufferStart < buffer.count else { return nil }
                let line = buffer[bufferStart...]
                bufferStart = buffer.count
                defer { nextLine += 1 }
                return (nextLine, line)
            }
            if endOfFile { return nil }
            if bufferStart > 0 {
                buffer.removeFirst(bufferStart)
                bufferStart = 0
            }
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw .unreadableInput(path: path, reason: String(cString: strerror(errno)))
            }
            if count == 0 {
                endOfFile = true
                continue
            }
            buffer.append(contentsOf: chunk[..<count])
        }
    }

    /// The index of the first `\n` in `buffer` at or after `start`: `memchr` (vectorised), as a
    /// byte-by-byte search cost more than the rest of reading a record.
    private static func newline(in buffer: [UInt8], from start: Int) -> Int? {
        guard start < buffer.count else { return nil }
        return buffer.withUnsafeBytes { bytes -> Int? in
            guard let base = bytes.baseAddress,
                let found = memchr(base + start, Int32(UInt8(ascii: "\n")), bytes.count - start)
            else { return nil }
            return base.distance(to: UnsafeRawPointer(found))
        }
    }

    private func record(from line: ArraySlice<UInt8>, number: Int64) throws(StreamError) -> StreamTask? {
        if line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) { return nil }
        switch format {
        case .lines:
            return StreamTask(value: Array(line), topic: topic, partition: 0, offset: number)
        case .jsonLines:
            do {
                let parsed = try JSONLineRecord(line: line)
                return StreamTask(
                    key: parsed.key, value: parsed.value, headers: parsed.headers, topic: topic, partition: 0, offset: number)
            } catch {
                throw .malformedInput(path: path, line: Int(number) + 1, reason: error.reason)
            }
        }
    }
}
