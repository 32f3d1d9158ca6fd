import Foundation
import Synchronization
import Testing
import WasmtonContracts
import WasmtonRuntime
import WasmtonTestSupport

@Suite("waPC calls in a time slice")
struct WapcSliceTests {
    private static let slice = Duration.milliseconds(2)
    /// Generous for calls expected to finish, so a debug build on a busy machine still does.
    private static let roomy = Duration.seconds(2)

    private static func conformanceGuest(
        hostCalls: WapcHostCalls = WapcHostCalls(), log: CapturedLog = CapturedLog()
    ) throws
        -> WapcGuest
    {
        try Wapc.guest(
            "wapc_conformance", runtime: WasmRuntime.forTests(configuration: .init(fuelMetering: true)),
            sandbox: Sandbox(limits: Limits(timeout: .seconds(20))), hostCalls: hostCalls, logger: log.logger)
    }

    @Test("a short call finishes in the slice with the same answer as on a guest thread")
    func shortCallFinishes() throws {
        let guest = try Self.conformanceGuest()
        #expect(guest.runsInSlices)
        #expect(try guest.callInSlice("echo", payload: Array("hello".utf8), slice: Self.roomy) == Array("hello".utf8))
        #expect(try guest.callInSlice("echo", payload: Array("again".utf8), slice: Self.roomy) == Array("again".utf8))
        #expect(try guest.call("echo", payload: Array("hello".utf8)) == Array("hello".utf8))
        let cuckoo = try Wapc.guest("cuckoo_filter", runtime: WasmRuntime.forTests(configuration: .init(fuelMetering: true)))
        #expect(cuckoo.runsInSlices, "the book's module imports only wapc functions")
        #expect(try cuckoo.callInSlice("check_word_exists", payload: Wapc.args("foo"), slice: Self.roomy) != nil)
    }

    @Test("a call that loops is cut off at the slice, not at its 20 s timeout")
    func loopIsCutOff() throws {
        let guest = try Self.conformanceGuest()
        let clock = ContinuousClock()
        let start = clock.now
        #expect(try guest.callInSlice("loop", payload: [], slice: Self.slice) == nil)
        #expect(clock.now - start < .milliseconds(500))
    }

    @Test("a host call or a log line is refused in the slice before it happens, so running the call again repeats nothing")
    func hostCallsMoveOff() throws {
        let calls = Mutex(0)
        let hostCalls = WapcHostCalls()
        hostCalls.register(namespace: "wasmton:test") { call in
            calls.withLock { $0 += 1 }
            return call.payload
        }
        let log = CapturedLog()
        let sliced = try Self.conformanceGuest(hostCalls: hostCalls, log: log)
        #expect(try sliced.callInSlice("host", payload: Array("ping".utf8), slice: Self.roomy) == nil)
        let logging = try Self.conformanceGuest(hostCalls: hostCalls, log: log)
        #expect(try logging.callInSlice("log", payload: Array("hi".utf8), slice: Self.roomy) == nil)
        #expect(calls.withLock { $0 } == 0, "the capability never ran")
        #expect(log.entries.allSatisfy { !$0.message.contains("hi") }, "nothing was logged")
        // The call, run again on a fresh guest as the gateway does, acts once.
        let fresh = try Self.conformanceGuest(hostCalls: hostCalls, log: log)
        #expect(try fresh.call("host", payload: Array("ping".utf8)) == Array("ping".utf8))
        #expect(calls.withLock { $0 } == 1)
    }

    @Test("a guest's blocking or effectful WASI calls never run in a slice")
    func wasiEffectsExcluded() throws {
        let echo = try Wapc.guest("wapc_echo", runtime: WasmRuntime.forTests(configuration: .init(fuelMetering: true)))
        // WASI goes through Wasmton's own binding on both engines, which refuses poll_oneoff in a
        // slice: the module runs in slices, and only the call that sleeps is cut off (before it sleeps).
        #expect(echo.runsInSlices)
        // A roomy slice: the first call of a C guest sets up its heap, more than 2 ms of fuel in a debug build.
        #expect(try echo.callInSlice("echo", payload: [0xA2, 0x68, 0x69], slice: Self.roomy) == [0xA2, 0x68, 0x69])
        let start = ContinuousClock.now
        #expect(try echo.callInSlice("sleep", payload: [0xCD, 0x03, 0xE8], slice: Self.roomy) == nil)
        #expect(ContinuousClock.now - start < .milliseconds(500), "the 1 s sleep never began")
        // Once cut off the instance is spent; a fresh one runs the sleep on a guest thread.
        let sleeper = try Wapc.guest("wapc_echo", runtime: WasmRuntime.forTests(configuration: .init(fuelMetering: true)))
        #expect(try sleeper.call("sleep", payload: [0xCD, 0x00, 0x0A]) == [0xCD, 0x00, 0x0A])
        let unmetered = try Wapc.guest("cuckoo_filter", runtime: WasmRuntime.forTests(configuration: .init(fuelMetering: false)))
        // On WasmKit a slice is a fuel budget, so without metering it cannot be enforced; Wasmtime
        // ends a slice by its epoch clock, with or without fuel.
        #expect(unmetered.runsInSlices == TestEngine.isWasmtime)
    }
}
