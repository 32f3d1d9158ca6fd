import Foundation
import Testing
import WasmtonGateway
import WasmtonTestSupport

@Suite("Connection limits")
struct ConnectionLimitTests {
    @Test("a half-sent request and an idle keep-alive connection are closed after the idle timeout")
    func idleTimeout() async throws {
        try await withGateway(configure: { $0.connections = ConnectionLimits(idleTimeout: .milliseconds(500)) }) {
            _, client in
            let port = UInt16(try #require(client.port))
            let (status, halfClosed, idleClosed, elapsed) = try await RawHTTP.onThread {
                let half = try RawHTTPConnection(port: port, timeout: .seconds(10))
                try half.send(Array("GET /healthz HTTP/1.1\r\nHost: wasmton\r\n".utf8))  // the head never ends
                let idle = try RawHTTPConnection(port: port, timeout: .seconds(10))
                let answer = try idle.exchange(path: "/healthz", headers: [RawHeader("Host", "wasmton")])
                let clock = ContinuousClock()
                let start = clock.now
                let halfClosed = half.waitUntilClosed()
                let idleClosed = idle.waitUntilClosed()
                return (answer.status, halfClosed, idleClosed, clock.now - start)
            }
            #expect(status == 200, "a request sent in time is answered on the same connection")
            #expect(halfClosed, "a connection whose request head never ends is cut")
            #expect(idleClosed, "an idle keep-alive connection is cut")
            #expect(elapsed < .seconds(5), "both within the timeout and its timer's slack, not the 10 s receive limit")
        }
    }

    @Test("connections past the cap are closed at once, and those within it keep working")
    func cap() async throws {
        try await withGateway(configure: { $0.connections = ConnectionLimits(maxConnections: 3) }) { _, client in
            let port = UInt16(try #require(client.port))
            let (refusedAt, answers) = try await RawHTTP.onThread { () -> (Int?, [Int]) in
                var open: [RawHTTPConnection] = []
                var refusedAt: Int?
                for index in 1...5 {
                    let connection = try RawHTTPConnection(port: port, timeout: .seconds(10))
                    guard let answer = try? connection.exchange(path: "/healthz", headers: [RawHeader("Host", "wasmton")]),
                        answer.status == 200
                    else {
                        refusedAt = index
                        break
                    }
                    open.append(connection)
                }
                // The admitted connections still serve requests.
                let answers = try open.map {
                    try $0.exchange(path: "/healthz", headers: [RawHeader("Host", "wasmton")]).status
                }
                return (refusedAt, answers)
            }
            // The test client may hold one connection of its own, so the fourth raw one at the latest is refused.
            let refused = try #require(refusedAt, "no connection was refused")
            #expect((3...4).contains(refused))
            #expect(answers == Array(repeating: 200, count: refused - 1))
        }
    }
}
