import Foundation
import Synchronization
import Testing
import WasmtonRuntime
import WasmtonTestSupport

/// The socket extension from inside an instance: `guests/build/net_probe.wasm` run as a WASI
/// command against servers on 127.0.0.1, and a small WAT reactor that holds sockets open.
@Suite("Sockets: the WASI socket extension behind the allow-list")
struct SocketTests {
    /// What one run of net_probe did.
    struct ProbeRun: Sendable, CustomStringConvertible {
        var arguments: [String]
        var stdout: String
        var stderr: String
        var error: GuestError?
        var elapsed: Duration

        /// `_start` returned, or the guest exited with status 0.
        var succeeded: Bool { error == nil || error == .exited(code: 0) }

        var description: String {
            "net_probe \(arguments.joined(separator: " ")) → \(error.map { "\($0)" } ?? "returned") after \(elapsed)"
                + "\n--- stdout ---\n\(stdout)--- stderr ---\n\(stderr)"
        }
    }

    /// Runs `net_probe ARGUMENTS…` in a fresh instance with `network` and `limits`, on the calling
    /// thread (a test that blocks holds its own thread, so its bounded waits cannot be starved).
    static func probe(_ arguments: [String], network: NetworkPolicy, limits: Limits = Limits()) throws -> ProbeRun {
        let sandbox = Sandbox(arguments: ["net_probe"] + arguments, stdio: .capture, limits: limits, network: network)
        let instance = try Guests.runtime.instantiate(try Guests.module("net_probe"), sandbox: sandbox)
        defer { instance.close() }
        let start = ContinuousClock.now
        let failure = guestError { try instance.call("_start") }
        let elapsed = ContinuousClock.now - start
        let output = instance.takeOutput()
        return ProbeRun(
            arguments: arguments, stdout: String(decoding: output.stdout, as: UTF8.self),
            stderr: String(decoding: output.stderr, as: UTF8.self), error: failure, elapsed: elapsed)
    }

    /// Starts `net_probe ARGUMENTS…` on a thread of its own; `wait` returns its run (nil if it
    /// has not finished within the bound).
    final class Background: Sendable {
        private let done = DispatchSemaphore(value: 0)
        private let result = Mutex<ProbeRun?>(nil)

        init(_ arguments: [String], network: NetworkPolicy) {
            let thread = Thread { [self] in
                let run: ProbeRun
                do {
                    run = try SocketTests.probe(arguments, network: network)
                } catch {
                    run = ProbeRun(arguments: arguments, stdout: "", stderr: "\(error)", error: nil, elapsed: .zero)
                }
                result.withLock { $0 = run }
                done.signal()
            }
            thread.stackSize = 4 << 20
            thread.start()
        }

        func wait(_ limit: Duration) -> ProbeRun? {
            let seconds = Double(limit.components.seconds) + Double(limit.components.attoseconds) / 1e18
            guard done.wait(timeout: .now() + seconds) == .success else { return nil }
            return result.withLock { $0 }
        }
    }

    /// Expects net_probe to have succeeded and printed exactly `line`.
    static func expectLine(_ run: ProbeRun, _ line: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(run.succeeded, "\(run)", sourceLocation: sourceLocation)
        #expect(run.stdout == line + "\n", "\(run)", sourceLocation: sourceLocation)
    }

    /// A policy allowing exactly `rules`.
    static func allowing(
        _ rules: String..., maxSockets: Int = 16, ioTimeout: Duration = .seconds(30)
    ) throws -> NetworkPolicy {
        var policy = try NetworkPolicy(allowing: rules)
        policy.maxSockets = maxSockets
        policy.ioTimeout = ioTimeout
        return policy
    }

    /// Polls `condition` every 10 ms for up to `limit`, blocking this thread; whether it became true.
    static func eventually(within limit: Duration = .seconds(5), _ condition: () -> Bool) -> Bool {
        let end = ContinuousClock.now + limit
        while !condition() {
            guard ContinuousClock.now < end else { return false }
            usleep(10_000)
        }
        return true
    }

