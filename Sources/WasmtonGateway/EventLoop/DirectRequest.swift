import HTTPTypes
import NIOCore
import WasmtonMessagePack

/// A request that the ``EventLoopResponder`` answers itself, worked out from its head: a probe,
/// a call of a served module (`POST /v1/{module}/{operation}`) or the default route (`/`).
///
/// Anything this type does not recognise exactly as Hummingbird's router would (another method,
/// a percent-encoded path segment, an unknown module, `Expect`, a body over the gateway's limit)
/// is left to Hummingbird, so the two paths never answer the same request differently.
///
/// A class of constants: the responder, the answer's writer and a call on a guest thread share
/// one of these by reference instead of copying its strings at every step.
final class DirectRequest: Sendable {
    enum Target: Sendable {
        case health
        case ready
        case metrics
        /// A served module's operation. The module's pool is looked up when the body is in, not
        /// at the head: a reload may swap it in between, and the old one then shuts down.
        case call(module: String, operation: String)
        /// The default route, with the JSON of `?key=` (percent-decoded, UTF-8) when the query has one.
        case defaultCall(module: String, operation: String, key: [UInt8]?)
    }

    /// What the request's answer is, now or after a call on a guest thread.
    enum Outcome {
        case now(GatewayAnswer)
        /// Starts the call on a guest thread; the answer comes to the function given, on that thread.
        case later(@Sendable (@escaping @Sendable (GatewayAnswer) -> Void) -> Void)
    }

    let target: Target
    let isPost: Bool
    let isHTTP10: Bool
    /// The path without the query, for the access log.
    let path: Substring
    let contentType: String?
    let accept: String?
    let contentLength: String?
    let requestID: String
    /// The connection closes after this answer (`connection: close`, or HTTP/1.0 without keep-alive).
    let closes: Bool
    let start: ContinuousClock.Instant

    /// The request for `head`, or nil when Hummingbird's router should answer it.
    init?(_ head: RequestHead, gateway: Gateway) {
        guard head.method != .other, !head.expects else { return nil }
        let isGet = head.method == .get
        let full = head.uri
        let query = full.utf8.firstIndex(of: UInt8(ascii: "?"))
        var path = full[..<(query ?? full.endIndex)]
        switch path.withUTF8(Self.fixedPath) {
        case .health where isGet: target = .health
        case .ready where isGet: target = .ready
        case .metrics where isGet && gateway.metricsText != nil: target = .metrics
        case .root:
            guard let (module, operation) = gateway.defaultFunction, gateway.functions[module] != nil else {
                return nil
            }
            var key: [UInt8]?
            if let query {
                switch Self.lookUpKey(in: full[full.utf8.index(after: query)...]) {
                case .found(let value): key = value
                case .absent: break
                case .unclear: return nil
                }
            }
            target = .defaultCall(module: module, operation: operation, key: key)
        default:
            guard !isGet, path.hasPrefix("/v1/") else { return nil }
            let parts = path.dropFirst(4).split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, !path.utf8.contains(UInt8(ascii: "%")),
                gateway.functions[String(parts[0])] != nil
            else { return nil }
            target = .call(module: String(parts[0]), operation: String(parts[1]))
        }
        self.path = path
        isPost = !isGet
        isHTTP10 = head.isHTTP10
        contentType = head.contentType
        accept = head.accept
        contentLength = head.contentLength
        requestID = head.requestID ?? AccessLog.newRequestID()
        closes = !head.keepAlive
        start = .now
    }

    /// The method's name, for the access log.
    var methodName: String { isPost ? "POST" : "GET" }

    /// The module and operation called (nil for a probe), for the access log and metrics.
    var call: (module: String, operation: String)? {
        switch target {
        case .health, .ready, .metrics: return nil
        case .call(let module, let operation), .defaultCall(let module, let operation, _): return (module, operation)
        }
    }

    /// The answer to the request with `body`, worked out here when it can be (a probe, a call
    /// that finishes in its time slice, a refused request), or a call to make on a guest thread.
    func outcome(body: ByteBuffer, in gateway: Gateway) -> Outcome {
        switch target {
        case .health: return .now(gateway.healthAnswer)
        case .ready: return .now(gateway.readyAnswer)
        case .metrics: return .now(gateway.metricsAnswer)
        case .call(let module, let operation):
            guard let function = gateway.functions[module] else {
                return .now(GatewayError.unknownModule(module, served: gateway.functions.names).answer)
            }
            let accept = accept
            do {
                let payload = try PayloadFormat.payload(body: body, contentType: contentType)
                return gateway.answer(function, operation, payload) { PayloadFormat.answer($0, accept: accept) }
            } catch {
                return .now(error.answer)
            }
        case .defaultCall(let module, let operation, let key):
            guard let function = gateway.functions[module] else {
                return .now(GatewayError.unknownModule(module, served: gateway.functions.names).answer)
            }
            let accept = accept
            do {
                let payload = try gateway.defaultPayload(key: key, body: body, contentType: contentType)
                return gateway.answer(function, operation, payload) { [gateway] in gateway.defaultAnswer($0, accept: accept) }
            } catch {
                return .now(error.answer)
            }
        }
    }

    /// The paths the responder knows by name.
    private enum FixedPath {
        case health, ready, metrics, root, other
    }

    /// Which of the fixed paths `path` is, compared byte by byte (a `String` comparison costs
    /// more than the rest of reading the head).
    private static func fixedPath(_ path: UnsafeBufferPointer<UInt8>) -> FixedPath {
        if HeaderText.spells(path, "/") { return .root }
        if HeaderText.spells(path, "/healthz") { return .health }
        if HeaderText.spells(path, "/readyz") { return .ready }
        if HeaderText.spells(path, "/metrics") { return .metrics }
        return .other
    }

    private enum QueryLookup {
        case found([UInt8])
        case absent
        /// A value Hummingbird might read differently (a `+`, bad percent-encoding).
        case unclear
    }

    /// The percent-decoded value of `key` in `query`, read byte by byte (Foundation's string
    /// search and decoding cost more than the rest of a cheap request).
    private static func lookUpKey(in query: Substring) -> QueryLookup {
        var query = query
        return query.withUTF8 { bytes in
            var start = 0
            while start <= bytes.count {
                var end = start
                while end < bytes.count && bytes[end] != UInt8(ascii: "&") { end += 1 }
                let field = UnsafeBufferPointer(rebasing: bytes[start..<end])
                let equals = field.firstIndex(of: UInt8(ascii: "=")) ?? field.count
                if HeaderText.spells(field[..<equals], "key") {
                    let value = UnsafeBufferPointer(rebasing: field[min(equals + 1, field.count)...])
                    guard !value.contains(UInt8(ascii: "+")), let decoded = percentDecoded(value) else { return .unclear }
                    return .found(decoded)
                }
                start = end + 1
            }
            return .absent
        }
    }

    /// `%XX` escapes decoded; nil for a bad escape or bytes that are not UTF-8.
    private static func percentDecoded(_ text: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        guard text.contains(UInt8(ascii: "%")) else { return UTF8Text.isValid(text) ? Array(text) : nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.count)
        var index = 0
        while index < text.count {
            let byte = text[index]
            index += 1
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard index + 1 < text.count, let high = hexValue(text[index]), let low = hexValue(text[index + 1]) else {
                return nil
            }
            index += 2
            bytes.append(high << 4 | low)
        }
        return bytes.withUnsafeBufferPointer(UTF8Text.isValid) ? bytes : nil
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
