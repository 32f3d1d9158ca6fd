import HTTPTypes
import NIOHTTP1
import WasmtonContracts

/// The header rewriting of a forwarded exchange, as ``FilteringProxy``'s Hummingbird path does
/// it: hop-by-hop headers (RFC 9110 §7.6.1, and those `Connection` lists) dropped both ways,
/// `host` kept (from the request's authority), `x-forwarded-for` and `x-forwarded-proto` set.
enum ProxyHeaders {
    static let forwardedFor = HTTPField.Name("x-forwarded-for")!
    static let forwardedProto = HTTPField.Name("x-forwarded-proto")!

    /// The upstream request's head for `request` (its path under `pathPrefix`), from a client at
    /// `source`, as bytes. `chunked`: the client's body came chunked, and goes on chunked.
    static func upstreamHead(
        _ request: HTTPRequest, pathPrefix: String, source: String?, chunked: Bool
    ) -> UpstreamRequestHead {
        let fields = request.headerFields
        let connection = fields[values: .connection]
        let listed = connection.isEmpty ? nil : listed(connection)
        var out = HeadBytes(capacity: 512)
        out.requestLine(method: request.method.rawValue, prefix: pathPrefix, path: request.path ?? "/")
        var hasHost = false
        for field in fields {
            let name = field.name.canonicalName
            if isDropped(name, listed: listed) { continue }
            // Set below, last, as the Hummingbird path's `replaceOrAdd` leaves them.
            if field.name == forwardedFor && source != nil { continue }
            if field.name == forwardedProto { continue }
            if name.utf8.count == 4 && name == "host" { hasHost = true }
            out.field(field.name.rawName, field.value)
        }
        if let authority = request.authority, !hasHost { out.field("host", authority) }
        if let source {
            let previous = fields[forwardedFor].map { $0 + ", " } ?? ""
            out.field("x-forwarded-for", previous + source)
        }
        return ended(&out, method: request.method.rawValue, chunked: chunked)
    }

    /// ``upstreamHead(_:pathPrefix:source:chunked:)`` for `request` as the filters left it in
    /// their header list: method, path and authority from the pseudo-headers (`request`'s where a
    /// filter removed one), the regular fields from the list, without an `HTTPRequest` made in
    /// between. `nil` when the list holds something that Swift HTTP Types would have to legalize
    /// (a name that is not a token, a value with a control byte, an unknown method): the caller
    /// then goes the long way, through ``FilterHTTP/apply(_:to:loaded:)``, which does.
    static func upstreamHead(
        filtered headers: HeaderList, request: HTTPRequest, pathPrefix: String, source: String?, chunked: Bool
    ) -> UpstreamRequestHead? {
        var method = request.method.rawValue
        var path = request.path ?? "/"
        var authority = request.authority
        var connection: [String] = []
        var forwardedFor: [String] = []
        var hasHost = false
        for field in headers.fields {
            guard HTTPField.isValidValue(field.value) else { return nil }
            // By length first: most names are none of these, and lengths tell them apart.
            switch field.name.utf8.count {
            case 7 where field.name == ":method":
                guard HTTPRequest.Method(field.value) != nil else { return nil }
                method = field.value
            case 5 where field.name == ":path": path = field.value
            case 10 where field.name == ":authority": authority = field.value
            case 10 where field.name == "connection": connection.append(field.value)
            case 15 where field.name == "x-forwarded-for": forwardedFor.append(field.value)
            case 4 where field.name == "host": hasHost = true
            default: break
            }
        }
        let listed = connection.isEmpty ? nil : listed(connection)
        var out = HeadBytes(capacity: 512)
        out.requestLine(method: method, prefix: pathPrefix, path: path)
        for field in headers.fields where field.name.utf8.first != UInt8(ascii: ":") {
            guard HeaderText.isToken(field.name) else { return nil }
            if isDropped(field.name, listed: listed) { continue }
            if field.name.utf8.count == 15 && source != nil && field.name == "x-forwarded-for"
                || field.name.utf8.count == 17 && field.name == "x-forwarded-proto"
            {
                continue
            }
            out.field(field.name, field.value)
        }
        if let authority, !hasHost { out.field("host", authority) }
        if let source {
            let previous = forwardedFor.isEmpty ? "" : forwardedFor.joined(separator: ", ") + ", "
            out.field("x-forwarded-for", previous + source)
        }
        return ended(&out, method: method, chunked: chunked)
    }

