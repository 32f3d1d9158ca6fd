public import Logging
import Synchronization

/// The capabilities guests reach through waPC's `__host_call`, registered by namespace and
/// operation (and optionally binding), so a library user adds their own next to Wasmton's
/// `wasmton:log` and `wasmton:kv`.
///
/// A handler runs on the guest's worker thread while the guest waits: it may block, but should
/// respect the call's deadline. Whatever it throws goes back to the guest as the host error
/// (its ``WapcHostCallError/message``, or the error's description), never up to the caller.
public final class WapcHostCalls: Sendable {
    /// Answers one host call with the response payload.
    public typealias Handler = @Sendable (WapcHostCall) throws -> [UInt8]

    private struct Key: Hashable {
        var binding: String?
        var namespace: String
        var operation: String?
    }

    private let handlers = Mutex<[Key: Handler]>([:])
    private let logger: Logger?
    /// The unanswered calls already warned about, as `module BINDING@NAMESPACE/OPERATION`.
    private let warned = Mutex<Set<String>>([])
    /// Past this many distinct unanswered calls, no more warnings (names come from guests).
    private static let maxWarnings = 1_000

    /// An empty registry: every host call fails with "no host capability …". With a `logger`,
    /// the first unanswered call of each module and `BINDING@NAMESPACE/OPERATION` is logged as
    /// a warning (once: a guest may retry in a loop).
    public init(logger: Logger? = nil) {
        self.logger = logger
    }

    /// A registry with Wasmton's built-in capabilities: `wasmton:log` (to `logger`) and
    /// `wasmton:kv` (a fresh in-memory store per module); unanswered calls are warned about on
    /// `logger`.
    public static func builtIn(logger: Logger) -> WapcHostCalls {
        let hostCalls = WapcHostCalls(logger: logger)
        WapcLogCapability.register(in: hostCalls, logger: logger)
        WapcKeyValueCapability().register(in: hostCalls)
        return hostCalls
    }

    /// Registers `handler` for `namespace`; `operation` nil means every operation of the
    /// namespace, `binding` nil every binding. The most specific registration wins.
    public func register(
        namespace: String, operation: String? = nil, binding: String? = nil, _ handler: @escaping Handler
    ) {
        handlers.withLock { $0[Key(binding: binding, namespace: namespace, operation: operation)] = handler }
    }

    /// Dispatches `call` to its handler; the result is what the guest will read.
    public func dispatch(_ call: WapcHostCall) -> Result<[UInt8], WapcHostCallError> {
        let candidates = [
            Key(binding: call.binding, namespace: call.namespace, operation: call.operation),
            Key(binding: nil, namespace: call.namespace, operation: call.operation),
            Key(binding: call.binding, namespace: call.namespace, operation: nil),
            Key(binding: nil, namespace: call.namespace, operation: nil),
        ]
        let handler = handlers.withLock { table -> Handler? in
            for key in candidates {
                if let handler = table[key] { return handler }
            }
            return nil
        }
        guard let handler else {
            warnUnlinked(call)
            return .failure(
                WapcHostCallError(
                    "no host capability for binding '\(call.binding)', namespace '\(call.namespace)', operation '\(call.operation)'"
                ))
        }
        do {
            return .success(try handler(call))
        } catch let error as WapcHostCallError {
            return .failure(error)
        } catch {
            return .failure(WapcHostCallError("\(error)"))
        }
    }

    /// Logs the first unanswered call of each module and `BINDING@NAMESPACE/OPERATION`.
    private func warnUnlinked(_ call: WapcHostCall) {
        guard let logger else { return }
        let name = "\(call.binding)@\(call.namespace)/\(call.operation)"
        let first = warned.withLock { warned -> Bool in
            guard warned.count < Self.maxWarnings else { return false }
            return warned.insert("\(call.module) \(name)").inserted
        }
        guard first else { return }
        logger.warning(
            "unlinked host call \(name) from module \(call.module): link it with --link '\(name)=TARGET' (further calls are not logged)",
            metadata: ["module": "\(call.module)", "host_call": "\(name)"])
    }
}
