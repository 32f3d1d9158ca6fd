import Foundation
import HTTPTypes
import NIOCore

/// A request that the ``EventLoopResponder`` answers itself, worked out from its head: a probe,
/// a call of a served module (`POST /v1/{module}/{operation}`) or the default route (`/`).
///
/// Anything this type does not recognise exactly as Hummingbird's router would (another method,
/// a percent-encoded path segment, an unknown module, `Expect`) is left to Hummingbird, so the two
/// paths never answer the same request differently.
struct DirectRequest: Sendable {
    enum Target: Sendable {
        case health
        case ready
        case metrics
        case call(FunctionPool, operation: String)
        /// The default route, with the JSON of `?key=` when the query has one.
        case defaultCall(FunctionPool, operation: String, key: String?)
    }

    /// What the request's answer is, now or after a call on a guest thread.
    enum Outcome {
        case now(GatewayAnswer)
        case later(@Sendable () async -> GatewayAnswer)
    }

    let target: Target
    let method: HTTPRequest.Method
    /// The path without the query, for the access log.
    let path: Substring
    let contentType: String?
    let accept: String?
    let contentLength: String?
    let requestID: String
    /// The client asked to close the connection after this answer.
    let closes: Bool
    let start: ContinuousClock.Instant
    private(set) var body = ByteBuffer()
    /// The body is (or announced to be) larger than the gateway accepts: the answer is 413.
    private(set) var tooLarge = false

    /// The request for `head`, or nil when Hummingbird's router should answer it.
    init?(_ head: HTTPRequest, gateway: Gateway) {
        guard head.method == .get || head.method == .post, let full = head.path,
            head.headerFields[.expect] == nil
        else { return nil }
        let query = full.firstIndex(of: "?")
        let path = full[..<(query ?? full.endIndex)]
        switch path {
        case "/healthz" where head.method == .get: target = .health
        case "/readyz" where head.method == .get: target = .ready
        case "/metrics" where head.method == .get && gateway.metricsText != nil: target = .metrics
        case "/":
            guard let (module, operation) = gateway.defaultFunction, let function = gateway.functions[module] else {
                return nil
            }
            var key: String?
            if let query {
                switch Self.lookUp("key", in: full[full.index(after: query)...]) {
                case .found(let value): key = value
                case .absent: break
                case .unclear: return nil
                }
            }
            target = .defaultCall(function, operation: operation, key: key)
        default:
            guard head.method == .post, path.hasPrefix("/v1/") else { return nil }
            let parts = path.dropFirst(4).split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, !path.contains("%"),
                let function = gateway.functions[String(parts[0])]
            else { return nil }
            target = .call(function, operation: String(parts[1]))
        }
        self.path = path
        method = head.method
        contentType = head.headerFields[.contentType]
        accept = head.headerFields[.accept]
        contentLength = head.headerFields[.contentLength]
        requestID = head.headerFields[.requestID] ?? AccessLog.newRequestID()
        closes = head.headerFields[.connection]?.lowercased() == "close"
        start = .now
        if let length = contentLength.flatMap(Int.init), length > gateway.configuration.maxBodyBytes {
            tooLarge = true
        }
    }

    /// Adds a part of the body; past `limit` bytes the rest is dropped and the answer is 413.
    mutating func append(_ part: ByteBuffer, limit: Int) {
        guard !tooLarge else { return }
        guard body.readableBytes + part.readableBytes <= limit else {
            tooLarge = true
            body = ByteBuffer()
            return
        }
        if body.readableBytes == 0 {
            body = part
        } else {
            var part = part
            body.writeBuffer(&part)
        }
    }

    /// The answer, worked out here when it can be (a probe, a call that finishes in its time
    /// slice, a refused request), or a call to make on a guest thread.
    func outcome(in gateway: Gateway) -> Outcome {
        if tooLarge { return .now(GatewayError.tooLarge(limit: gateway.configuration.maxBodyBytes).answer) }
        switch target {
        case .health: return .now(gateway.healthAnswer)
        case .ready: return .now(gateway.readyAnswer)
        case .metrics: return .now(gateway.metricsAnswer)
        case .call(let function, let operation):
            let accept = accept
            do {
                let payload = try PayloadFormat.payload(body: body, contentType: contentType)
                return gateway.answer(function, operation, payload) { PayloadFormat.answer($0, accept: accept) }
            } catch {
                return .now(error.answer)
            }
        case .defaultCall(let function, let operation, let key):
            let accept = accept
            do {
                let payload = try gateway.defaultPayload(key: key, body: body, contentType: contentType)
                return gateway.answer(function, operation, payload) { [gateway] in gateway.defaultAnswer($0, accept: accept) }
            } catch {
                return .now(error.answer)
            }
        }
    }

    private enum QueryLookup {
        case found(String)
        case absent
        /// A query Hummingbird might read differently (a `+`, bad percent-encoding).
        case unclear
    }

    /// The percent-decoded value of `name` in `query`.
    private static func lookUp(_ name: String, in query: Substring) -> QueryLookup {
        guard !query.contains("+") else { return .unclear }
        for field in query.split(separator: "&") {
            let parts = field.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts[0] == name else { continue }
            guard let value = String(parts.count > 1 ? parts[1] : "").removingPercentEncoding else { return .unclear }
            return .found(value)
        }
        return .absent
    }
}
