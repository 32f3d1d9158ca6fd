import HTTPTypes
import Hummingbird
import Logging

/// Records every request that Hummingbird's routes answer in the ``AccessLog``; passes the
/// client's `x-request-id` through or makes one, and returns it on the response.
struct AccessLogMiddleware: RouterMiddleware {
    typealias Context = ClientRequestContext
    let log: AccessLog

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        let start = ContinuousClock.now
        let requestID = request.headers[.requestID] ?? AccessLog.newRequestID()
        do {
            var response = try await next(request, context)
            response.headers[.requestID] = requestID
            finish(status: response.status.code, bytesOut: response.body.contentLength)
            return response
        } catch {
            finish(status: (error as? any HTTPResponseError)?.status.code ?? 500, bytesOut: nil)
            if var failure = error as? GatewayError {
                failure.headers[.requestID] = requestID
                throw failure
            }
            throw error
        }

        func finish(status: Int, bytesOut: Int?) {
            log.record(
                requestID: requestID, method: request.method.rawValue, path: Substring(request.uri.path), status: status,
                start: start, bytesIn: request.headers[.contentLength], bytesOut: bytesOut)
        }
    }
}

extension HTTPField.Name {
    /// `x-request-id`: correlates a request across the client, access log and guest logs.
    static let requestID = HTTPField.Name("x-request-id")!
}
