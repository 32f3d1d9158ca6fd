/// Where a linked host call goes: another waPC module, an HTTP endpoint, or straight back.
public enum WapcLinkTarget: Sendable, Equatable, CustomStringConvertible {
    /// Call `operation` of the waPC module at `path` (`nil`: the host call's own operation), on
    /// an instance of its own, in its own sandbox.
    case module(path: String, operation: String?)
    /// POST the payload to `url` (`http` or `https`); a 2xx body is the answer.
    case http(url: String, host: String, port: UInt16)
    /// Answer with the payload itself.
    case echo

    /// Parses `PATH.wasm`, `PATH.wasm#OP` (or `.wat`), `http://…`, `https://…` or `echo`.
    public init(parsing text: String) throws(WapcLinkError) {
        if text == "echo" {
            self = .echo
            return
        }
        let lower = text.lowercased()
        if lower.hasPrefix("http://") || lower.hasPrefix("https://") {
            self = try Self.http(text, secure: lower.hasPrefix("https://"))
            return
        }
        var path = text
        var operation: String?
        if let hash = text.lastIndex(of: "#") {
            path = String(text[..<hash])
            operation = String(text[text.index(after: hash)...])
            guard operation?.isEmpty == false else {
                throw .badSpec(text, reason: "'#' must be followed by the operation to call")
            }
        }
        guard (path.hasSuffix(".wasm") && path.count > 5) || (path.hasSuffix(".wat") && path.count > 4) else {
            throw .badSpec(text, reason: "target '\(text)' is not echo, an http:// or https:// URL, or a PATH.wasm[#OP]")
        }
        self = .module(path: path, operation: operation)
    }

    /// `http(s)://HOST[:PORT]/…`, with the host and port the allow-list is asked about.
    private static func http(_ url: String, secure: Bool) throws(WapcLinkError) -> WapcLinkTarget {
        let afterScheme = url[url.index(url.startIndex, offsetBy: secure ? 8 : 7)...]
        let authority = afterScheme.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard !authority.contains("@") else {
            throw .badSpec(url, reason: "credentials in the URL are not supported")
        }
        var host = String(authority)
        var port: UInt16 = secure ? 443 : 80
        if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon])
            guard let number = UInt16(authority[authority.index(after: colon)...]), number > 0 else {
                throw .badSpec(url, reason: "'\(authority)' has no valid port")
            }
            port = number
        }
        guard !host.isEmpty, !host.contains("["), host.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else {
            throw .badSpec(url, reason: "'\(url)' has no host name or IPv4 address (IPv6 is not supported)")
        }
        return .http(url: url, host: host.lowercased(), port: port)
    }

    /// The module path, for a module target.
    public var modulePath: String? {
        if case .module(let path, _) = self { return path }
        return nil
    }

    /// The target as written.
    public var description: String {
        switch self {
        case .module(let path, let operation): return operation.map { "\(path)#\($0)" } ?? path
        case .http(let url, _, _): return url
        case .echo: return "echo"
        }
    }
}
