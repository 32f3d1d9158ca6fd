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
    /// text (empty when there is none). The split is after the first `.wasm` (or `.wat`) followed
    /// by `:`, so a configuration may hold colons and slashes (`auth.wasm:@/etc/token`, JSON).
    public static func pathAndConfiguration(_ argument: String) -> (path: String, configuration: String) {
        for suffix in [".wasm:", ".wat:"] {
            if let range = argument.range(of: suffix) {
                let pathEnd = argument.index(range.upperBound, offsetBy: -1)
                return (String(argument[..<pathEnd]), String(argument[range.upperBound...]))
            }
        }
        return (argument, "")
    }
}
