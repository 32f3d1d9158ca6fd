import Synchronization

/// What the proxy-wasm host functions of one plugin VM work on: the configurations, the stream
/// whose callback is running, and the VM's own settings (tick period, effective context).
final class ProxyWasmState: Sendable {
    struct Current {
        var stream: FilterStream?
        var effectiveContext: Int32 = 0
        var tickPeriod: Duration?
    }

    let pluginName: String
    let pluginConfiguration: [UInt8]
    let vmConfiguration: [UInt8]
    let rootContextID: Int32
    /// The ABI version the module declares.
    let abi: ProxyWasmABI.Version
    /// The export the host calls to get guest memory for the values it returns.
    let allocator: String
    private let current = Mutex(Current())

    init(
        pluginName: String, pluginConfiguration: [UInt8], vmConfiguration: [UInt8], rootContextID: Int32,
        abi: ProxyWasmABI.Version, allocator: String
    ) {
        self.pluginName = pluginName
        self.pluginConfiguration = pluginConfiguration
        self.vmConfiguration = vmConfiguration
        self.rootContextID = rootContextID
        self.abi = abi
        self.allocator = allocator
    }

    func withCurrent<R>(_ body: (inout Current) -> R) -> R {
        current.withLock { body(&$0) }
    }

    var stream: FilterStream? { current.withLock { $0.stream } }
}
