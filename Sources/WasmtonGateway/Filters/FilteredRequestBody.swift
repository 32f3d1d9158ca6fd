import Hummingbird
import NIOCore

/// The request body the filters let through, for the routes or the upstream: the bytes released
/// with the headers, then the rest of the client's body, each chunk through the chain as it is
/// read (so the body streams, with the reader's back-pressure).
struct FilteredRequestBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    let released: [UInt8]
    let reader: RequestBodyReader
    let chain: FilterChain
    let exchange: FilterChain.Exchange

    struct AsyncIterator: AsyncIteratorProtocol {
        var released: [UInt8]?
        let reader: RequestBodyReader
        let chain: FilterChain
        let exchange: FilterChain.Exchange

        mutating func next() async throws -> ByteBuffer? {
            if let bytes = released {
                released = nil
                if !bytes.isEmpty { return ByteBuffer(bytes: bytes) }
            }
            while !reader.ended {
                let chunk = try await reader.read()
                switch try await chain.requestBody(exchange, chunk.bytes, endOfStream: chunk.end) {
                case .forward(let bytes) where !bytes.isEmpty:
                    return ByteBuffer(bytes: bytes)
                case .forward, .held:
                    continue
                case .respond(let local):
                    throw FilterPassage.Answered(response: local)
                }
            }
            return nil
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(released: released, reader: reader, chain: chain, exchange: exchange)
    }
}
