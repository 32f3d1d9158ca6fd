import HTTPTypes
import Hummingbird
import NIOCore
import WasmtonContracts

/// Moves an HTTP exchange between Hummingbird's types and a ``FilterStream``, the way Envoy
/// presents one to proxy-wasm filters: HTTP/2-style lowercase names with the pseudo-headers
/// `:method`, `:path`, `:authority`, `:scheme` (and `:status` on responses), and the usual
/// `request.*`, `source.*` and `response.*` properties.
enum FilterHTTP {
    /// The stream for `request`, whose client is `source` (`address`, `port`) when known.
    static func stream(for request: Request, source: (address: String, port: Int)?, requestID: String?) -> FilterStream {
        let head = request.head
        let authority = head.authority ?? ""
        let path = head.path ?? "/"
        var headers = HeaderList([
            (":method", head.method.rawValue), (":path", path), (":authority", authority), (":scheme", head.scheme ?? "http"),
        ])
        for field in head.headerFields {
            headers.add(field.name.canonicalName, field.value)
        }
        var properties: [String: [UInt8]] = [
            "request.path": FilterStream.property(path),
            "request.url_path": FilterStream.property(String(path.prefix { $0 != "?" })),
            "request.query": FilterStream.property(path.firstIndex(of: "?").map { String(path[path.index(after: $0)...]) } ?? ""),
            "request.host": FilterStream.property(authority),
            "request.scheme": FilterStream.property(head.scheme ?? "http"),
            "request.method": FilterStream.property(head.method.rawValue),
            "request.protocol": FilterStream.property("HTTP/1.1"),
        ]
        if let requestID { properties["request.id"] = FilterStream.property(requestID) }
        if let agent = request.headers[.userAgent] { properties["request.useragent"] = FilterStream.property(agent) }
        if let source {
            properties["source.address"] = FilterStream.property("\(source.address):\(source.port)")
            properties["source.port"] = FilterStream.property(Int64(source.port))
        }
        return FilterStream(requestHeaders: headers, properties: properties)
    }

    /// Whether `request` has no body (nothing for a body callback to see).
    static func hasNoBody(_ request: Request) -> Bool {
        if let length = request.headers[.contentLength] { return length == "0" }
        return request.headers[.transferEncoding] == nil
    }

    /// `request` as the filters left it (method, path, authority and headers from the stream),
    /// carrying `body`. `wholeBody`: the filters held the entire body before letting the headers
    /// go, so its final length is known and replaces the client's framing.
    static func apply(_ stream: FilterStream, to request: Request, body: RequestBody, wholeBody: Int?) -> Request {
        let headers = stream.requestHeaders
        var head = request.head
        if let method = headers[":method"].flatMap({ HTTPRequest.Method($0) }) { head.method = method }
        if let path = headers[":path"] { head.path = path }
        if let authority = headers[":authority"] { head.authority = authority }
        head.headerFields = fields(headers)
        if let length = wholeBody, length > 0 || !hasNoBody(request) {
            head.headerFields[.contentLength] = "\(length)"
            head.headerFields[.transferEncoding] = nil
        }
        return Request(head: head, body: body)
    }

    /// Puts `response`'s status and headers into the stream for the response callbacks.
    static func load(_ response: Response, into stream: FilterStream) {
        var headers = HeaderList([(":status", "\(response.status.code)")])
        for field in response.headers { headers.add(field.name.canonicalName, field.value) }
        stream.withContents {
            $0.responseHeaders = headers
            $0.properties["response.code"] = FilterStream.property(Int64(response.status.code))
        }
    }

    /// `response` as the filters left it (status and headers from the stream), carrying `body`.
    /// `wholeBody`: the filters held the entire body, so its final length is known.
    static func apply(_ stream: FilterStream, to response: Response, body: ResponseBody, wholeBody: Int?) -> Response {
        let headers = stream.responseHeaders
        var status = response.status
        if let code = headers[":status"].flatMap(Int.init), (100...599).contains(code) {
            status = HTTPResponse.Status(code: code)
        }
        var fields = fields(headers)
        if let length = wholeBody {
            fields[.contentLength] = "\(length)"
            fields[.transferEncoding] = nil
        }
        return Response(status: status, headers: fields, body: body)
    }

    /// The answer a filter sent with `proxy_send_local_response`.
    static func response(_ local: FilterStream.LocalResponse) -> Response {
        var headers = fields(local.headers)
        if headers[.contentType] == nil && !local.body.isEmpty { headers[.contentType] = "text/plain" }
        headers[.contentLength] = "\(local.body.count)"
        return Response(
            status: HTTPResponse.Status(code: local.status), headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: local.body)))
    }

    /// The regular (non-pseudo) fields of a header list.
    static func fields(_ headers: HeaderList) -> HTTPFields {
        var fields = HTTPFields()
        for field in headers.fields where !field.name.hasPrefix(":") {
            guard let name = HTTPField.Name(field.name) else { continue }
            fields.append(HTTPField(name: name, value: field.value))
        }
        return fields
    }
}
