public import Hummingbird
public import NIOCore

/// The request context of the gateway and the proxy: Hummingbird's core context plus the
/// client's address, which filters read as `source.address` and the proxy sends on as
/// `x-forwarded-for`.
public struct ClientRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// The client's address and port, when the connection has one (not a Unix socket).
    var client: (address: String, port: Int)? {
        guard let remoteAddress, let address = remoteAddress.ipAddress else { return nil }
        return (address, remoteAddress.port ?? 0)
    }
}
