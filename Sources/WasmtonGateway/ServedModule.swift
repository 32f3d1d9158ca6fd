public import WasmtonContracts
public import WasmtonRuntime

/// A module the gateway serves, and the name it is served under in `/v1/{name}/{operation}`.
public struct ServedModule: Sendable {
    public var name: String
    public var module: WasmModule
    /// What this module's instances may connect to, in place of the configuration's
    /// ``GatewayConfiguration/sandbox`` policy; `nil` keeps that one.
    public var network: NetworkPolicy?
    /// What this module's guests reach through `__host_call`, in place of the gateway's
    /// registry (a registry per module, with its own host-call links); `nil` keeps that one.
    public var hostCalls: WapcHostCalls?

    public init(name: String, module: WasmModule, network: NetworkPolicy? = nil, hostCalls: WapcHostCalls? = nil) {
        self.name = name
        self.module = module
        self.network = network
        self.hostCalls = hostCalls
    }

    /// Splits a command-line module argument: `NAME=PATH`, or `PATH`, named by its file name
    /// without extension (`guests/build/cuckoo_filter.wasm` is served as `cuckoo_filter`).
    public static func nameAndPath(_ argument: String) -> (name: String, path: String) {
        if let equals = argument.firstIndex(of: "="), !argument[..<equals].contains("/") {
            return (String(argument[..<equals]), String(argument[argument.index(after: equals)...]))
        }
        let file = argument.split(separator: "/").last.map(String.init) ?? argument
        let name =
            file.hasSuffix(".wasm") ? String(file.dropLast(5)) : (file.split(separator: ".").first.map(String.init) ?? file)
        return (name, argument)
    }
}
