import HTTPTypes
import Hummingbird
import NIOCore

/// Gathers a response body written through Hummingbird's writer interface, up to a limit: for
/// a response whose headers a filter holds until it has seen the body.
final class BodyCollector: ResponseBodyWriter {
    private(set) var buffer = ByteBuffer()
    let limit: Int

    init(limit: Int) {
        self.limit = limit
    }

    func write(_ part: ByteBuffer) async throws {
        guard buffer.readableBytes + part.readableBytes <= limit else {
            throw GatewayError(
                .badGateway, reason: "response_too_large",
                message: "response body exceeds the limit of \(limit) bytes that a body-reading filter can buffer")
        }
        var part = part
        buffer.writeBuffer(&part)
    }

    func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
