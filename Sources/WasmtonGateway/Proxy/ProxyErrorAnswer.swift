import HTTPTypes
import NIOCore
import WasmtonMessagePack

/// A ``GatewayError`` as the proxy's event-loop path writes it: the same JSON body and headers
/// as `GatewayError.response(from:context:)` gives the Hummingbird path.
enum ProxyErrorAnswer {
    static func head(_ error: GatewayError, bodyLength: Int) -> HTTPResponse {
        var headers = error.headers
        headers[.contentType] = "application/json"
        headers[.contentLength] = String(bodyLength)
        return HTTPResponse(status: error.status, headerFields: headers)
    }

    static func body(_ error: GatewayError) -> ByteBuffer {
        let body: MessagePackValue = [
            "error": [
                "status": .uint(UInt64(error.status.code)), "reason": .string(error.reason), "message": .string(error.message),
            ]
        ]
        return ByteBuffer(string: body.jsonText() + "\n")
    }
}
