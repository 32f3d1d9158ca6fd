import NIOCore
import NIOHTTP1

/// NIO's HTTP/1 response parser for an ``UpstreamConnection``, without the request encoder it
/// usually sits beside: the proxy writes its requests as bytes (``UpstreamRequestHead``), so
/// nothing passes the parser on the way out, and the connection tells it each request's method
/// itself (``sent(_:)``): it must know which answers (to `HEAD`) have no body.
///
/// `ByteToMessageHandler` watches outgoing writes only for a decoder that asks to
/// (`WriteObservingByteToMessageDecoder`, as `HTTPResponseDecoder` does); this one does not,
/// so the proxy's writes go straight to the socket.
struct UpstreamResponseDecoder: ByteToMessageDecoder {
    typealias InboundOut = HTTPClientResponsePart

    /// The parser (a class: the connection keeps it too, for ``sent(_:)``).
    let parser: HTTPResponseDecoder

    init() {
        parser = HTTPResponseDecoder(leftOverBytesStrategy: .dropBytes)
    }

    /// A request with `method` went out: its answer is next after those before it.
    func sent(_ method: HTTPMethod) {
        parser.write(data: .head(Self.observed(method)))
    }

    /// The head the parser keeps for a request, which it reads only the method of.
    private static func observed(_ method: HTTPMethod) -> HTTPRequestHead {
        switch method {
        case .GET: get
        case .HEAD: head
        default: HTTPRequestHead(version: .http1_1, method: method, uri: "/")
        }
    }

    private static let get = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/")
    private static let head = HTTPRequestHead(version: .http1_1, method: .HEAD, uri: "/")

    func decoderAdded(context: ChannelHandlerContext) {
        parser.decoderAdded(context: context)
    }

    func decoderRemoved(context: ChannelHandlerContext) {
        parser.decoderRemoved(context: context)
    }

    func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        try parser.decode(context: context, buffer: &buffer)
    }

    func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        try parser.decodeLast(context: context, buffer: &buffer, seenEOF: seenEOF)
    }
}
