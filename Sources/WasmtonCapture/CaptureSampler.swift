import Dispatch
import Foundation
import Synchronization

/// Samples waPC requests into a capture file from many threads at once, for `serve --capture`:
/// every `every`-th request is kept until `limit` are, written by a background queue so that a
/// caller (an event loop) never waits for the disk. ``offer(module:operation:payload:)`` costs
/// one atomic increment for a request that is not kept.
public final class CaptureSampler: Sendable {
    /// Keep one request in this many (1: all).
    public let every: Int
    /// Stop after this many.
    public let limit: Int
    /// The file written.
    public let path: String
    private let seen = Atomic<Int>(0)
    private let kept = Atomic<Int>(0)
    private let queue = DispatchQueue(label: "wasmton-capture")
    private let writer: Mutex<CaptureWriter?>

    /// Creates the file (truncating it) and writes its header.
    public init(path: String, every: Int, limit: Int) throws(CaptureError) {
        precondition(every >= 1 && limit >= 1)
        self.path = path
        self.every = every
        self.limit = limit
        writer = Mutex(try CaptureWriter(path: path, kind: .wapc))
    }

    /// Requests kept so far.
    public var count: Int { min(kept.load(ordering: .relaxed), limit) }

    /// Offers one request: kept if it is a sampled one and the limit is not reached.
    public func offer(module: String, operation: String, payload: [UInt8]) {
        let number = seen.wrappingAdd(1, ordering: .relaxed).oldValue
        guard number % every == 0, kept.load(ordering: .relaxed) < limit else { return }
        guard kept.wrappingAdd(1, ordering: .relaxed).oldValue < limit else { return }
        let request = CapturedRequest(
            module: module, operation: operation, payload: payload,
            timestampMilliseconds: Int64(Date().timeIntervalSince1970 * 1000))
        queue.async { [self] in
            writer.withLock { writer in
                try? writer?.write(request)
                try? writer?.flush()
            }
        }
    }

    /// Waits for pending writes and closes the file.
    public func close() {
        queue.sync {}
        writer.withLock { writer in
            try? writer?.close()
            writer = nil
        }
    }
}
