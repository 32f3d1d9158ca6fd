import Foundation
public import WasmtonCapture
public import WasmtonRuntime

/// How the HTTP gateway listens, bounds requests and sizes its instance pools.
public struct GatewayConfiguration: Sendable {
    /// The address to listen on; loopback unless the operator says otherwise.
    public var host: String
    /// The TCP port; 0 picks a free one (see ``Gateway/run(alongside:onListening:)``).
    public var port: Int
    /// Instances per module (calls that run at once); defaults to the number of cores.
    public var poolSize: Int
    /// Requests per module that may wait for a free instance before new ones get 503.
    public var maxWaiting: Int
    /// Give every request a new instance (made from the pre-validated module) instead of reusing
    /// pooled ones: slower, but no state survives between requests.
    public var freshInstance: Bool
    /// The largest request body accepted; larger ones get 413.
    public var maxBodyBytes: Int
    /// How long a request may wait for an instance and run; past it the answer is 503 (still
    /// waiting) or 504 (the guest was running). Guests get the same limit through
    /// ``sandbox``'s timeout, which the gateway sets from this.
    public var requestTimeout: Duration
    /// The sandbox guest instances run in (preopens, environment, memory and fuel limits).
    public var sandbox: Sandbox
    /// Serve the book's single-function forms at `/` with this operation of the first module:
    /// `GET /?key=<json>` and a form body such as `name=foo`.
    public var defaultOperation: String?
    /// proxy-wasm filters every request passes through, in order, before the routes.
    public var filters: [HTTPFilter]
    /// Idle timeout and connection cap of the listener.
    public var connections: ConnectionLimits
    /// How long a call may run on the request's own thread before it moves to a guest thread
    /// (see `WapcGuest.callInSlice(_:payload:slice:)`); nil runs every call on a guest thread.
    public var callSlice: Duration?
    /// Answer the hot routes (`/v1/…`, `/`, the probes) on the connection's event loop, without
    /// Hummingbird's task per connection (see the gateway's `EventLoopResponder`); off sends
    /// every request through Hummingbird's router. Filters and tracing always take the router.
    public var answersOnEventLoop: Bool
    /// Samples waPC requests (module, operation, payload) into a capture file for
    /// `wasmton replay` (`serve --capture`); nil costs the request path one nil check.
    public var capture: CaptureSampler?

    public init(
        host: String = "127.0.0.1", port: Int = 8080, poolSize: Int = GatewayConfiguration.processorCount,
        maxWaiting: Int = 128, freshInstance: Bool = false, maxBodyBytes: Int = 1 << 20,
        requestTimeout: Duration = .seconds(30), sandbox: Sandbox = Sandbox(), defaultOperation: String? = nil,
        filters: [HTTPFilter] = [], connections: ConnectionLimits = ConnectionLimits(),
        callSlice: Duration? = .milliseconds(2), answersOnEventLoop: Bool = true, capture: CaptureSampler? = nil
    ) {
        self.capture = capture
        self.answersOnEventLoop = answersOnEventLoop
        self.callSlice = callSlice
        self.connections = connections
        self.host = host
        self.port = port
        self.poolSize = poolSize
        self.maxWaiting = maxWaiting
        self.freshInstance = freshInstance
        self.maxBodyBytes = maxBodyBytes
        self.requestTimeout = requestTimeout
        self.sandbox = sandbox
        self.defaultOperation = defaultOperation
        self.filters = filters
    }

    /// The number of cores the process may use: the default pool size.
    public static var processorCount: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }
}
