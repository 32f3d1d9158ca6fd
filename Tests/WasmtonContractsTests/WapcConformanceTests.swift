import Foundation
import Synchronization
import Testing
import WasmtonContracts
import WasmtonMessagePack
import WasmtonRuntime
import WasmtonTestSupport

/// The host against modules shaped like each official waPC guest SDK's output, and against
/// `wapc_conformance`, which exercises every import and error path (see guests/WAPC_NOTES.md).
@Suite("waPC conformance")
struct WapcConformanceTests {
    /// A host capability answering the fixtures' `wasmton:test`/`echo` host calls.
    static func testCapability() -> WapcHostCalls {
        let hostCalls = WapcHostCalls()
        hostCalls.register(namespace: "wasmton:test", operation: "echo") { call in
            guard call.binding == "default" else { throw WapcHostCallError("unexpected binding \(call.binding)") }
            if call.payload == Array("refuse".utf8) { throw WapcHostCallError("host refused") }
            return call.payload
        }
        return hostCalls
    }

    @Test(
        "modules shaped like each SDK's start up, echo, fail with their message, call the host, and report unknown operations",
        arguments: ["wapc_sdk_rust04", "wapc_sdk_rust1", "wapc_sdk_tinygo", "wapc_sdk_assemblyscript", "wapc_sdk_zig"])
    func sdkShapes(name: String) throws {
        let captured = CapturedLog()
        let guest = try Wapc.guest(name, hostCalls: Self.testCapability(), logger: captured.logger)
        defer { guest.close() }
        let payload = MessagePack.encode(.map([.init(key: "a", value: .uint(1))]))
        #expect(try guest.call("echo", payload: payload) == payload)
        #expect(try guest.call("echo", payload: []) == [])
        do {
            _ = try guest.call("fail", payload: Array("bad input".utf8))
            Issue.record("fail should fail")
        } catch {
            #expect(error.guestMessage?.contains("bad input") == true, "\(error)")
        }
        #expect(try guest.call("host", payload: Array("ping".utf8)) == Array("ping".utf8))
        do {
            _ = try guest.call("host", payload: Array("refuse".utf8))
            Issue.record("a refused host call should fail")
        } catch {
            #expect(error.guestMessage?.contains("host refused") == true, "\(error)")
        }
        do {
            _ = try guest.call("no_such_operation", payload: [])
            Issue.record("an unknown operation should fail")
        } catch {
            #expect(error.isUnknownOperation, "\(error)")
        }
        // The instance survives its own errors.
        #expect(try guest.call("echo", payload: [1, 2, 3]) == [1, 2, 3])
    }

    @Test("TinyGo's _start ends in proc_exit(0): start-up succeeds and the instance keeps serving")
    func tinyGoExit() throws {
        let guest = try Wapc.guest("wapc_sdk_tinygo")
        defer { guest.close() }
        #expect(try guest.call("echo", payload: [42]) == [42])
    }

    @Test("start-up calls _initialize, then wapc_init")
    func startupOrder() throws {
        let guest = try Wapc.guest("wapc_conformance")
        defer { guest.close() }
        #expect(String(decoding: try guest.call("order", payload: []), as: UTF8.self) == "_initialize,wapc_init")
    }

    @Test("guest-side outcomes: error without message, error then success, two responses, empty success")
    func outcomes() throws {
        let guest = try Wapc.guest("wapc_conformance", hostCalls: Self.testCapability())
        defer { guest.close() }
        #expect(throws: WapcError.self) { try guest.call("fail_without_error", payload: []) }
        do {
            _ = try guest.call("error_and_ok", payload: [])
            Issue.record("an error reported with a success return should fail, as in wapc-rs")
        } catch {
            #expect(error.guestMessage != nil, "\(error)")
        }
        #expect(String(decoding: try guest.call("respond_twice", payload: []), as: UTF8.self) == "second")
        #expect(try guest.call("empty", payload: []) == [])
    }

    @Test("host response and error lengths are 0 before any host call, and nothing is written")
    func lengthsWithoutCall() throws {
        let guest = try Wapc.guest("wapc_conformance")
        defer { guest.close() }
        #expect(try guest.call("host_error_len_without_call", payload: []) == [UInt8](repeating: 0, count: 8))
    }

    @Test("state does not leak between calls: a host error from one call is gone in the next")
    func stateReset() throws {
        let guest = try Wapc.guest("wapc_conformance", hostCalls: Self.testCapability())
        defer { guest.close() }
        _ = try? guest.call("host", payload: Array("refuse".utf8))
        #expect(try guest.call("host_error_len_without_call", payload: []) == [UInt8](repeating: 0, count: 8))
    }

    @Test(
        "out-of-bounds pointers from the guest fail the call as an out-of-bounds access and poison the instance",
        arguments: [
            "response_out_of_bounds", "error_out_of_bounds", "log_out_of_bounds", "request_out_of_bounds",
            "host_call_out_of_bounds", "host_response_out_of_bounds",
        ])
    func outOfBounds(operation: String) throws {
        let guest = try Wapc.guest("wapc_conformance", hostCalls: Self.testCapability())
        defer { guest.close() }
        do {
            _ = try guest.call(operation, payload: Array("xy".utf8))
            Issue.record("\(operation) should fail")
        } catch {
            guard case .guestFailed(_, let failure) = error else {
                Issue.record("\(operation): \(error)")
                return
            }
            let isBounds: Bool
            switch failure {
            case .memoryAccessOutOfBounds, .trap(.memoryOutOfBounds, _): isBounds = true
            default: isBounds = false
            }
            #expect(isBounds, "\(operation): \(failure)")
            #expect(error.poisonsInstance)
        }
    }

    @Test("a trap after a response is a failure, not the half-made response")
    func trapAfterResponse() throws {
        let guest = try Wapc.guest("wapc_conformance")
        defer { guest.close() }
        #expect(throws: WapcError.self) { try guest.call("trap_after_response", payload: []) }
    }

    @Test("loop and grow stop at the sandbox's deadline and memory limit")
    func limits() throws {
        let runtime = WasmRuntime.forTests(configuration: .init(fuelMetering: true))
        let guest = try Wapc.guest(
            "wapc_conformance", runtime: runtime,
            sandbox: Sandbox(limits: Limits(maxMemoryBytes: 2 << 20, timeout: .milliseconds(200))))
        defer { guest.close() }
        #expect(throws: WapcError.guestFailed(operation: "loop", .deadlineExceeded(seconds: 0.2, function: "__guest_call"))) {
            try guest.call("loop", payload: [])
        }
        let other = try Wapc.guest(
            "wapc_conformance", runtime: runtime, sandbox: Sandbox(limits: Limits(maxMemoryBytes: 2 << 20)))
        defer { other.close() }
        do {
            _ = try other.call("grow", payload: [])
            Issue.record("grow should fail")
        } catch {
            guard case .guestFailed(_, let failure) = error else {
                Issue.record("\(error)")
                return
            }
            switch failure {
            case .memoryLimitExceeded, .trap: break
            default: Issue.record("grow: \(failure)")
            }
        }
    }

    @Test("AssemblyScript's env.abort fails the call with the guest's message and location")
    func assemblyScriptAbort() throws {
        let guest = try Wapc.guest("wapc_sdk_assemblyscript")
        defer { guest.close() }
        do {
            _ = try guest.call("abort", payload: [])
            Issue.record("abort should fail")
        } catch {
            #expect("\(error)".contains("guest aborted"), "\(error)")
        }
    }
}
