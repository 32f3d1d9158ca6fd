import HTTPTypes

/// What the proxy's event-loop path needs of a request's headers (whether it takes the request,
/// whether it has a body, whether the client closes after it), read in one pass over them rather
/// than a search per header.
///
/// A header that comes more than once reads as its values joined with `, `, as `HTTPFields`'
/// subscript gives them.
struct ProxyRequestFraming {
    /// `expect` is present (100-continue).
    private(set) var expects = false
    /// `upgrade` is present.
    private(set) var upgrades = false
    /// `transfer-encoding` is present: the body comes chunked.
    private(set) var chunked = false
    private(set) var contentLength: String?
    private(set) var connection: String?

    init(_ fields: HTTPFields) {
        for field in fields {
            switch field.name {
            case .expect: expects = true
            case .upgrade: upgrades = true
            case .transferEncoding: chunked = true
            case .contentLength: contentLength = Self.joined(contentLength, field.value)
            case .connection: connection = Self.joined(connection, field.value)
            default: continue
            }
        }
    }

    /// Whether the request carries a body.
    var hasBody: Bool {
        if chunked { return true }
        if let contentLength { return contentLength != "0" }
        return false
    }

    /// `connection: close` from the client: Hummingbird's loop closes after such a request.
    var asksToClose: Bool {
        guard let connection else { return false }
        return connection.lowercased().split(separator: ",").contains { $0.filter { $0 != " " && $0 != "\t" } == "close" }
    }

    private static func joined(_ earlier: String?, _ value: String) -> String {
        earlier.map { $0 + ", " + value } ?? value
    }
}
