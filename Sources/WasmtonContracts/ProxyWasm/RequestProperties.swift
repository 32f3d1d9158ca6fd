/// The properties proxy-wasm filters read about their request (`request.path`, `source.address`
/// and the others Envoy offers), kept as the request's own values and encoded only when a filter
/// asks for one: most filters never do, and encoding them all up front cost every request a
/// dictionary of byte arrays.
public struct RequestProperties: Sendable {
    /// The request target: path and query (`request.path`).
    public var path: String
    /// The method (`request.method`).
    public var method: String
    /// The authority, from `Host` (`request.host`).
    public var authority: String
    /// `http` or `https` (`request.scheme`).
    public var scheme: String
    /// The request's `x-request-id`, if it has one (`request.id`).
    public var id: String?
    /// The request's `user-agent`, if it has one (`request.useragent`).
    public var userAgent: String?
    /// The client's address and port, when known (`source.address`, `source.port`).
    public var source: (address: String, port: Int)?

    public init(
        path: String, method: String, authority: String, scheme: String = "http", id: String? = nil,
        userAgent: String? = nil, source: (address: String, port: Int)? = nil
    ) {
        self.path = path
        self.method = method
        self.authority = authority
        self.scheme = scheme
        self.id = id
        self.userAgent = userAgent
        self.source = source
    }

    /// The value of the property at the dotted `key` as proxy-wasm passes it (text as UTF-8,
    /// numbers as 8 little-endian bytes), or `nil` when the request has no such property.
    public func value(for key: String) -> [UInt8]? {
        switch key {
        case "request.path": return FilterStream.property(path)
        case "request.url_path", "request.query":
            // Split at the first `?` by bytes: no grapheme breaking for an ASCII path.
            let utf8 = path.utf8
            let question = utf8.firstIndex(of: UInt8(ascii: "?"))
            if key == "request.url_path" { return Array(utf8[..<(question ?? utf8.endIndex)]) }
            return question.map { Array(utf8[utf8.index(after: $0)...]) } ?? []
        case "request.host": return FilterStream.property(authority)
        case "request.scheme": return FilterStream.property(scheme)
        case "request.method": return FilterStream.property(method)
        case "request.protocol": return FilterStream.property("HTTP/1.1")
        case "request.id": return id.map(FilterStream.property)
        case "request.useragent": return userAgent.map(FilterStream.property)
        case "source.address": return source.map { FilterStream.property("\($0.address):\($0.port)") }
        case "source.port": return source.map { FilterStream.property(Int64($0.port)) }
        default: return nil
        }
    }
}
