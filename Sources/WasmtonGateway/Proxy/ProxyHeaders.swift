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
        let listed = connection.isEmpty ? nil : listed(connection)
        var headers = HTTPHeaders()
        headers.reserveCapacity(fields.count + 4)
        for field in fields {
            let name = field.name.canonicalName
            if isDropped(name, listed: listed) { continue }
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
        // Nearly every exchange: one `keep-alive` or `close`, read without splitting or lowercasing.
        if connection.count == 1, isToken(connection[0], "keep-alive") || isToken(connection[0], "close") {
            return nil
        }
        var names: Set<String> = []
        for value in connection {
            for token in value.split(separator: ",") {
                let name = token.filter { $0 != " " && $0 != "\t" }.lowercased()
                if !isHopByHop(name) { names.insert(name) }
            }
        }
        return names.isEmpty ? nil : names
    }

    /// Whether a proxy leaves the lowercase header `name` out when forwarding: a hop-by-hop name,
    /// or one the message's `Connection` header lists (`listed`, from ``listed(_:)``).
    static func isDropped(_ name: String, listed: Set<String>?) -> Bool {
        isHopByHop(name) || listed?.contains(name) == true
    }

    /// Whether a lowercase header name is hop-by-hop (RFC 9110 §7.6.1, plus the legacy
    /// `keep-alive`, `proxy-connection` and `proxy-authenticate`/`-authorization`): compared rather
    /// than hashed, since the list is short and most names differ from it in length.
    static func isHopByHop(_ name: String) -> Bool {
        switch name.utf8.count {
        case 2: name == "te"
        case 7: name == "trailer" || name == "upgrade"
        case 10: name == "connection" || name == "keep-alive"
        case 16: name == "proxy-connection"
        case 17: name == "transfer-encoding"
        case 18: name == "proxy-authenticate"
        case 19: name == "proxy-authorization"
        default: false
        }
    }

    /// Whether a header value is exactly `token` (lowercase), ignoring ASCII case.
    static func isToken(_ value: String, _ token: StaticString) -> Bool {
        let expected = UnsafeBufferPointer(start: token.utf8Start, count: token.utf8CodeUnitCount)
        guard value.utf8.count == expected.count else { return false }
        return zip(value.utf8, expected).allSatisfy { byte, lower in
            (byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte) == lower
        }
    }

    /// The client's response for the upstream's `head`: its status and end-to-end headers.
    /// `date`, when given (no filter sees the headers): the upstream's `server` and `date` are
    /// left out and Wasmton's put last, as stamping them afterwards would, without the search
    /// and removal that setting a field takes.
    static func response(_ head: HTTPResponseHead, stampedOn date: String? = nil) -> HTTPResponse {
        let connection = head.headers["connection"]
        let listed = connection.isEmpty ? nil : listed(connection)
        var fields = HTTPFields()
        fields.reserveCapacity(head.headers.count + 2)
        for (name, value) in head.headers {
            guard let fieldName = HTTPField.Name(name) else { continue }
            let canonical = fieldName.canonicalName
            if isDropped(canonical, listed: listed) { continue }
            if date != nil && (canonical == "server" || canonical == "date") { continue }
            fields.append(HTTPField(name: fieldName, value: value))
        }
        if let date {
            fields.append(HTTPField(name: .server, value: "wasmton"))
            fields.append(HTTPField(name: .date, value: date))
        }
        return HTTPResponse(status: HTTPResponse.Status(code: Int(head.status.code)), headerFields: fields)
    }
}
