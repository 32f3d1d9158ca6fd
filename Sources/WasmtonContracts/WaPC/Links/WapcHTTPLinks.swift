import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import WasmtonRuntime

/// Sends linked host calls to HTTP endpoints: a POST of the payload (`application/msgpack`,
/// with the call's binding, namespace and operation in `wapc-binding`, `wapc-namespace` and
/// `wapc-operation`, and the calling module in `wasmton-module`). A 2xx body is the answer;
/// any other status fails the host call with the body as the error text.
///
/// The destination must be allowed by the calling module's `--allow-connect` rules, as a
/// guest's own socket would be; redirects are not followed (they could leave the allow-list).
/// A request is bounded by a timeout (`serve` and `call`: `--socket-timeout`) and by the guest
/// call's deadline.
struct WapcHTTPLinks: Sendable {
    /// The longest answer read; a longer one fails the host call.
    static let maxResponseBytes = 16 << 20

    /// One client for every link of the process, never shut down (so nothing has to remember
    /// to): requests carry their own deadlines.
    private static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    private let timeout: Duration

    /// Links whose requests take at most `timeout`, connecting included.
    init(timeout: Duration) {
        self.timeout = timeout
    }

    /// Posts `call` to `url` (whose `host` and `port` the allow-list decides) and returns the
    /// answer. Blocks the calling guest's thread until then.
    func post(
        _ call: WapcHostCall, to url: String, host: String, port: UInt16, network: NetworkPolicy
    ) throws(WapcHostCallError) -> [UInt8] {
        guard network.allowsHostConnection(to: host, port: port, module: call.module) else {
            throw WapcHostCallError(
                "link to \(url) refused: \(host):\(port) is not allowed for module \(call.module) (--allow-connect)")
        }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/msgpack")
        headers.add(name: "wapc-binding", value: call.binding)
        headers.add(name: "wapc-namespace", value: call.namespace)
        headers.add(name: "wapc-operation", value: call.operation)
        headers.add(name: "wasmton-module", value: call.module)
        var limit = ContinuousClock.now + timeout
        if let deadline = call.deadline, deadline < limit { limit = deadline }
        let remaining = limit - ContinuousClock.now
        guard remaining > .zero else { throw WapcHostCallError("link to \(url): the guest call's deadline has passed") }
        let response: HTTPClient.Response
        do {
            let request = try HTTPClient.Request(
                url: url, method: .POST, headers: headers, body: .bytes(call.payload))
            let accumulator = ResponseAccumulator(request: request, maxBodySize: Self.maxResponseBytes)
            response = try Self.client.execute(
                request: request, delegate: accumulator, deadline: .now() + .nanoseconds(Self.nanoseconds(remaining))
            ).wait()
        } catch {
            throw WapcHostCallError("link to \(url) failed: \(Self.describe(error))")
        }
        let body = response.body.map { Array($0.readableBytesView) } ?? []
        guard (200..<300).contains(response.status.code) else {
            let text = String(decoding: body.prefix(4_096), as: UTF8.self).trimmingTrailingWhitespace
            throw WapcHostCallError(text.isEmpty ? "link to \(url) answered HTTP \(response.status.code)" : text)
        }
        return body
    }

    private static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout: return "no answer within the timeout"
            case .connectTimeout: return "the connection timed out"
            default: return "\(error)"
            }
        }
        return "\(error)"
    }

    private static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}

extension String {
    fileprivate var trimmingTrailingWhitespace: String {
        var text = self
        while let last = text.last, last.isWhitespace { text.removeLast() }
        return text
    }
}
