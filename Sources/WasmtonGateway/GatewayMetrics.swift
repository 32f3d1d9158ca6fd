import Metrics
import Synchronization

/// The gateway's metrics, through swift-metrics (the CLI exports them in Prometheus format):
/// requests and latency per module, operation and status; pool size, waits and guest failures.
///
/// The per-request handles are made once per label set and kept: making a swift-metrics handle
/// asks the backend's registry (a lock, a label string, a lookup), which cost more than the
/// rest of a cheap request's bookkeeping.
struct GatewayMetrics: Sendable {
    private struct RequestKey: Hashable {
        var module: String
        var operation: String
        var status: Int
    }

    private struct RequestHandles {
        var count: Counter
        var duration: Timer
    }

    /// The handles made so far, and the last ones used: a gateway answers mostly one module's
    /// operation with one status, and comparing the same strings again is far cheaper than
    /// hashing them.
    private struct RequestHandleCache {
        var all: [RequestKey: RequestHandles] = [:]
        var last: (key: RequestKey, handles: RequestHandles)?
    }

    private static let requestHandles = Mutex(RequestHandleCache())

    /// The handles of one served module's pool, made with the pool.
    struct PoolHandles: Sendable {
        /// How long calls on guest threads waited for an instance (a call in a time slice
        /// runs only on an idle one, and is not recorded).
        let wait: Timer
        /// Calls tried in a time slice on the request's thread that finished there, or moved to
        /// a guest thread.
        let sliceFinished: Counter
        let sliceMoved: Counter

        init(module: String) {
            wait = Timer(label: "wasmton_pool_wait_seconds", dimensions: [("module", module)], preferredDisplayUnit: .seconds)
            sliceFinished = Counter(
                label: "wasmton_slice_calls_total", dimensions: [("module", module), ("outcome", "finished")])
            sliceMoved = Counter(label: "wasmton_slice_calls_total", dimensions: [("module", module), ("outcome", "moved")])
        }
    }

    func request(module: String, operation: String, status: Int, duration: Duration) {
        let key = RequestKey(module: module, operation: operation, status: status)
        let handles = Self.requestHandles.withLock { cache in
            if let last = cache.last, last.key == key { return last.handles }
            if let known = cache.all[key] {
                cache.last = (key, known)
                return known
            }
            let made = RequestHandles(
                count: Counter(
                    label: "wasmton_http_requests_total",
                    dimensions: [("module", module), ("operation", operation), ("status", String(status))]),
                duration: Timer(
                    label: "wasmton_http_request_duration_seconds",
                    dimensions: [("module", module), ("operation", operation)], preferredDisplayUnit: .seconds))
            // Operations come from request paths: bound the table so unknown names cannot grow it forever.
            if cache.all.count < 4_096 { cache.all[key] = made }
            cache.last = (key, made)
            return made
        }
        handles.count.increment()
        // `Timer.record(duration:)` works the components out twice.
        let (seconds, attoseconds) = duration.components
        handles.duration.recordNanoseconds(seconds &* 1_000_000_000 &+ attoseconds / 1_000_000_000)
    }

    func guestFailure(module: String, operation: String, kind: String) {
        Counter(
            label: "wasmton_guest_failures_total", dimensions: [("module", module), ("operation", operation), ("kind", kind)]
        ).increment()
    }

    func pool(module: String, size: Int, idle: Int, busy: Int, waiting: Int) {
        Gauge(label: "wasmton_pool_instances", dimensions: [("module", module)]).record(size)
        Gauge(label: "wasmton_pool_idle", dimensions: [("module", module)]).record(idle)
        Gauge(label: "wasmton_pool_busy", dimensions: [("module", module)]).record(busy)
        Gauge(label: "wasmton_pool_waiting", dimensions: [("module", module)]).record(waiting)
    }
}
