public import WasmtonRuntime

/// Why a proxy-wasm filter could not start or could not handle a stream.
public enum ProxyWasmError: Error, Sendable, CustomStringConvertible {
    /// The module is not a proxy-wasm filter (no ABI version marker, no callbacks, no memory).
    case notAProxyWasmModule(String)
    /// Instantiation or a start-up function (`_initialize`, `_start`, `main`) failed.
    case startupFailed(function: String, GuestError)
    /// `proxy_on_vm_start` or `proxy_on_configure` returned false: the filter refused its
    /// configuration.
    case rejected(callback: String, plugin: String)
    /// A callback trapped or hit a limit. The VM's state is unknown: restart it.
    case callbackFailed(callback: String, GuestError)

    public var description: String {
        switch self {
        case .notAProxyWasmModule(let reason):
            return "not a proxy-wasm filter: \(reason)"
        case .startupFailed(let function, let error):
            return "filter failed to start in \(function): \(error)"
        case .rejected(let callback, let plugin):
            return "filter \(plugin) rejected its configuration (\(callback) returned false)"
        case .callbackFailed(let callback, let error):
            return "filter failed in \(callback): \(error)"
        }
    }

    /// Whether the VM must be replaced: always after a callback failure.
    public var poisonsInstance: Bool {
        switch self {
        case .callbackFailed: return true
        default: return false
        }
    }
}
