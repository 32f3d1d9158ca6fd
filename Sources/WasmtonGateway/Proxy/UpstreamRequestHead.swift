import NIOHTTP1

/// A request head for the upstream as HTTP/1.1 bytes (``ProxyHeaders`` writes them, framing
/// included), with the method the response's parser must know: the answer to a `HEAD` has no
/// body, whatever its `content-length` says.
struct UpstreamRequestHead {
    var bytes: HeadBytes
    var method: HTTPMethod
    /// The body goes in chunks (the client's came so); else it is as long as the head says.
    var chunked: Bool

    /// The text of the head, for tests.
    var text: String { bytes.text }
}
