import Hummingbird
import NIOCore

/// Reads a client's request body for the filters, one chunk at a time, saying which chunk is the
/// last (by the `Content-Length`, so the end usually comes with data rather than as an extra
/// empty event).
///
/// `@unchecked Sendable`: the iterator is advanced by one task at a time. ``FilterPassage`` reads
/// until the filters let the headers go and only then hands the reader to the forwarded body,
/// whose single iterator reads the rest; the passage does not touch it again.
final class RequestBodyReader: @unchecked Sendable {
    private var iterator: RequestBody.AsyncIterator
    private var remaining: Int?
    /// The whole body has been read (or there was none).
    private(set) var ended: Bool

    init(_ request: Request) {
        iterator = request.body.makeAsyncIterator()
        remaining = request.headers[.contentLength].flatMap(Int.init)
        ended = FilterHTTP.hasNoBody(request)
    }

    /// The next chunk; `end` is true for the last one (which may be empty).
    func read() async throws -> (bytes: [UInt8], end: Bool) {
        guard !ended else { return ([], true) }
        guard let chunk = try await iterator.next() else {
            ended = true
            return ([], true)
        }
        let bytes = Array(buffer: chunk)
        if let left = remaining {
            remaining = left - bytes.count
            if left - bytes.count <= 0 {
                // Let the server see the end of the body it framed.
                while try await iterator.next() != nil {}
                ended = true
            }
        }
        return (bytes, ended)
    }
}
