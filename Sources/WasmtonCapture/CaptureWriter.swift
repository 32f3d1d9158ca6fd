import Foundation

/// Writes a capture file: the header line for its kind, then one line per entry. Not safe to
/// share between threads (``CaptureSampler`` is); `close()` flushes and closes the file.
public final class CaptureWriter {
    /// The file written.
    public let path: String
    /// What the file holds.
    public let kind: CaptureKind
    /// Entries written so far.
    public private(set) var count = 0
    private let handle: FileHandle
    private let encoder = CaptureLine.encoder()
    private var pending: [UInt8] = []
    private var closed = false

    /// Creates (or truncates) `path` and writes the header.
    public init(path: String, kind: CaptureKind) throws(CaptureError) {
        self.path = path
        self.kind = kind
        guard FileManager.default.createFile(atPath: path, contents: nil),
            let handle = FileHandle(forWritingAtPath: path)
        else {
            throw .unreadable(path: path, reason: "cannot create the file (does its directory exist and is it writable?)")
        }
        self.handle = handle
        pending = CaptureLine.header(kind) + [UInt8(ascii: "\n")]
        try flush()
    }

    deinit {
        if !closed { try? handle.close() }
    }

    /// Appends a stream record (the file must be of kind ``CaptureKind/records``).
    public func write(_ record: CapturedRecord) throws(CaptureError) {
        precondition(kind == .records, "a \(kind.rawValue) capture holds no records")
        append(CaptureLine.encode(record, with: encoder))
        if pending.count >= 1 << 16 { try flush() }
    }

    /// Appends a waPC request (the file must be of kind ``CaptureKind/wapc``).
    public func write(_ request: CapturedRequest) throws(CaptureError) {
        precondition(kind == .wapc, "a \(kind.rawValue) capture holds no waPC requests")
        append(CaptureLine.encode(request, with: encoder))
        if pending.count >= 1 << 16 { try flush() }
    }

    /// Writes what is buffered.
    public func flush() throws(CaptureError) {
        guard !pending.isEmpty else { return }
        do {
            try handle.write(contentsOf: pending)
        } catch {
            throw .unreadable(path: path, reason: "cannot write: \(error.localizedDescription)")
        }
        pending.removeAll(keepingCapacity: true)
    }

    /// Flushes and closes the file.
    public func close() throws(CaptureError) {
        guard !closed else { return }
        defer {
            closed = true
            try? handle.close()
        }
        try flush()
    }

    private func append(_ line: [UInt8]) {
        pending += line
        pending.append(UInt8(ascii: "\n"))
        count += 1
    }
}