    /// Ends an upstream head: `x-forwarded-proto`, the chunked coding when the body goes in
    /// chunks (else the client's `content-length`, among the fields, frames it, and a request
    /// with neither has no body), and the empty line.
    private static func ended(_ head: inout HeadBytes, method: String, chunked: Bool) -> UpstreamRequestHead {
        head.append("x-forwarded-proto: http\r\n")
        if chunked { head.append("transfer-encoding: chunked\r\n") }
        head.append("\r\n")
        return UpstreamRequestHead(bytes: head, method: HTTPMethod(rawValue: method), chunked: chunked)
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
    /// reads it: the status and the end-to-end headers (hop-by-hop ones and those `Connection` lists dropped),
    /// Wasmton's `server` and `date` last, and the framing (``HeadBytes/end(sized:status:closes:)``):
    /// the upstream's `content-length` if it gave one, else chunks. Returns whether the body goes
    /// in chunks.
    static func write(
        _ head: HTTPResponseHead, date: String, closes: Bool, into out: inout HeadBytes
    ) -> Bool {
        let code = Int(head.status.code)
        if code == 200 {
            out.statusLine(.ok, http10: false)
        } else {
            out.statusLine(code: code, reason: head.status.reasonPhrase, http10: false)
        }
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

    /// The upstream's response head as the filters read it: `:status`, then the end-to-end
    /// fields (the rule of ``write(_:date:closes:into:)``) with lowercase names; and the length
    /// its `content-length` gives, if any. Made straight from the upstream's head, without an
    /// `HTTPResponse` in between.
    static func filterHeaders(_ head: HTTPResponseHead) -> (headers: HeaderList, contentLength: Int?) {
        let connection = head.headers["connection"]
        let listed = connection.isEmpty ? nil : listed(connection)
        var headers = HeaderList()
        headers.reserveCapacity(head.headers.count + 4)
        headers.add(lowercased: ":status", String(head.status.code))
        var length: Int?
        for (name, value) in head.headers {
            if isHopByHop(name) { continue }
            let lowercased = lowercaseName(name)
            if listed?.contains(lowercased) == true { continue }
            if length == nil && lowercased.utf8.count == 14 && lowercased == "content-length" { length = Int(value) }
            headers.add(lowercased: lowercased, value)
        }
        return (headers, length)
    }

    /// `name` in lowercase: the common response header names as constants (no string made),
    /// others by ``HeaderList``'s rule.
    static func lowercaseName(_ name: String) -> String {
        let utf8 = name.utf8
        for (spelled, lowercase) in commonNames where spelled.utf8CodeUnitCount == utf8.count {
            if HeaderText.equals(utf8, spelled) { return lowercase }
        }
        return HeaderList.lowercase(name)
    }

    /// Response header names most upstreams send, each as a pattern and as its string.
    private static let commonNames: [(StaticString, String)] = [
        ("date", "date"), ("etag", "etag"), ("vary", "vary"), ("server", "server"), ("expires", "expires"),
        ("location", "location"), ("set-cookie", "set-cookie"), ("content-type", "content-type"),
        ("last-modified", "last-modified"), ("accept-ranges", "accept-ranges"), ("cache-control", "cache-control"),
        ("content-length", "content-length"), ("content-encoding", "content-encoding"),
    ]

    /// The client's response head from the headers the filters left (loaded by
    /// ``filterHeaders(_:)``), as HTTP/1.1 bytes: the status from `:status` when a filter set a
    /// valid one (else `status`); every regular field whose name is a token, its value legalized
    /// as Swift HTTP Types does, so that no filter puts a CR or LF of its own on the wire;
    /// Wasmton's `server` and `date` in place of any others; and the framing
    /// (``HeadBytes/end(sized:status:closes:)``). Returns whether the body goes in chunks.
    static func write(
        filtered headers: HeaderList, status: Int, date: String, closes: Bool, into out: inout HeadBytes
    ) -> Bool {
        var code = status
        for field in headers.fields where field.name.utf8.first == UInt8(ascii: ":") {
            if field.name == ":status", let set = Int(field.value), (100...599).contains(set) {
                code = set
                break
            }
        }
        if code == 200 {
            out.statusLine(.ok, http10: false)
        } else {
            // The standard phrase (NIO knows them); the upstream's own text did not go through the filters.
            out.statusLine(code: code, reason: HTTPResponseStatus(statusCode: code).reasonPhrase, http10: false)
        }
        var sized = false
        for field in headers.fields {
            let name = field.name.utf8
            guard name.first != UInt8(ascii: ":"), HeaderText.isToken(field.name) else { continue }
            if name.count == 4 && HeaderText.equals(name, "date") || name.count == 6 && HeaderText.equals(name, "server") {
                continue
            }
            if !sized && name.count == 14 && HeaderText.equals(name, "content-length") { sized = true }
            if HTTPField.isValidValue(field.value) {
                out.field(field.name, field.value)
            } else if let fieldName = HTTPField.Name(field.name) {
                out.field(field.name, HTTPField(name: fieldName, value: field.value).value)
            }
        }
        out.field("server", "wasmton")
        out.field("date", date)
        return out.end(sized: sized, status: code, closes: closes)
    }
}
