import HTTPTypes
import Hummingbird
import NIOCore

/// Passes a response body through the filters on its way to `downstream` (the client, or a
/// collector while a filter holds the headers): each chunk runs the body callbacks, last filter
/// first, and only what they let go is written.
struct FilteringResponseWriter: ResponseBodyWriter {
    var downstream: any ResponseBodyWriter
    let chain: FilterChain
    let exchange: FilterChain.Exchange
    /// Bytes still to come by the `Content-Length`, so the last chunk carries the end of stream.
    var remaining: Int?
    private var ended = false

    init(downstream: any ResponseBodyWriter, chain: FilterChain, exchange: FilterChain.Exchange, remaining: Int?) {
        self.downstream = downstream
        self.chain = chain
        self.exchange = exchange
        self.remaining = remaining
    }

    mutating func write(_ buffer: ByteBuffer) async throws {
        guard !ended else { return }
        let bytes = Array(buffer: buffer)
        var end = false
        if let left = remaining {
            remaining = left - bytes.count
            end = left - bytes.count <= 0
        }
        try await pass(bytes, end: end)
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        if !ended { try await pass([], end: true) }
        try await downstream.finish(trailingHeaders)
    }

    private mutating func pass(_ bytes: [UInt8], end: Bool) async throws {
        switch try await chain.responseBody(exchange, bytes, endOfStream: end) {
        case .forward(let out) where !out.isEmpty:
            try await downstream.write(ByteBuffer(bytes: out))
        case .forward, .held:
            break
        case .respond(let local):
            // Only reachable while the headers are still held; once they have gone, Envoy too
            // can only reset the stream.
            throw FilterPassage.Answered(response: local)
        }
        if end { ended = true }
    }
}
