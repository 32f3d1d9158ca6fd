import HTTPTypes
import Hummingbird
import NIOCore
import WasmtonContracts

/// Runs every request of `serve` through the filter chain before the routes (and every response
/// back through it), so proxy-wasm filters guard and rewrite waPC functions as Envoy's would.
struct FilterMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    let chain: FilterChain
    let maxBodyBytes: Int

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        try await FilterPassage(chain: chain, maxBodyBytes: maxBodyBytes).run(
            request, source: nil, requestID: request.headers[.requestID]
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

/// One request's trip through a filter chain around `forward` (the routes, or the upstream).
struct FilterPassage {
    let chain: FilterChain
    let maxBodyBytes: Int

    func run(
        _ request: Request, source: (address: String, port: Int)?, requestID: String?,
        forward: (Request) async throws -> Response
    ) async throws -> Response {
        let stream = FilterHTTP.stream(for: request, source: source, requestID: requestID)
        let exchange = FilterChain.Exchange(stream: stream)
        var request = request
        var collected: ByteBuffer?
        if chain.needsRequestBody {
            let body: ByteBuffer
            do {
                body = try await request.collectBody(upTo: maxBodyBytes)
            } catch {
                throw GatewayError.tooLarge(limit: maxBodyBytes)
            }
            stream.withContents { $0.requestBody = Array(buffer: body) }
            collected = body
        }
        let endOfStream = collected.map { $0.readableBytes == 0 } ?? FilterHTTP.hasNoBody(request)
        do {
            if let local = try await chain.request(exchange, endOfStream: endOfStream) {
                return FilterHTTP.response(local)
            }
        } catch let error as FilterChainError {
            throw GatewayError.filterFailed(error)
        }
        var response: Response
        do {
            response = try await forward(FilterHTTP.apply(stream, to: request, bodyWasRead: collected != nil))
            FilterHTTP.load(response, into: stream)
            var responseEnds = response.body.contentLength == 0
            if chain.needsResponseBody {
                let body = try await FilterHTTP.collect(response.body, limit: maxBodyBytes)
                stream.withContents { $0.responseBody = Array(buffer: body) }
                responseEnds = body.readableBytes == 0
            }
            if let local = try await chain.response(exchange, endOfStream: responseEnds) {
                return FilterHTTP.response(local)
            }
        } catch let error as FilterChainError {
            await chain.finish(exchange)
            throw GatewayError.filterFailed(error)
        } catch {
            await chain.finish(exchange)
            throw error
        }
        return FilterHTTP.apply(stream, to: response, collected: chain.needsResponseBody)
    }
}