    /// Proves that nothing before this call reached `server`: an allowed echo goes through, and
    /// since a listener accepts in arrival order, the count then includes every earlier connection.
    static func expectAccepted(
        _ count: Int, by server: LoopbackServer, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let control = try probe(
            ["echo", "127.0.0.1", "\(server.port)", "control"], network: allowing("127.0.0.1:\(server.port)"))
        expectLine(control, "echo: control", sourceLocation: sourceLocation)
        #expect(
            server.acceptedCount == count + 1, "connections that reached the server besides the control one",
            sourceLocation: sourceLocation)
    }

    // MARK: - Allowed

    @Test("echo through an allowed address: write, shutdown, read to EOF")
    func echoByAddress() throws {
        let server = try LoopbackServer(.echo)
        defer { server.stop() }
        let run = try Self.probe(
            ["echo", "127.0.0.1", "\(server.port)", "hello, sockets"], network: Self.allowing("127.0.0.1:\(server.port)"))
        Self.expectLine(run, "echo: hello, sockets")
        #expect(server.acceptedCount == 1)
    }

    @Test("echo through an allowed name: localhost resolves through wasmton.resolve, then connects")
    func echoByName() throws {
        let server = try LoopbackServer(.echo)
        defer { server.stop() }
        let policy = try Self.allowing("localhost:\(server.port)")
        Self.expectLine(try Self.probe(["resolve", "localhost"], network: policy), "resolve: 127.0.0.1")
        Self.expectLine(
            try Self.probe(["echo", "localhost", "\(server.port)", "by name"], network: policy), "echo: by name")
        #expect(server.acceptedCount == 1)
    }

    @Test("CIDR blocks and port ranges open the destinations inside them")
    func cidrAndRange() throws {
        let server = try LoopbackServer(.echo)
        defer { server.stop() }
        let low = server.port > 1 ? server.port - 1 : server.port
        let high = server.port < 65_535 ? server.port + 1 : server.port
        let policy = try Self.allowing("127.0.0.0/8:\(low)-\(high)")
        Self.expectLine(
            try Self.probe(["echo", "127.0.0.1", "\(server.port)", "ranged"], network: policy), "echo: ranged")
    }

    @Test("an allowed destination where nothing listens is ECONNREFUSED (14), not EACCES")
    func refused() throws {
        // A bound socket that does not listen: its port refuses connections, and no one else can take it.
        let handle = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(handle >= 0)
        defer { close(handle) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(handle, raw, length) == 0 && getsockname(handle, raw, &length) == 0
            }
        }
        try #require(bound)
        let port = UInt16(bigEndian: address.sin_port)
        let run = try Self.probe(["connect-ip", "127.0.0.1", "\(port)"], network: Self.allowing("127.0.0.1:\(port)"))
        Self.expectLine(run, "connect-ip: errno 14")
    }

    // MARK: - Denied

    @Test("no --allow-connect at all: every connect and lookup is EACCES (2)")
    func deniedByDefault() throws {
        let server = try LoopbackServer(.echo)
        defer { server.stop() }
        let port = "\(server.port)"
        Self.expectLine(try Self.probe(["connect-ip", "127.0.0.1", port], network: NetworkPolicy()), "connect-ip: errno 2")
        Self.expectLine(try Self.probe(["connect", "localhost", port], network: NetworkPolicy()), "connect: errno 2")
        Self.expectLine(try Self.probe(["resolve", "localhost"], network: NetworkPolicy()), "resolve: errno 2")
        try Self.expectAccepted(0, by: server)
    }

    @Test("an unlisted host is EACCES (2) and never reaches the network")
    func unlistedHost() throws {
        let server = try LoopbackServer(.echo)
        defer { server.stop() }
        let port = "\(server.port)"
        let policy = try Self.allowing("127.0.0.2:\(port)", "10.0.0.0/8:\(port)")
        Self.expectLine(try Self.probe(["connect-ip", "127.0.0.1", port], network: policy), "connect-ip: errno 2")
        Self.expectLine(try Self.probe(["connect", "127.0.0.1", port], network: policy), "connect: errno 2")
        Self.expectLine(try Self.probe(["echo", "127.0.0.1", port, "x"], network: policy), "echo: errno 2")
        try Self.expectAccepted(0, by: server)
    }

    @Test("an unlisted port of a listed host is EACCES (2) and never reaches the network")
    func unlistedPort() throws {
        let server = try LoopbackServer(.echo)
        defer { server.stop() }
        let other = server.port == 65_535 ? server.port - 1 : server.port + 1
        let policy = try Self.allowing("127.0.0.1:\(other)", "localhost:\(other)")
        let port = "\(server.port)"
        Self.expectLine(try Self.probe(["connect-ip", "127.0.0.1", port], network: policy), "connect-ip: errno 2")
        Self.expectLine(try Self.probe(["connect", "localhost", port], network: policy), "connect: errno 2")
        try Self.expectAccepted(0, by: server)
    }

    @Test("a name that resolves to an unlisted address is EACCES (2), at lookup and at connect")
    func nameResolvesElsewhere() throws {
        let server = try LoopbackServer(.echo)
        defer { server.stop() }
        let policy = try Self.allowing("127.0.0.2/32:\(server.port)")
        Self.expectLine(try Self.probe(["resolve", "localhost"], network: policy), "resolve: errno 2")
        Self.expectLine(try Self.probe(["connect", "localhost", "\(server.port)"], network: policy), "connect: errno 2")
        Self.expectLine(
            try Self.probe(["connect-ip", "127.0.0.1", "\(server.port)"], network: policy), "connect-ip: errno 2")
        try Self.expectAccepted(0, by: server)
    }

    // MARK: - Descriptors and limits

    @Test("a closed descriptor is EBADF (8) for send and close, and the next socket gets a new number")
    func descriptorReuse() throws {
        let server = try LoopbackServer(.echo)
        defer { server.stop() }
        let run = try Self.probe(
            ["reuse", "127.0.0.1", "\(server.port)"], network: Self.allowing("127.0.0.1:\(server.port)"))
        Self.expectLine(run, "reuse: send-after-close errno 8, close-again errno 8, new fd differs: yes")
    }

    @Test("more sockets than allowed: maxSockets 3 opens 3, then EMFILE (33); the 4th never connects")
    func tooManySockets() throws {
        let server = try LoopbackServer(.echo)
        defer { server.stop() }
        let limited = try Self.probe(
            ["many", "127.0.0.1", "\(server.port)", "5"], network: Self.allowing("127.0.0.1:\(server.port)", maxSockets: 3))
        Self.expectLine(limited, "many: opened 3, then errno 33")
        try Self.expectAccepted(3, by: server)

        // Closed sockets free their places: the same instance limit allows 3 again and again.
        let again = try Self.probe(
            ["many", "127.0.0.1", "\(server.port)", "3"], network: Self.allowing("127.0.0.1:\(server.port)", maxSockets: 3))
        Self.expectLine(again, "many: opened 3")
        let roomy = try Self.probe(
            ["many", "127.0.0.1", "\(server.port)", "5"], network: Self.allowing("127.0.0.1:\(server.port)"))
        Self.expectLine(roomy, "many: opened 5")
    }

    @Test("fd_fdstat_get on a socket reports filetype 6 (SOCKET_STREAM)")
    func fdstat() throws {
        let server = try LoopbackServer(.echo)
        defer { server.stop() }
        let run = try Self.probe(
            ["fdstat", "127.0.0.1", "\(server.port)"], network: Self.allowing("127.0.0.1:\(server.port)"))
        Self.expectLine(run, "fdstat: filetype 6")
    }

    // MARK: - Data

    @Test("MSG_PEEK leaves the bytes in the socket for the next receive")
    func peek() throws {
        let server = try LoopbackServer(.echo)
        defer { server.stop() }
        let run = try Self.probe(
            ["peek", "127.0.0.1", "\(server.port)", "look twice"], network: Self.allowing("127.0.0.1:\(server.port)"))
        Self.expectLine(run, "peek: look twice / look twice")
    }

    @Test("a peer that never answers: recv fails with ETIMEDOUT (73) after the I/O timeout")
    func silentPeer() throws {
        let server = try LoopbackServer(.silent)
        defer { server.stop() }
        let run = try Self.probe(
            ["recv", "127.0.0.1", "\(server.port)"],
            network: Self.allowing("127.0.0.1:\(server.port)", ioTimeout: .milliseconds(300)))
        Self.expectLine(run, "recv: errno 73")
        #expect(run.elapsed >= .milliseconds(250), "\(run)")
        #expect(run.elapsed < .seconds(10), "\(run)")
    }

    @Test("a peer that resets mid-answer: read-all gets the partial bytes, then an error")
    func resetMidRead() throws {
        let partial = Array("partial answer".utf8)
        let server = try LoopbackServer(.resetAfter(partial))
        defer { server.stop() }
        let run = try Self.probe(
            ["read-all", "127.0.0.1", "\(server.port)", "request"], network: Self.allowing("127.0.0.1:\(server.port)"))
        #expect(run.succeeded, "\(run)")
        // ECONNRESET (15): the bytes sent before the reset, then the error, not a clean EOF.
        #expect(run.stdout == "read-all: errno 15 after \(partial.count) bytes\n", "\(run)")
    }

    @Test("poll with a timeout on a silent socket times out")
    func pollTimeout() throws {
        let server = try LoopbackServer(.silent)
        defer { server.stop() }
        let run = try Self.probe(
            ["poll", "127.0.0.1", "\(server.port)", "100"], network: Self.allowing("127.0.0.1:\(server.port)"))
        Self.expectLine(run, "poll: timeout")
        #expect(run.elapsed >= .milliseconds(80), "\(run)")
    }

    @Test("poll reports a socket readable when the peer closes, well before its timeout")
    func pollReadable() throws {
        let server = try LoopbackServer(.silent)
        let port = server.port
        let polling = Background(["poll", "127.0.0.1", "\(port)", "20000"], network: try Self.allowing("127.0.0.1:\(port)"))
        #expect(Self.eventually(within: .seconds(20)) { server.acceptedCount == 1 }, "the guest never connected")
        server.stop()  // shuts the connection down: the guest's side sees EOF, which is readable
        let run = try #require(polling.wait(.seconds(30)), "poll did not return")
        Self.expectLine(run, "poll: readable")
        #expect(run.elapsed < .seconds(19), "\(run)")
    }

    // MARK: - Deadlines and clean-up

    @Test("a call deadline during a blocking recv fails the call with .deadlineExceeded instead of hanging")
    func deadlineDuringRecv() throws {
        // The deadline must catch the guest inside recv, after it connected; on a loaded machine the
        // guest may not get that far in 300 ms, so a longer deadline is tried before giving up.
        for timeout: Duration in [.milliseconds(300), .seconds(1), .seconds(3)] {
            let server = try LoopbackServer(.silent)
            defer { server.stop() }
            let run = try Self.probe(
                ["recv", "127.0.0.1", "\(server.port)"], network: Self.allowing("127.0.0.1:\(server.port)"),
                limits: Limits(timeout: timeout))
            guard case .deadlineExceeded(let seconds, let function)? = run.error else {
                Issue.record("expected .deadlineExceeded, got \(run)")
                return
            }
            let expected = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
            #expect(abs(seconds - expected) < 0.001)
            #expect(function == "_start")
            #expect(run.stdout.isEmpty, "\(run)")
            #expect(run.elapsed < timeout + .seconds(5), "\(run)")
            guard Self.eventually(within: .seconds(2), { server.acceptedCount == 1 }) else { continue }
            // The failed call's socket is closed: the server sees the connection go away.
            #expect(
                Self.eventually { server.openConnections == 0 }, "\(server.openConnections) connection still open")
            return
        }
        Issue.record("the guest never reached its recv before the deadline, even with 3 s")
    }

    /// A reactor that opens sockets with the raw import and can trap.
    static let holder = """
        (module
          (import "wasi_snapshot_preview1" "sock_connect" (func $connect (param i32 i32 i32) (result i32)))
          (memory (export "memory") 1)
          (global $next (mut i32) (i32.const 16))
          ;; open(port): connects to 127.0.0.1:port, stores the descriptor, returns the errno
          (func (export "open") (param $port i32) (result i32)
            (local $errno i32)
            (local.set $errno (call $connect (i32.const 0x7F000001) (local.get $port) (global.get $next)))
            (global.set $next (i32.add (global.get $next) (i32.const 4)))
            (local.get $errno))
          (func (export "last_fd") (result i32) (i32.load (i32.sub (global.get $next) (i32.const 4))))
          (func (export "boom") unreachable))
        """

    static func holderInstance(port: UInt16) throws -> WasmInstance {
        let module = try Guests.wat(holder, name: "socket_holder")
        return try Guests.runtime.instantiate(module, sandbox: Sandbox(network: allowing("127.0.0.1:\(port)")))
    }

    @Test("sockets stay open between calls, and are closed when the instance is closed")
    func closedWithInstance() throws {
        let server = try LoopbackServer(.echo)
        defer { server.stop() }
        let instance = try Self.holderInstance(port: server.port)
        #expect(try instance.call("open", [.i32(Int32(server.port))]) == [.i32(0)])
        #expect(try instance.call("open", [.i32(Int32(server.port))]) == [.i32(0)])
        let descriptor = try #require(try instance.call("last_fd").first)
        #expect(descriptor != .i32(0), "the descriptor was not written")
        #expect(Self.eventually { server.openConnections == 2 }, "\(server.openConnections) open")
        // A call that returns leaves them open.
        #expect(try instance.call("last_fd") == [descriptor])
        #expect(server.openConnections == 2)
        instance.close()
        #expect(Self.eventually { server.openConnections == 0 }, "\(server.openConnections) still open")
        #expect(server.acceptedCount == 2)
    }

    @Test("a call that traps closes the instance's sockets, though the instance is still alive")
    func closedOnTrap() throws {
        let server = try LoopbackServer(.echo)
        defer { server.stop() }
        let instance = try Self.holderInstance(port: server.port)
        defer { instance.close() }
        #expect(try instance.call("open", [.i32(Int32(server.port))]) == [.i32(0)])
        #expect(Self.eventually { server.openConnections == 1 }, "\(server.openConnections) open")
        let error = guestError { try instance.call("boom") }
        #expect(error == .trap(.unreachable, function: "boom"))
        #expect(Self.eventually { server.openConnections == 0 }, "\(server.openConnections) still open")
        withExtendedLifetime(instance) {}
    }

    @Test("the raw sock_connect answers EACCES (2) for a port the policy does not list, and 28 for port 0")
    func rawConnect() throws {
        let server = try LoopbackServer(.echo)
        defer { server.stop() }
        let other = server.port == 65_535 ? server.port - 1 : server.port + 1
        let instance = try Self.holderInstance(port: other)
        defer { instance.close() }
        #expect(try instance.call("open", [.i32(Int32(server.port))]) == [.i32(2)])
        #expect(try instance.call("open", [.i32(0)]) == [.i32(28)])
        withExtendedLifetime(instance) {}
        try Self.expectAccepted(0, by: server)
    }
}
