import Foundation
import Synchronization

/// A TCP server on 127.0.0.1 with a behaviour chosen by the test (echo, HTTP, silence, a reset
/// half-way), for the socket extension's tests. Each connection gets a thread; `stop()` closes
/// the listener and every connection.
public final class LoopbackServer: Sendable {
    /// What the server does with each connection.
    public enum Behaviour: Sendable {
        /// Sends back every byte until the client closes its side, then closes.
        case echo
        /// Reads one HTTP request, waits `delay`, answers `HTTP/1.0 200` with `body(path)`, closes.
        case http(delay: Duration, body: @Sendable (String) -> String)
        /// Accepts and never sends or closes (a peer that never answers).
        case silent
        /// Reads whatever arrives first, sends `bytes`, then resets the connection (a peer that
        /// goes away in the middle of an answer).
        case resetAfter([UInt8])
    }

    private struct State {
        var connections: [Int32] = []
        var accepted = 0
        var stopped = false
    }

    /// The port the server listens on.
    public let port: UInt16
    private let listener: Int32
    private let behaviour: Behaviour
    private let state = Mutex(State())

    /// Starts listening on an ephemeral port of 127.0.0.1.
    public init(_ behaviour: Behaviour) throws {
        self.behaviour = behaviour
        (listener, port) = try listenOnLoopback()
        let thread = Thread { [self] in acceptLoop() }
        thread.name = "loopback-server-\(port)"
        thread.start()
    }

    deinit {
        stop()
    }

    /// How many connections the server has accepted so far.
    public var acceptedCount: Int { state.withLock { $0.accepted } }

    /// How many accepted connections are still open (the client has not closed them).
    public var openConnections: Int { state.withLock { $0.connections.count } }

    /// Closes the listener and every open connection.
    public func stop() {
        let handles = state.withLock { state -> [Int32]? in
            guard !state.stopped else { return nil }
            state.stopped = true
            defer { state.connections.removeAll() }
            return state.connections
        }
        // Only the first stop may touch the descriptors: by a second one they may be reused.
        guard let handles else { return }
        for handle in handles { shutdown(handle, Int32(SHUT_RDWR)) }
        shutdown(listener, Int32(SHUT_RDWR))
    }

    private func acceptLoop() {
        defer { close(listener) }
        while true {
            let connection = accept(listener, nil, nil)
            if connection < 0 {
                if errno == EINTR { continue }
                return
            }
            let keep = state.withLock { state -> Bool in
                guard !state.stopped else { return false }
                state.accepted += 1
                state.connections.append(connection)
                return true
            }
            guard keep else {
                close(connection)
                return
            }
            let thread = Thread { [self] in
                serve(connection)
                let owned = state.withLock { state -> Bool in
                    guard let index = state.connections.firstIndex(of: connection) else { return false }
                    state.connections.remove(at: index)
                    return true
                }
                if owned { close(connection) }
            }
            thread.start()
        }
    }

    private func serve(_ connection: Int32) {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        switch behaviour {
        case .echo:
            while true {
                let count = recv(connection, &buffer, buffer.count, 0)
                if count <= 0 { return }
                if !sendAll(connection, Array(buffer[0..<count])) { return }
            }
        case .http(let delay, let body):
            var request: [UInt8] = []
            while !request.ends(with: Array("\r\n\r\n".utf8)) && request.count < 65_536 {
                let count = recv(connection, &buffer, buffer.count, 0)
                if count <= 0 { return }
                request += buffer[0..<count]
            }
            let line = String(decoding: request.prefix { $0 != 13 }, as: UTF8.self).split(separator: " ")
            let path = line.count > 1 ? String(line[1]) : "/"
            Thread.sleep(forTimeInterval: Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18)
            let content = Array(body(path).utf8)
            let head = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: \(content.count)\r\n\r\n"
            _ = sendAll(connection, Array(head.utf8) + content)
        case .silent:
            while recv(connection, &buffer, buffer.count, 0) > 0 {}
        case .resetAfter(let bytes):
            _ = recv(connection, &buffer, buffer.count, 0)
            _ = sendAll(connection, bytes)
            var linger = linger(l_onoff: 1, l_linger: 0)
            setsockopt(connection, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<linger>.size))
        }
    }

    private func sendAll(_ connection: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let count = bytes[offset...].withUnsafeBytes { send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if count <= 0 { return false }
            offset += count
        }
        return true
    }
}

/// The server could not start.
public enum LoopbackServerError: Error {
    case setup(String)
}

extension Array where Element == UInt8 {
    fileprivate func ends(with suffix: [UInt8]) -> Bool {
        count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix
    }
}
