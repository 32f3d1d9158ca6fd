import NIOCore
import NIOHTTP1

/// What an exchange hears from the upstream connection it holds.
protocol UpstreamDelegate: AnyObject {
    func upstreamHead(_ head: HTTPResponseHead)
    func upstreamBody(_ body: ByteBuffer)
    func upstreamEnd()
    /// The upstream sent what it had for now: time to flush to the client.
    func upstreamReadComplete()
    /// The connection failed or closed while the exchange held it.
    func upstreamFailed(_ error: any Error)
    /// The connection can take more request body.
    func upstreamWritable()
}
