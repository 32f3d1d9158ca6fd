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

    /// Whether a header name (in any letter case) is hop-by-hop (RFC 9110 §7.6.1, plus the legacy
    /// `keep-alive`, `proxy-connection` and `proxy-authenticate`/`-authorization`): compared rather
    /// than hashed, since the list is short and most names differ from it in length.
    static func isHopByHop(_ name: String) -> Bool {
        switch name.utf8.count {
        case 2: isToken(name, "te")
        case 7: isToken(name, "trailer") || isToken(name, "upgrade")
        case 10: isToken(name, "connection") || isToken(name, "keep-alive")
        case 16: isToken(name, "proxy-connection")
        case 17: isToken(name, "transfer-encoding")
        case 18: isToken(name, "proxy-authenticate")
        case 19: isToken(name, "proxy-authorization")
        default: false
        }
    }

    /// Whether a header value is exactly `token` (lowercase), ignoring ASCII case.
    static func isToken(_ value: String, _ token: StaticString) -> Bool {
        HeaderText.equals(value.utf8, token)
    }

    /// The client's response head for the upstream's `head`, as HTTP/1.1 bytes, when no filter
    /// reads it: the status and the end-to-end headers as ``response(_:stampedOn:)`` keeps them,
    /// Wasmton's `server` and `date` last, and the framing (``ResponseHeadBytes/end(sized:status:closes:)``):
    /// the upstream's `content-length` if it gave one, else chunks. Returns whether the body goes
    /// in chunks.
    static func write(
        _ head: HTTPResponseHead, date: String, closes: Bool, into out: inout ResponseHeadBytes
    ) -> Bool {
        let code = Int(head.status.code)
        out.statusLine(HTTPResponse.Status(code: code), http10: false)
        let connection = head.headers["connection"]
        let listed = connection.isEmpty ? nil : listed(connection)
        var sized = false
        for (name, value) in head.headers {
            if isHopByHop(name) || listed?.contains(name.lowercased()) == true { continue }
            if name.utf8.count == 4 && isToken(name, "date") || name.utf8.count == 6 && isToken(name, "server") {
                continue
            }
            if !sized && name.utf8.count == 14 && isToken(name, "content-length") { sized = true }
            out.field(name, value)
        }
        out.field("server", "wasmton")
        out.field("date", date)
        return out.end(sized: sized, status: code, closes: closes)
    }

    /// The client's response for the upstream's `head`, for the filters to read: its status and
    /// end-to-end headers.
    static func response(_ head: HTTPResponseHead) -> HTTPResponse {
        let connection = head.headers["connection"]
        let listed = connection.isEmpty ? nil : listed(connection)
        var fields = HTTPFields()
        fields.reserveCapacity(head.headers.count + 2)
        for (name, value) in head.headers {
            guard let fieldName = HTTPField.Name(name) else { continue }
            if isDropped(fieldName.canonicalName, listed: listed) { continue }
            fields.append(HTTPField(name: fieldName, value: value))
        }
        return HTTPResponse(status: HTTPResponse.Status(code: Int(head.status.code)), headerFields: fields)
    }
}
