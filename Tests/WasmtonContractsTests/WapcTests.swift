import Foundation
import Logging
import Synchronization
import Testing
import WasmtonContracts
import WasmtonMessagePack
import WasmtonRuntime
import WasmtonTestSupport

/// Log lines captured from guests (`__console_log`, `wasmton:log`), to check what they wrote.
final class CapturedLog: Sendable {
    private let lines = Mutex<[(Logger.Level, String, Logger.Metadata)]>([])

    var logger: Logger {
        var logger = Logger(label: "test") { _ in CapturingHandler(log: self) }
        logger.logLevel = .trace
        return logger
    }

    var entries: [(level: Logger.Level, message: String, metadata: Logger.Metadata)] {
        lines.withLock { $0.map { (level: $0.0, message: $0.1, metadata: $0.2) } }
    }

    func append(_ level: Logger.Level, _ message: String, _ metadata: Logger.Metadata) {
        lines.withLock { $0.append((level, message, metadata)) }
    }

    struct CapturingHandler: LogHandler {
        let log: CapturedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            log.append(event.level, "\(event.message)", event.metadata ?? [:])
        }
    }
}

enum Wapc {
    static func guest(
        _ name: String, runtime: WasmRuntime = WasmRuntime.forTests(), sandbox: Sandbox = Sandbox(),
        hostCalls: WapcHostCalls = WapcHostCalls(), logger: Logger = Logger(label: "test")
    ) throws -> WapcGuest {
        try WapcGuest(
            runtime: runtime, module: try runtime.load(path: Guests.path(name)), sandbox: sandbox, hostCalls: hostCalls,
            logger: logger)
    }

    static func args(_ name: String) -> [UInt8] {
        MessagePack.encode(.map([.init(key: .string("name"), value: .string(name))]))
    }
}

@Suite("waPC host")
struct WapcTests {
    @Test("the book's cuckoo filter answers \"true\" for its seed words and \"false\" otherwise")
    func cuckooFilter() throws {
        let guest = try Wapc.guest("cuckoo_filter")
        defer { guest.close() }
        for word in ["foo", "bar", "xylophone", "milagro"] {
            #expect(try MessagePack.decode(guest.call("check_word_exists", payload: Wapc.args(word))) == .string("true"))
        }
        for word in ["testme", "xyz", "foo1", ""] {
            #expect(try MessagePack.decode(guest.call("check_word_exists", payload: Wapc.args(word))) == .string("false"))
        }
        #expect(try MessagePack.decode(guest.call("add_word", payload: Wapc.args("testme"))) == .string("true"))
        #expect(try MessagePack.decode(guest.call("check_word_exists", payload: Wapc.args("testme"))) == .string("true"))
    }

    @Test("echo returns the payload byte for byte, from empty to 1 MiB")
    func echo() throws {
        let guest = try Wapc.guest("wapc_echo")
        defer { guest.close() }
        #expect(try guest.call("echo", payload: []) == [])
        let small: [UInt8] = [0, 1, 2, 0xFF, 0x80]
        #expect(try guest.call("echo", payload: small) == small)
        var large = [UInt8](repeating: 0, count: 1 << 20)
        for index in large.indices { large[index] = UInt8(truncatingIfNeeded: index &* 31) }
        #expect(try guest.call("echo", payload: large) == large)
    }

