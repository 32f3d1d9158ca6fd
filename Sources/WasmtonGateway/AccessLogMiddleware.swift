import Foundation
import HTTPTypes
import Hummingbird
import Logging
import WasmtonRuntime

/// One structured log line per request (method, path, status, duration, module, operation,
/// sizes, request id) and the request metrics; passes the client's `x-request-id` through or
/// makes one, and returns it on the response.
struct AccessLogMiddleware: RouterMiddleware {
    typealias Context = ClientRequestContext
    let logger: Logger
    let defaultRoute: (module: String, operation: String)?
    private let metrics = GatewayMetrics()

    init(logger: Logger, defaultRoute: (String, String)?) {
        self.logger = logger
        self.defaultRoute = defaultRoute.map { (module: $0.0, operation: $0.1) }
    }

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        let start = ContinuousClock.now
        let requestID = request.headers[.requestID] ?? Self.newRequestID()
        let (module, operation) = route(of: request.uri.path)
        var status: Int
        var bytesOut: Int?
        do {
            var response = try await next(request, context)
            response.headers[.requestID] = requestID
            status = response.status.code
            bytesOut = response.body.contentLength
            finish()
            return response
        } catch {
            status = (error as? any HTTPResponseError)?.status.code ?? 500
            finish()
            if var failure = error as? GatewayError {
                failure.headers[.requestID] = requestID
                throw failure
            }
            throw error
        }

        func finish() {
            let duration = ContinuousClock.now - start
            if let module, let operation {
                metrics.request(module: module, operation: operation, status: status, duration: duration)
            }
            // Building the line costs more than the rest of a cheap request: skip it when not logged.
            guard logger.logLevel <= .info else { return }
            var metadata: Logger.Metadata = [
                "request_id": "\(requestID)", "method": "\(request.method.rawValue)", "path": "\(request.uri.path)",
                "status": "\(status)",
                "duration_ms":
                    "\(String(format: "%.3f", duration.seconds * 1000))",
            ]
            if let module { metadata["module"] = "\(module)" }
            if let operation { metadata["operation"] = "\(operation)" }
            if let length = request.headers[.contentLength] { metadata["bytes_in"] = "\(length)" }
            if let bytesOut { metadata["bytes_out"] = "\(bytesOut)" }
            logger.info("request", metadata: metadata)
        }
    }

    /// The module and operation a path names, for labels (nil for health and metrics paths).
    private func route(of path: String) -> (String?, String?) {
        let parts = path.split(separator: "/")
        if parts.count == 3, parts[0] == "v1" { return (String(parts[1]), String(parts[2])) }
        if parts.isEmpty, let defaultRoute { return (defaultRoute.module, defaultRoute.operation) }
        return (nil, nil)
    }

    private static func newRequestID() -> String {
        String(UInt64.random(in: 0...UInt64.max), radix: 16)
    }
}

extension HTTPField.Name {
    /// `x-request-id`: correlates a request across the client, access log and guest logs.
    static let requestID = HTTPField.Name("x-request-id")!
}
