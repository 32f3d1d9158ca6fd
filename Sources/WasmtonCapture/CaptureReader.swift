import Foundation
import WasmtonContracts

/// Reads a capture file entry by entry: the header on `init`, then ``nextRecord()`` or
/// ``nextRequest()`` until `nil`. Blank lines are skipped.
public final class CaptureReader {
    /// The file read.
    public let path: String
    /// What the file holds, from its header.
    public let kind: CaptureKind
    private let handle: FileHandle
    private let decoder = JSONDecoder()
    private var buffer: [UInt8] = []
    private var start = 0
    private var endOfFile = false
    private var lineNumber = 0

    /// Opens `path` and reads its header.
    public init(path: String) throws(CaptureError) {
        self.path = path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .unreadable(path: path, reason: "no such file")
        }
        guard !isDirectory.boolValue, let handle = FileHandle(forReadingAtPath: path) else {
            throw .unreadable(path: path, reason: isDirectory.boolValue ? "is a directory" : "cannot open it for reading")
        }
        self.handle = handle
        let chunk = (try? handle.read(upToCount: 1 << 16)) ?? Data()
        buffer = Array(chunk)
        endOfFile = chunk.isEmpty
        let end = buffer.firstIndex(of: UInt8(ascii: "\n")) ?? buffer.count
        guard let header = try? JSONDecoder().decode(CaptureLine.Header.self, from: Data(buffer[..<end])),
            header.version == CaptureLine.version, let kind = CaptureKind(rawValue: header.kind)
        else { throw .notACapture(path: path) }
        self.kind = kind
        start = min(end + 1, buffer.count)
        lineNumber = 1
    }

    deinit {
        try? handle.close()
    }

    /// Whether the file at `path` starts with a capture header (without reporting why not).
    public static func isCapture(_ path: String) -> Bool {
        (try? CaptureReader(path: path)) != nil
    }

    /// How many entries the file holds (its non-blank lines after the header), counted in one
    /// pass over the bytes: for progress and ETA.
    public static func count(_ path: String) throws(CaptureError) -> Int {
        let reader = try CaptureReader(path: path)
        var count = 0
        while let line = try reader.readLine() {
            if !line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) { count += 1 }
        }
        return count
    }

    /// The next record, or `nil` at the end of the file.
    public func nextRecord() throws(CaptureError) -> CapturedRecord? {
        guard kind == .records else { throw .wrongKind(path: path, found: kind, expected: .records) }
        guard let line = try nextLine() else { return nil }
        let record: CaptureLine.Record
        do {
            record = try decoder.decode(CaptureLine.Record.self, from: Data(line))
        } catch {
            throw .malformed(path: path, line: lineNumber, reason: CaptureLine.reason(error))
        }
        let task = StreamTask(
            key: record.key.map { Array($0) }, value: Array(record.value),
            headers: (record.headers ?? []).map { StreamTask.Header(name: $0.name, value: Array($0.value)) },
            topic: record.topic, partition: record.partition, offset: record.offset)
        return CapturedRecord(task: task, timestampMilliseconds: record.timestamp)
    }

    /// The next waPC request, or `nil` at the end of the file.
    public func nextRequest() throws(CaptureError) -> CapturedRequest? {
        guard kind == .wapc else { throw .wrongKind(path: path, found: kind, expected: .wapc) }
        guard let line = try nextLine() else { return nil }
        let request: CaptureLine.Request
        do {
            request = try decoder.decode(CaptureLine.Request.self, from: Data(line))
        } catch {
            throw .malformed(path: path, line: lineNumber, reason: CaptureLine.reason(error))
        }
        return CapturedRequest(
            module: request.module, operation: request.operation, payload: Array(request.payload),
            timestampMilliseconds: request.timestamp)
    }

    /// The next non-blank line.
    private func nextLine() throws(CaptureError) -> ArraySlice<UInt8>? {
        while let line = try readLine() {
            if !line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) { return line }
        }
        return nil
    }

    /// The next line without its newline (and `\r`), or `nil` at the end.
    private func readLine() throws(CaptureError) -> ArraySlice<UInt8>? {
        while true {
            if let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
                var line = buffer[start..<newline]
                if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
                start = newline + 1
                lineNumber += 1
                return line
            }
            if endOfFile {
                guard start < buffer.count else { return nil }
                let line = buffer[start...]
                start = buffer.count
                lineNumber += 1
                return line
            }
            if start > 0 {
                buffer.removeFirst(start)
                start = 0
            }
            let chunk: Data?
            do {
                chunk = try handle.read(upToCount: 1 << 16)
            } catch {
                throw .unreadable(path: path, reason: error.localizedDescription)
            }
            guard let chunk, !chunk.isEmpty else {
                endOfFile = true
                continue
            }
            buffer.append(contentsOf: chunk)
        }
    }
}