    @Test("a guest error carries the guest's own message, and the instance stays usable")
    func guestError() throws {
        let guest = try Wapc.guest("wapc_echo")
        defer { guest.close() }
        #expect(throws: WapcError.guestError(operation: "fail", message: "418 I'm a teapot")) {
            try guest.call("fail", payload: Array("418 I'm a teapot".utf8))
        }
        do {
            _ = try guest.call("fail", payload: Array("nope".utf8))
        } catch {
            #expect(!error.poisonsInstance)
        }
        #expect(try guest.call("echo", payload: [7]) == [7])
    }

    @Test("an unknown operation is the guest's error, recognised as unknown")
    func unknownOperation() throws {
        let guest = try Wapc.guest("wapc_echo")
        defer { guest.close() }
        do {
            _ = try guest.call("no_such_op", payload: [])
            Issue.record("expected an error")
        } catch {
            #expect(error.isUnknownOperation, "\(error)")
            #expect(error.guestMessage?.contains("no_such_op") == true, "\(error)")
        }
    }

    @Test("a trap, a guest past its deadline, a memory bomb and an out-of-bounds response fail the call and poison the instance")
    func guestFailures() throws {
        let runtime = WasmRuntime.forTests(configuration: .init(fuelMetering: true))
        let sandbox = Sandbox(limits: Limits(maxMemoryBytes: 4 << 20, timeout: .milliseconds(300)))
        let cases: [(String, (GuestError) -> Bool)] = [
            ("trap", { if case .trap = $0 { true } else { false } }),
            ("loop", { if case .deadlineExceeded = $0 { true } else { false } }),
            ("bomb", { if case .memoryLimitExceeded = $0 { true } else { if case .trap = $0 { true } else { false } } }),
            ("oob", { if case .memoryAccessOutOfBounds = $0 { true } else { false } }),
        ]
        for (operation, expected) in cases {
            // Only the loop gets the short deadline, so a loaded machine cannot turn the others into timeouts.
            var sandbox = sandbox
            if operation != "loop" { sandbox.limits.timeout = nil }
            let guest = try Wapc.guest("wapc_echo", runtime: runtime, sandbox: sandbox)
            defer { guest.close() }
            do {
                _ = try guest.call(operation, payload: [])
                Issue.record("\(operation) should fail")
            } catch {
                guard case .guestFailed(let name, let failure) = error else {
                    Issue.record("\(operation): \(error)")
                    continue
                }
                #expect(name == operation)
                #expect(expected(failure), "\(operation): \(failure)")
                #expect(error.poisonsInstance)
            }
        }
    }

    @Test("__host_call reaches the registered capability with binding, namespace, operation and payload")
    func hostCall() throws {
        let hostCalls = WapcHostCalls()
        let seen = Mutex<[WapcHostCall]>([])
        hostCalls.register(namespace: "test:upper") { call in
            seen.withLock { $0.append(call) }
            return Array(String(decoding: call.payload, as: UTF8.self).uppercased().utf8)
        }
        hostCalls.register(namespace: "test:upper", operation: "fail") { _ in throw WapcHostCallError("refused by host") }
        let guest = try Wapc.guest("wapc_echo", hostCalls: hostCalls)
        defer { guest.close() }
        func request(_ binding: String, _ namespace: String, _ operation: String, _ payload: String) -> [UInt8] {
            MessagePack.encode(.array([.string(binding), .string(namespace), .string(operation), .binary(Array(payload.utf8))]))
        }
        #expect(try guest.call("call_host", payload: request("default", "test:upper", "shout", "hello")) == Array("HELLO".utf8))
        #expect(
            seen.withLock { $0 }
                == [
                    WapcHostCall(
                        module: "wapc_echo", binding: "default", namespace: "test:upper", operation: "shout",
                        payload: Array("hello".utf8))
                ])
        #expect(throws: WapcError.guestError(operation: "call_host", message: "refused by host")) {
            try guest.call("call_host", payload: request("default", "test:upper", "fail", "x"))
        }
        do {
            _ = try guest.call("call_host", payload: request("default", "nobody:home", "x", ""))
            Issue.record("expected a host error")
        } catch {
            #expect(error.guestMessage?.contains("no host capability") == true, "\(error)")
        }
    }

    @Test("wasmton:kv is shared by instances of one module and invisible to other modules")
    func keyValue() throws {
        let hostCalls = WapcHostCalls()
        let store = WapcKeyValueCapability()
        store.register(in: hostCalls)
        let runtime = WasmRuntime.forTests()
        let module = try runtime.load(path: Guests.path("wapc_echo"))
        let first = try WapcGuest(runtime: runtime, module: module, hostCalls: hostCalls)
        let second = try WapcGuest(runtime: runtime, module: module, hostCalls: hostCalls)
        let other = try WapcGuest(
            runtime: runtime, module: try runtime.load(bytes: module.bytes, name: "other"), hostCalls: hostCalls)
        defer { [first, second, other].forEach { $0.close() } }
        let set = MessagePack.encode(.map([.init(key: "key", value: "greeting"), .init(key: "value", value: "hi")]))
        #expect(try MessagePack.decode(first.call("kv_set", payload: set)) == .nil)
        #expect(try MessagePack.decode(second.call("kv_get", payload: MessagePack.encode("greeting"))) == .string("hi"))
        #expect(try MessagePack.decode(other.call("kv_get", payload: MessagePack.encode("greeting"))) == .nil)
        #expect(store.value(module: "wapc_echo", key: "greeting") == MessagePack.encode("hi"))
        do {
            _ = try first.call("kv_get", payload: [0xC1])
            Issue.record("expected a host error for a bad payload")
        } catch {
            #expect(error.guestMessage?.contains("not MessagePack") == true, "\(error)")
        }
    }

    @Test("__console_log and wasmton:log reach the host's log with the module's name")
    func logging() throws {
        let captured = CapturedLog()
        let hostCalls = WapcHostCalls()
        WapcLogCapability.register(in: hostCalls, logger: captured.logger)
        let guest = try Wapc.guest("wapc_echo", hostCalls: hostCalls, logger: captured.logger)
        defer { guest.close() }
        #expect(try guest.call("log", payload: Array("from the guest".utf8)) == [])
        let warn = MessagePack.encode(.array(["default", "wasmton:log", "warn", .string("careful")]))
        _ = try guest.call("call_host", payload: warn)
        let entries = captured.entries
        #expect(entries.contains { $0.level == .info && $0.message == "from the guest" && $0.metadata["module"] == "wapc_echo" })
        #expect(entries.contains { $0.level == .warning && $0.message == "careful" && $0.metadata["module"] == "wapc_echo" })
    }

    @Test("a module without __guest_call is refused with what it exports")
    func notWapc() throws {
        let runtime = WasmRuntime.forTests()
        #expect {
            _ = try WapcGuest(runtime: runtime, module: try runtime.load(path: Guests.path("calc")))
        } throws: { error in
            guard case WapcError.notAWapcModule(let reason) = error else { return false }
            return reason.contains("does not export __guest_call") && reason.contains("add")
        }
    }
}
