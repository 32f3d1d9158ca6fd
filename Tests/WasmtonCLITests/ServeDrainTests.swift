import Foundation
import Synchronization
import Testing
import WasmtonTestSupport

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
        let idle = try RawHTTPConnection(port: port, timeout: .seconds(20))
        #expect(try idle.exchange(path: "/healthz", headers: [RawHeader("Host", "w")]).status == 200)
        // Four calls that sleep 800 ms on guest threads (MessagePack uint 800 = cd 03 20).
        let answers = Mutex<[Int]>([])
        let started = DispatchSemaphore(value: 0)
        let done = DispatchGroup()
        for _ in 0..<4 {
            done.enter()
            Thread.detachNewThread {
                defer { done.leave() }
                let connection = try? RawHTTPConnection(port: port, timeout: .seconds(20))
                started.signal()
                let answer = try? connection?.exchange(
                    method: "POST", path: "/v1/wapc_echo/sleep",
                    headers: [
                        RawHeader("Host", "w"), RawHeader("Content-Type", "application/msgpack"),
                        RawHeader("Accept", "application/msgpack"), RawHeader("Content-Length", "3"),
                    ],
                    body: [0xCD, 0x03, 0x20])
                answers.withLock { $0.append(answer?.status ?? 0) }
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
        #expect(all == [200, 200, 200, 200], "every in-flight call answered")
        #expect(idle.waitUntilClosed(), "the idle keep-alive connection is closed by the drain")
        #expect(!server.process.isRunning && server.process.terminationStatus == 0, "\(server.stderr)")
        #expect(stopped < .seconds(10), "drained in \(stopped)")
    }
}
