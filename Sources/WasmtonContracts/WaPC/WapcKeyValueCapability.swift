import Synchronization
import WasmtonMessagePack

/// `wasmton:kv`: a key-value store for guests, one per module (instances of the same module,
/// for example a gateway's pool, share it; other modules cannot see it). In memory, bounded.
///
/// Operations, with MessagePack payloads as waPC expects:
/// - `get`: a key (string, or `{"key": …}` / `[key]`) → the stored value, or nil if absent;
/// - `set`: `{"key": …, "value": …}` or `[key, value]` → nil; the value may be any MessagePack;
/// - `delete`: a key → `true` if it existed.
public final class WapcKeyValueCapability: Sendable {
    /// The namespace guests name in `__host_call`.
    public static let namespace = "wasmton:kv"

    /// Limits per module, so one guest cannot grow the host without bound.
    public struct Limits: Sendable {
        public var maxEntries: Int
        public var maxBytes: Int

        public init(maxEntries: Int = 10_000, maxBytes: Int = 16 << 20) {
            self.maxEntries = maxEntries
            self.maxBytes = maxBytes
        }
    }

    private struct Store {
        var entries: [String: [UInt8]] = [:]
        var bytes = 0
    }

    private let limits: Limits
    private let stores = Mutex<[String: Store]>([:])

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Registers the capability in `hostCalls`.
    public func register(in hostCalls: WapcHostCalls) {
        hostCalls.register(namespace: Self.namespace) { [self] call in try self.handle(call) }
    }

    /// The value stored under `key` by `module`'s guests, encoded as MessagePack.
    public func value(module: String, key: String) -> [UInt8]? {
        stores.withLock { $0[module]?.entries[key] }
    }

    func handle(_ call: WapcHostCall) throws(WapcHostCallError) -> [UInt8] {
        let request: MessagePackValue
        do {
            request = try MessagePack.decode(call.payload)
        } catch {
            throw WapcHostCallError("wasmton:kv \(call.operation): payload is not MessagePack: \(error)")
        }
        switch call.operation {
        case "get":
            let key = try Self.key(of: request, operation: "get")
            return stores.withLock { $0[call.module]?.entries[key] } ?? MessagePack.encode(.nil)
        case "set":
            let (key, value) = try Self.keyAndValue(of: request)
            let encoded = MessagePack.encode(value)
            try stores.withLock { stores throws(WapcHostCallError) in
                var store = stores[call.module] ?? Store()
                let previous = store.entries[key]
                let bytes = store.bytes - (previous.map { $0.count + key.utf8.count } ?? 0) + encoded.count + key.utf8.count
                if previous == nil && store.entries.count >= limits.maxEntries {
                    throw WapcHostCallError("wasmton:kv set: the module's store is full (\(limits.maxEntries) keys)")
                }
                if bytes > limits.maxBytes {
                    throw WapcHostCallError("wasmton:kv set: the module's store would exceed \(limits.maxBytes) bytes")
                }
                store.entries[key] = encoded
                store.bytes = bytes
                stores[call.module] = store
            }
            return MessagePack.encode(.nil)
        case "delete":
            let key = try Self.key(of: request, operation: "delete")
            let existed = stores.withLock { stores -> Bool in
                guard let previous = stores[call.module]?.entries.removeValue(forKey: key) else { return false }
                stores[call.module]?.bytes -= previous.count + key.utf8.count
                return true
            }
            return MessagePack.encode(.bool(existed))
        default:
            throw WapcHostCallError("wasmton:kv has no operation '\(call.operation)' (use get, set or delete)")
        }
    }

    private static func key(of request: MessagePackValue, operation: String) throws(WapcHostCallError) -> String {
        switch request {
        case .string(let key): return key
        case .array(let items):
            if case .string(let key)? = items.first { return key }
        case .map:
            if case .string(let key)? = request["key"] { return key }
        default: break
        }
        throw WapcHostCallError("wasmton:kv \(operation): expected a string key, {\"key\": …} or [key]")
    }

    private static func keyAndValue(of request: MessagePackValue) throws(WapcHostCallError) -> (String, MessagePackValue) {
        switch request {
        case .array(let items) where items.count == 2:
            if case .string(let key) = items[0] { return (key, items[1]) }
        case .map:
            if case .string(let key)? = request["key"], let value = request["value"] { return (key, value) }
        default: break
        }
        throw WapcHostCallError("wasmton:kv set: expected {\"key\": string, \"value\": …} or [key, value]")
    }
}
