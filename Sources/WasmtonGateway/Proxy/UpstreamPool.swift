import NIOCore
import NIOHTTP1
import NIOPosix

/// The upstream connections of one event loop: opened on that loop (so an exchange never
/// crosses threads), kept alive and reused, at most ``Settings/maxConnections`` open at once;
/// exchanges beyond that wait in order for one to come free.
///
/// Confined to its event loop: every method is called there.
final class UpstreamPool {
    struct Settings: Sendable {
        var host: String
        var port: Int
        var maxConnections: Int
        var connectTimeout: Duration
    }

    typealias Callback = (Result<UpstreamConnection, any Error>) -> Void

    private struct Waiter {
        let id: Int
        let callback: Callback
    }

    let eventLoop: any EventLoop
    let settings: Settings
    private let counters: ProxyCounters
    private var idle: [UpstreamConnection] = []
    /// Connections open or being opened.
    private var open = 0
    private var waiters = CircularBuffer<Waiter>()
    private var lastWaiter = 0
    private var closed = false

    init(eventLoop: any EventLoop, settings: Settings, counters: ProxyCounters) {
        self.eventLoop = eventLoop
        self.settings = settings
        self.counters = counters
    }

    /// Gets a connection for one exchange: an idle one at once (the callback runs before this
    /// returns nil), else a new or freed one later; the result is the waiter's id, for
    /// ``cancel(_:)``.
    func acquire(_ callback: @escaping Callback) -> Int? {
        while let connection = idle.popLast() {
            guard connection.isUsable else { continue }
            connection.reused = true
            callback(.success(connection))
            return nil
        }
        guard !closed else {
            callback(.failure(UpstreamConnectionError.shuttingDown))
            return nil
        }
        lastWaiter += 1
        waiters.append(Waiter(id: lastWaiter, callback: callback))
        if open < settings.maxConnections { connect() }
        return lastWaiter
    }

    /// Stops waiting (the exchange timed out or its client went away).
    func cancel(_ id: Int) {
        if let index = waiters.firstIndex(where: { $0.id == id }) { waiters.remove(at: index) }
    }

    /// Takes a connection back after its exchange: kept for the next one if `reusable` (the
    /// response ended and allowed it), else closed.
    func release(_ connection: UpstreamConnection, reusable: Bool) {
        connection.delegate = nil
        connection.resumeReads()
        guard reusable, !closed, connection.keepAlive, connection.isUsable else {
            connection.close()
            return
        }
        if let waiter = waiters.popFirst() {
            connection.reused = true
            waiter.callback(.success(connection))
            return
        }
        idle.append(connection)
    }

    /// A connection closed (by either side, idle or not): its place is free.
    func connectionClosed(_ connection: UpstreamConnection) {
        open -= 1
        idle.removeAll { $0 === connection }
        if !waiters.isEmpty && open < settings.maxConnections && !closed { connect() }
    }

    /// Closes the idle connections and fails waiting exchanges; later exchanges fail at once.
    func shutdown() {
        closed = true
        let idle = idle
        self.idle = []
        for connection in idle { connection.close() }
        let waiters = waiters
        self.waiters = []
        for waiter in waiters { waiter.callback(.failure(UpstreamConnectionError.shuttingDown)) }
    }

    private func connect() {
        open += 1
        counters.upstreamConnects.add(1, ordering: .relaxed)
        let pool = NIOLoopBound(self, eventLoop: eventLoop)
        ClientBootstrap(group: eventLoop)
            .connectTimeout(TimeAmount(settings.connectTimeout))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    // Requests leave as bytes that `ProxyHeaders` wrote (names that are tokens,
                    // values legal, framing included), so no encoder: only NIO's response parser.
                    let responses = UpstreamResponseDecoder()
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(responses))
                    try channel.pipeline.syncOperations.addHandler(
                        UpstreamConnection(pool: pool.value, responses: responses))
                }
            }
            .connect(host: settings.host, port: settings.port)
            .assumeIsolated()
            .whenComplete { [self] result in
                switch result {
                case .success(let channel):
                    guard let connection = try? channel.pipeline.syncOperations.handler(type: UpstreamConnection.self),
                        connection.isUsable
                    else {
                        // Closed already: its close gave its place back.
                        waiters.popFirst()?.callback(.failure(UpstreamConnectionError.closed))
                        return
                    }
                    if closed {
                        connection.close()
                        return
                    }
                    if let waiter = waiters.popFirst() {
                        waiter.callback(.success(connection))
                    } else {
                        idle.append(connection)
                    }
                case .failure(let error):
                    open -= 1
                    waiters.popFirst()?.callback(.failure(error))
                }
            }
    }
}
