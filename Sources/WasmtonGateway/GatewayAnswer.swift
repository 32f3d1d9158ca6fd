import HTTPTypes
import Hummingbird
import NIOCore

/// A complete answer to a gateway request (status, headers, body in one buffer), worked out once
/// and written either by Hummingbird (as a ``Response``) or straight to the connection by the
/// ``EventLoopResponder``.
struct GatewayAnswer: Sendable {
    var status: HTTPResponse.Status
    var headers: HTTPFields
    var body: ByteBuffer

    init(status: HTTPResponse.Status, headers: HTTPFields = [:], body: ByteBuffer = ByteBuffer()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The answer as Hummingbird's response.
    var response: Response {
        body.readableBytes == 0 && status == .noContent
            ? Response(status: status, headers: headers)
            : Response(status: status, headers: headers, body: .init(byteBuffer: body))
    }
}
