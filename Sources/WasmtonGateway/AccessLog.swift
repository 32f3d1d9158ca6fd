import Foundation
import HTTPTypes
import Logging
import Synchronization

/// The gateway's per-request bookkeeping: one structured log line (method, path, status,
/// duration, module, operation, sizes, request id) when the log level is info or lower, and the
/// request metrics of waPC calls. Hummingbird's routes (through ``AccessLogMiddleware``) and the
/// ``EventLoopResponder`` both record through it, so a request looks the same whichever answered it.
struct AccessLog: Sendable {
    let logger: Logger
    let defaultRoute: (module: String, operation: String)?
    private let metrics = GatewayMetrics()
    /// The logger's level, read once: asking the log handler costs a copy of it per request.
    private let logsRequests: Bool

    init(logger: Logger, defaultRoute: (module: String, operation: String)?) {
        self.logger = logger
        self.defaultRoute = defaultRoute
        logsRequests = logger.logLevel <= .info
    }

    /// One request answered: `start` is when its head arrived. `call` is the module and
    /// operation when the caller knows them (else they are read from the path).
    func record(
        requestID: String, method: String, path: Substring, status: Int, start: ContinuousClock.Instant,
        bytesIn: String?, bytesOut: Int?, call: (module: String, operation: String)?? = nil
    ) {
        let duration = ContinuousClock.now - start
        let (module, operation) = call.map { ($0?.module, $0?.operation) } ?? route(of: path)
        if let module, let operation {
            metrics.request(module: module, operation: operation, status: status, duration: duration)
        }
        // Building the line costs more than the rest of a cheap request: skip it when not logged.
        guard logsRequests else { return }
        var metadata: Logger.Metadata = [
            "request_id": "\(requestID)", "method": "\(method)", "path": "\(path)", "status": "\(status)",
            "duration_ms": "\(String(format: "%.3f", duration.seconds * 1000))",
        ]
        if let module { metadata["module"] = "\(module)" }
        if let operation { metadata["operation"] = "\(operation)" }
        if let bytesIn { metadata["bytes_in"] = "\(bytesIn)" }
        if let bytesOut { metadata["bytes_out"] = "\(bytesOut)" }
        logger.info("request", metadata: metadata)
    }

    /// The module and operation a path names, for labels (nil for health and metrics paths).
    private func route(of path: Substring) -> (String?, String?) {
        let parts = path.split(separator: "/")
        if parts.count == 3, parts[0] == "v1" { return (String(parts[1]), String(parts[2])) }
        if parts.isEmpty, let defaultRoute { return (defaultRoute.module, defaultRoute.operation) }
        return (nil, nil)
    }

    /// A new request id, for a request that came without `x-request-id`: 16 hex digits, unique
    /// in the process and not guessable from another. A counter scrambled with a key drawn once
    /// (a bijection, so no two ids repeat before 2⁶⁴ requests); drawing 8 random bytes per
    /// request cost a `getrandom` system call each time.
    static func newRequestID() -> String {
        let count = requestCounter.wrappingAdd(1, ordering: .relaxed).newValue
        let id = scrambled(count ^ requestKey.low, key: requestKey.high)
        // Written digit by digit into a fixed buffer: `String(_:radix:)` and
        // `String(unsafeUninitializedCapacity:)` cost several times as much.
        var text: (UInt64, UInt64) = (0, 0)
        return withUnsafeMutableBytes(of: &text) { raw in
            let digits: StaticString = "0123456789abcdef"
            for index in 0..<16 { raw[index] = digits.utf8Start[Int(truncatingIfNeeded: id >> (60 - 4 * index)) & 0xF] }
            return String(decoding: raw.bindMemory(to: UInt8.self), as: UTF8.self)
        }
    }

    /// The key of ``newRequestID()``'s scrambling, drawn once per process.
    private static let requestKey = (low: UInt64.random(in: 0...UInt64.max), high: UInt64.random(in: 0...UInt64.max))
    private static let requestCounter = Atomic<UInt64>(0)

    /// A keyed bijection of 64-bit numbers (SplitMix64's finalizer, then the key added and
    /// mixed once more).
    private static func scrambled(_ value: UInt64, key: UInt64) -> UInt64 {
        func mix(_ value: UInt64) -> UInt64 {
            var z = value
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            return z ^ (z >> 31)
        }
        return mix(mix(value) &+ key)
    }
}
