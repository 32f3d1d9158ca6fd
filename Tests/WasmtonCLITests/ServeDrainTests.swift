import Foundation
import Synchronization
import Testing

/// SIGTERM while requests are in flight: every one of them is answered, connections with nothing
/// in progress are closed, and `wasmton serve` exits 0; on both request paths (the event loop's
/// and Hummingbird's router).
@Suite("wasmton serve drains on SIGTERM")
struct ServeDrainTests {
    @Test(
        "in-flight requests all finish with 200 after SIGTERM, idle keep-alive connections close, exit status 0",
        arguments: [[], ["--no-event-loop-answers"]])
    func drain(extra: [String]) async throws {
        let server = try NetworkCommandTests.Server([CLI.guest("wapc_echo.wasm"), "--pool-size", "4"] + extra)
        defer { server.stop() }
        let port = server.port
        // An idle keep-alive connection that has already had its answer.
        let idle = try RawConnection(port: port)
        #expect(try idle.exchange("GET /healthz HTTP/1.1\r\nHost: w\r\n\r\n").hasPrefix("HTTP/1.1 200"))
        // Four calls that sleep 800 ms on guest threads (MessagePack uint 800 = cd 03 20).
        let answers = Mutex<[String]>([])
        let started = DispatchSemaphore(value: 0)
        let done = DispatchGroup()
        for _ in 0..<4 {
            done.enter()
            Thread.detachNewThread {
                defer { done.leave() }
                let connection = try? RawConnection(port: port)
                started.signal()
                let answer =
                    (try? connection?.exchange(
                        "POST /v1/wapc_echo/sleep HTTP/1.1\r\nHost: w\r\nContent-Type: application/msgpack\r\n"
                            + "Accept: application/msgpack\r\nContent-Length: 3\r\n\r\n",
                        body: [0xCD, 0x03, 0x20])) ?? "no answer"
                answers.withLock { $0.append(answer) }
            }
        }
        for _ in 0..<4 { started.wait() }
        try await Task.sleep(for: .milliseconds(300))
        let signalled = ContinuousClock.now
        server.process.terminate()
        done.wait()
        let exitDeadline = ContinuousClock.now + .seconds(15)
        while server.process.isRunning, ContinuousClock.now < exitDeadline { try await Task.sleep(for: .milliseconds(20)) }
        let stopped = ContinuousClock.now - signalled
        let all = answers.withLock { $0 }
        #expect(all.count == 4)
        #expect(all.allSatisfy { $0.hasPrefix("HTTP/1.1 200") }, "\(all)")
        #expect(idle.isClosed(), "the idle keep-alive connection is closed by the drain")
        #expect(!server.process.isRunning && server.process.terminationStatus == 0, "\(server.stderr)")
        #expect(stopped < .seconds(10), "drained in \(stopped)")
    }
}

/// A blocking HTTP/1.1 client connection for the drain test: sends bytes, reads one answer
/// (head and a Content-Length body) as text.
private final class RawConnection {
    let handle: Int32

    init(port: UInt16) throws {
        handle = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var timeout = timeval(tv_sec: 20, tv_usec: 0)
        setsockopt(handle, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(handle, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            close(handle)
            throw POSIXError(.ECONNREFUSED)
        }
    }

    deinit { close(handle) }

    func exchange(_ head: String, body: [UInt8] = []) throws -> String {
        let request = Array(head.utf8) + body
        guard request.withUnsafeBytes({ send(handle, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count
        else { throw POSIXError(.EPIPE) }
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4_096)
        while true {
            let text = String(decoding: answer, as: UTF8.self)
            if let end = text.range(of: "\r\n\r\n") {
                let length =
                    text[..<end.lowerBound].lowercased().firstMatch(of: #/content-length: *([0-9]+)/#)
                    .flatMap { Int($0.1) } ?? 0
                if answer.count - text.utf8.distance(from: text.startIndex, to: end.upperBound) >= length { return text }
            }
            let count = recv(handle, &buffer, buffer.count, 0)
            guard count > 0 else { return text }
            answer += buffer[0..<count]
        }
    }

    /// Whether the server has closed the connection (a read sees the end, not a timeout).
    func isClosed() -> Bool {
        var byte: UInt8 = 0
        return recv(handle, &byte, 1, 0) == 0
    }
}
