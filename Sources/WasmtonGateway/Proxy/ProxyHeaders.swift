import HTTPTypes
import NIOHTTP1

/// The header rewriting of a forwarded exchange, as ``FilteringProxy``'s Hummingbird path does
/// it: hop-by-hop headers (RFC 9110 §7.6.1, and those `Connection` lists) dropped both ways,
/// `host` kept (from the request's authority), `x-forwarded-for` and `x-forwarded-proto` set.
enum ProxyHeaders {
    static let forwardedFor = HTTPField.Name("x-forwarded-for")!
    static let forwardedProto = HTTPField.Name("x-forwarded-proto")!

    /// The upstream request for `request` (its path under `pathPrefix`), from a client at
    /// `source`. `chunked`: the client's body came chunked, and goes on chunked.
    static func upstreamHead(
        _ request: HTTPRequest, pathPrefix: String, source: String?, chunked: Bool
    ) -> HTTPRequestHead {
        let fields = request.headerFields
        let connection = fields[values: .connection]
        let dropped = connection.isEmpty ? nil : listed(connection)
        var headers = HTTPHeaders()
        headers.reserveCapacity(fields.count + 4)
        for field in fields {
            let name = field.name.canonicalName
            if FilteringProxy.hopByHop.contains(name) || dropped?.contains(name) == true { continue }
            // Set below, last, as the Hummingbird path's `replaceOrAdd` leaves them.
            if field.name == forwardedFor && source != nil { continue }
            if field.name == forwardedProto { continue }
            headers.add(name: field.name.rawName, value: field.value)
        }
        if let authority = request.authority, !headers.contains(name: "host") {
            headers.add(name: "host", value: authority)
        }
        if let source {
            let previous = fields[forwardedFor].map { $0 + ", " } ?? ""
            headers.add(name: "x-forwarded-for", value: previous + source)
        }
        headers.add(name: "x-forwarded-proto", value: "http")
        if chunked { headers.add(name: "transfer-encoding", value: "chunked") }
        let path = request.path ?? "/"
        return HTTPRequestHead(
            version: .http1_1, method: HTTPMethod(rawValue: request.method.rawValue),
            uri: pathPrefix.isEmpty ? path : pathPrefix + path, headers: headers)
    }

    /// The names a `Connection` header lists beyond the hop-by-hop ones (nil for the usual
    /// `keep-alive` or `close`, so most exchanges build no set).
    static func listed(_ connection: [String]) -> Set<String>? {
        var names: Set<String> = []
        for value in connection {
            for token in value.split(separator: ",") {
                let name = token.filter { $0 != " " && $0 != "\t" }.lowercased()
                if !FilteringProxy.hopByHop.contains(name) { names.insert(name) }
            }
        }
        return names.isEmpty ? nil : names
    }

    /// The client's response for the upstream's `head`: its status and end-to-end headers.
    static func response(_ head: HTTPResponseHead) -> HTTPResponse {
        let connection = head.headers["connection"]
        let dropped = connection.isEmpty ? nil : listed(connection)
        var fields = HTTPFields()
        fields.reserveCapacity(head.headers.count + 2)
        for (name, value) in head.headers {
            guard let fieldName = HTTPField.Name(name) else { continue }
            let canonical = fieldName.canonicalName
            if FilteringProxy.hopByHop.contains(canonical) || dropped?.contains(canonical) == true { continue }
            fields.append(HTTPField(name: fieldName, value: value))
        }
        return HTTPResponse(status: HTTPResponse.Status(code: Int(head.status.code)), headerFields: fields)
    }
}
