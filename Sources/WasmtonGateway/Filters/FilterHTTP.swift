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
        stream(for: request.head, source: source, requestID: requestID)
    }

    /// The stream for a request with `head` (the proxy's event-loop path, which has no
    /// Hummingbird request).
    static func stream(for head: HTTPRequest, source: (address: String, port: Int)?, requestID: String?) -> FilterStream {
        let authority = head.authority ?? ""
        let path = head.path ?? "/"
        var headers = HeaderList()
        // Room for the pseudo-headers, the fields and a filter's usual additions, made once.
        headers.reserveCapacity(head.headerFields.count + 10)
        headers.add(lowercased: ":method", head.method.rawValue)
        headers.add(lowercased: ":path", path)
        headers.add(lowercased: ":authority", authority)
        headers.add(lowercased: ":scheme", head.scheme ?? "http")
        for field in head.headerFields {
            headers.add(lowercased: field.name.canonicalName, field.value)
        }
        let request = RequestProperties(
            path: path, method: head.method.rawValue, authority: authority, scheme: head.scheme ?? "http", id: requestID,
            userAgent: head.headerFields[.userAgent], source: source)
        return FilterStream(requestHeaders: headers, request: request)
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
        var head = apply(stream, to: request.head)
        if let length = wholeBody, length > 0 || !hasNoBody(request) {
            head.headerFields[.contentLength] = "\(length)"
            head.headerFields[.transferEncoding] = nil
        }
        return Request(head: head, body: body)
    }

    /// `head` with the method, path, authority and headers the filters left in the stream.
    /// `loaded`: the request headers as the stream had them before the filters ran (made from
    /// `head`), so that fields the filters left alone are kept rather than made again.
    static func apply(_ stream: FilterStream, to head: HTTPRequest, loaded: HeaderList? = nil) -> HTTPRequest {
        let headers = stream.requestHeaders
        var head = head
        // Set only when changed: setting a pseudo-header legalizes its value again.
        if let method = headers[":method"], method != head.method.rawValue, let method = HTTPRequest.Method(method) {
            head.method = method
        }
        if let path = headers[":path"], path != head.path { head.path = path }
        if let authority = headers[":authority"], authority != head.authority { head.authority = authority }
        head.headerFields = loaded.map { fields(headers, from: head.headerFields, loaded: $0) } ?? fields(headers)
        return head
    }

    /// Puts `response`'s status and headers into the stream for the response callbacks.
    static func load(_ response: Response, into stream: FilterStream) {
        var headers = HeaderList([(":status", "\(response.status.code)")])
        headers.reserveCapacity(response.headers.count + 3)
        for field in response.headers { headers.add(lowercased: field.name.canonicalName, field.value) }
        stream.withContents {
            $0.responseHeaders = headers
            $0.responseCode = response.status.code
        }
    }

    /// `response` as the filters left it (status and headers from the stream), carrying `body`.
    /// `wholeBody`: the filters held the entire body, so its final length is known.
    static func apply(_ stream: FilterStream, to response: Response, body: ResponseBody, wholeBody: Int?) -> Response {
        let head = apply(stream, status: response.status, wholeBody: wholeBody)
        return Response(status: head.status, headers: head.headerFields, body: body)
    }

    /// The response head the filters left in the stream (`status` unless they set a valid one).
    static func apply(_ stream: FilterStream, status: HTTPResponse.Status, wholeBody: Int?) -> HTTPResponse {
        let headers = stream.responseHeaders
        var status = status
        if let code = headers[":status"].flatMap(Int.init), (100...599).contains(code) {
            status = HTTPResponse.Status(code: code)
        }
        var fields = Self.fields(headers)
        if let length = wholeBody {
            fields[.contentLength] = "\(length)"
            fields[.transferEncoding] = nil
        }
        return HTTPResponse(status: status, headerFields: fields)
    }

    /// The answer a filter sent with `proxy_send_local_response`.
    static func response(_ local: FilterStream.LocalResponse) -> Response {
        let head = localHead(local)
        return Response(
            status: head.status, headers: head.headerFields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: local.body)))
    }

    /// The head of the answer a filter sent (its body is `local.body`).
    static func localHead(_ local: FilterStream.LocalResponse) -> HTTPResponse {
        var headers = fields(local.headers)
        if headers[.contentType] == nil && !local.body.isEmpty { headers[.contentType] = "text/plain" }
        headers[.contentLength] = "\(local.body.count)"
        return HTTPResponse(status: HTTPResponse.Status(code: local.status), headerFields: headers)
    }

    /// The regular fields of `headers`, which the filters made from `loaded`, itself made from
    /// `original`: when the filters only added fields after the loaded ones (or changed
    /// nothing), `original` with those added, else made again from the whole list.
    static func fields(_ headers: HeaderList, from original: HTTPFields, loaded: HeaderList) -> HTTPFields {
        let now = headers.fields
        let before = loaded.fields
        guard now.count >= before.count, now[..<before.count].elementsEqual(before) else { return fields(headers) }
        var fields = original
        for field in now[before.count...] where !field.name.hasPrefix(":") {
            guard let name = HTTPField.Name(field.name) else { continue }
            fields.append(HTTPField(name: name, value: field.value))
        }
        return fields
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
