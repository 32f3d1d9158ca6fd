import HTTPTypes
import Hummingbird
import NIOCore
import WasmtonContracts

/// One request's trip through a filter chain around `forward` (the routes, or the upstream).
///
/// Headers go through the filters first; bodies then stream through them chunk by chunk in both
/// directions, so a filter that only reads headers costs no buffering. A filter that pauses
/// holds the headers (or buffers the body) until it lets them go, up to `maxBodyBytes`.
struct FilterPassage {
    let chain: FilterChain
    let maxBodyBytes: Int

    /// A filter answered partway through a body; carries its answer out of the body stream.
    struct Answered: Error {
        let response: FilterStream.LocalResponse
    }

    func run(
        _ request: Request, source: (address: String, port: Int)?, requestID: String?,
        forward: (Request) async throws -> Response
    ) async throws -> Response {
        let stream = FilterHTTP.stream(for: request, source: source, requestID: requestID)
        let exchange = FilterChain.Exchange(stream: stream, bufferLimit: maxBodyBytes)
        var forwarded = false
        do {
            return try await pass(request, exchange, forwarded: &forwarded, forward)
        } catch {
            await chain.finish(exchange)
            // A filter that answered while the body was on its way (the routes or the upstream
            // then saw the body fail) has the last word.
            if let local = stream.localResponse { return FilterHTTP.response(local) }
            throw Self.failure(error, forwarded: forwarded)
        }
    }

    /// What a client gets for a failure of the chain: `forwarded` says whether the request had
    /// gone on (so a full buffer is the response's, 502, rather than the request's, 413).
    static func failure(_ error: any Error, forwarded: Bool) -> any Error {
        switch error {
        case FilterChainError.bufferFull(_, let limit) where !forwarded:
            return GatewayError.tooLarge(limit: limit)
        case FilterChainError.bufferFull(let filter, let limit):
            return GatewayError(
                .badGateway, reason: "response_too_large",
                message: "filter \(filter) buffered more than \(limit) bytes of response body")
        case let error as FilterChainError:
            return GatewayError.filterFailed(error)
        default:
            return error
        }
    }

    private func pass(
        _ request: Request, _ exchange: FilterChain.Exchange, forwarded: inout Bool,
        _ forward: (Request) async throws -> Response
    ) async throws -> Response {
        let stream = exchange.stream
        // Request: headers, then as much body as the filters need before they let the headers go.
        let reader = RequestBodyReader(request)
        var step = try await chain.requestHeaders(exchange, endOfStream: reader.ended)
        while step == .held, !reader.ended {
            let chunk = try await reader.read()
            step = try await chain.requestBody(exchange, chunk.bytes, endOfStream: chunk.end)
        }
        guard case .forward(let released) = step else {
            if case .respond(let local) = step { return FilterHTTP.response(local) }
            throw FilterChainError.paused(filter: chain.names.joined(separator: ","))
        }
        let body: RequestBody
        if reader.ended && reader.untouched && released.isEmpty {
            body = request.body  // no body: the server's own (empty) one goes on
        } else if reader.ended {
            body = RequestBody(buffer: ByteBuffer(bytes: released))
        } else {
            body = RequestBody(
                asyncSequence: FilteredRequestBody(released: released, reader: reader, chain: chain, exchange: exchange))
        }
        let response = try await forward(
            FilterHTTP.apply(stream, to: request, body: body, wholeBody: reader.ended ? released.count : nil))
        forwarded = true

        // Response: headers last filter first, then the body as it comes.
        FilterHTTP.load(response, into: stream)
        let length = response.headers[.contentLength].flatMap(Int.init)
        let noBody = length == 0 || response.status == .noContent || response.status == .notModified
        switch try await chain.responseHeaders(exchange, endOfStream: noBody) {
        case .respond(let local):
            return FilterHTTP.response(local)
        case .forward where noBody:
            return FilterHTTP.apply(stream, to: response, body: response.body, wholeBody: nil)
        case .forward:
            let upstream = response.body
            let chain = chain
            return FilterHTTP.apply(
                stream, to: response,
                body: ResponseBody { writer in
                    do {
                        try await upstream.write(
                            FilteringResponseWriter(downstream: writer, chain: chain, exchange: exchange, remaining: length))
                    } catch {
                        await chain.finish(exchange)
                        throw error
                    }
                }, wholeBody: nil)
        case .held:
            // A filter holds the headers until it has seen (some of) the body: read it here.
            let collector = BodyCollector(limit: maxBodyBytes)
            try await response.body.write(
                FilteringResponseWriter(downstream: collector, chain: chain, exchange: exchange, remaining: length))
            return FilterHTTP.apply(
                stream, to: response, body: ResponseBody(byteBuffer: collector.buffer),
                wholeBody: collector.buffer.readableBytes)
        }
    }
}
