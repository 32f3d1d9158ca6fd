import HTTPTypes
import Hummingbird
import NIOCore
import WasmtonContracts

/// Runs every request of `serve` through the filter chain before the routes (and every response
/// back through it), so proxy-wasm filters guard and rewrite waPC functions as Envoy's would.
///
/// The operational endpoints (`/healthz`, `/readyz`, `/metrics`) bypass the filters, as Envoy's
/// admin interface does: an auth filter must not fail Kubernetes' probes or Prometheus' scrape.
struct FilterMiddleware: RouterMiddleware {
    typealias Context = ClientRequestContext
    static let operationalPaths: Set<String> = ["/healthz", "/readyz", "/metrics"]
    let chain: FilterChain
    let maxBodyBytes: Int

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        if Self.operationalPaths.contains(request.uri.path) { return try await next(request, context) }
        return try await FilterPassage(chain: chain, maxBodyBytes: maxBodyBytes).run(
            request, source: context.client, requestID: request.headers[.requestID]
        ) { request in
            do {
                return try await next(request, context)
            } catch let error as any HTTPResponseError {
                // Filters see the gateway's own error answers too, as Envoy's see local replies.
                return try error.response(from: request, context: context)
            }
        }
    }
}
