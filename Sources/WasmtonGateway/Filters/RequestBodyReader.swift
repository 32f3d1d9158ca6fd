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
    private let body: RequestBody
    /// Made at the first read, so a request without a body leaves its body to the server.
    private var iterator: RequestBody.AsyncIterator?
    private var remaining: Int?
    /// The whole body has been read (or there was none).
    private(set) var ended: Bool

    init(_ request: Request) {
        body = request.body
        remaining = request.headers[.contentLength].flatMap(Int.init)
        ended = FilterHTTP.hasNoBody(request)
    }

    /// Nothing was read: the request's own body can go on as it is.
    var untouched: Bool { iterator == nil }

    /// The next chunk; `end` is true for the last one (which may be empty).
    func read() async throws -> (bytes: [UInt8], end: Bool) {
        guard !ended else { return ([], true) }
        var iterator = self.iterator ?? body.makeAsyncIterator()
        defer { self.iterator = iterator }
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
