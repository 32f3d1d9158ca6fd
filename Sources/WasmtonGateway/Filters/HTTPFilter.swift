public import WasmtonContracts
public import WasmtonRuntime

/// A proxy-wasm filter in a gateway's chain: the module, the configuration its root context gets,
/// and what a request sees when the filter fails.
public struct HTTPFilter: Sendable {
    public var module: WasmModule
    public var configuration: ProxyWasmPlugin.Configuration
    /// When the filter traps or hits a limit: `false` (fail closed) answers the request 500;
    /// `true` (fail open) lets the request through as if the filter were not there.
    public var failOpen: Bool

    public init(module: WasmModule, configuration: ProxyWasmPlugin.Configuration, failOpen: Bool = false) {
        self.module = module
        self.configuration = configuration
        self.failOpen = failOpen
    }

    /// Splits `--filter FILTER.wasm[:CONFIG]` into the module path and the plugin configuration
    /// text (empty when there is none). The split is at the first `:` after the file name, so
    /// `auth.wasm:{"token":"s3cret"}` keeps its JSON whole.
    public static func pathAndConfiguration(_ argument: String) -> (path: String, configuration: String) {
        let nameStart = argument.lastIndex(of: "/").map { argument.index(after: $0) } ?? argument.startIndex
        guard let colon = argument[nameStart...].firstIndex(of: ":") else { return (argument, "") }
        return (String(argument[..<colon]), String(argument[argument.index(after: colon)...]))
    }
}
