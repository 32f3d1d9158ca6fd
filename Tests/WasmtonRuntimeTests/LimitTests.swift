import Foundation
import Testing
import WasmtonRuntime
import WasmtonTestSupport

@Suite("Limits: fuel, deadline, memory")
struct LimitTests {
    static let oneMiB = 1 << 20
    /// `count(n)`: a loop of `n` iterations, nine operators each, that returns `n`.
    static let countLoop = """
        (module (func (export "count") (param $n i32) (result i32) (local $i i32)
          (block $done (loop $again
            (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $again)))
          (local.get $i)))
        """

    // MARK: - Fuel

    @Test("fuel stops an infinite loop with .outOfFuel carrying the budget")
    func fuelStopsLoop() throws {
        let instance = try Guests.instance("traps", sandbox: Sandbox(limits: Limits(fuel: 100_000)))
        let error = guestError { try instance.call("infinite_loop") }
        #expect(error == .outOfFuel(budget: 100_000, function: "infinite_loop"))
        expectWords(error, ["out of fuel", "100000", "'infinite_loop'"])
        #expect(error?.poisonsInstance == true)
    }

    @Test("fuel is per call: the store stays usable after running out")
    func fuelIsPerCall() throws {
        let instance = try Guests.instance("traps", sandbox: Sandbox(limits: Limits(fuel: 1_000)))
        #expect(try instance.call("ok") == [.i32(42)])
        #expect(try instance.call("ok") == [.i32(42)])
        #expect(throws: GuestError.outOfFuel(budget: 1_000, function: "infinite_loop")) {
            try instance.call("infinite_loop")
        }
        // The next call gets a fresh budget of 1000, not what is left of the last one.
        #expect(try instance.call("ok") == [.i32(42)])
        #expect(throws: GuestError.outOfFuel(budget: 1_000, function: "infinite_loop")) {
            try instance.call("infinite_loop")
        }
    }

    @Test("a budget that a finite loop needs more of than given runs out; a bigger one finishes")
    func fuelBoundary() throws {
        let module = try Guests.wat(Self.countLoop, name: "count")
        let small = try Guests.runtime.instantiate(module, sandbox: Sandbox(limits: Limits(fuel: 1_000)))
        #expect(throws: GuestError.outOfFuel(budget: 1_000, function: "count")) {
            try small.call("count", [.i32(10_000)])
        }
        #expect(try small.call("count", [.i32(10)]) == [.i32(10)])
        let big = try Guests.runtime.instantiate(module, sandbox: Sandbox(limits: Limits(fuel: 1_000_000)))
        #expect(try big.call("count", [.i32(10_000)]) == [.i32(10_000)])
    }

    @Test("fuelConsumed counts what each call burned, with or without a limit, failed calls included")
    func fuelConsumedPerCall() throws {
        let module = try Guests.wat(Self.countLoop, name: "count")
        for limits in [Limits(), Limits(fuel: 10_000_000)] {
            let instance = try Guests.runtime.instantiate(module, sandbox: Sandbox(limits: limits))
            let start = try #require(instance.fuelConsumed)
            try instance.call("count", [.i32(10_000)])
            let afterOne = try #require(instance.fuelConsumed)
            try instance.call("count", [.i32(20_000)])
            let afterTwo = try #require(instance.fuelConsumed)
            let first = afterOne - start
            let second = afterTwo - afterOne
            // Each iteration runs nine operators: at least one unit each time round, and twice
            // the iterations cost twice the fuel, give or take the call's fixed part.
            #expect(first >= 10_000 && first <= 200_000, "10,000 iterations burned \(first)")
            #expect(abs(Double(second) / Double(first) - 2) < 0.01, "\(first) then \(second)")
        }
        let limited = try Guests.runtime.instantiate(module, sandbox: Sandbox(limits: Limits(fuel: 1_000)))
        #expect(throws: GuestError.outOfFuel(budget: 1_000, function: "count")) {
            try limited.call("count", [.i32(10_000)])
        }
        let burned = try #require(limited.fuelConsumed)
        #expect(burned > 900 && burned <= 1_000, "a call that ran out of 1000 fuel burned \(burned)")

        let unmetered = WasmRuntime.forTests(configuration: .init(fuelMetering: false))
        let plain = try unmetered.instantiate(
            try unmetered.load(bytes: Array(#"(module (func (export "ok")))"#.utf8), name: "plain"))
        try plain.call("ok")
        #expect(plain.fuelConsumed == nil)
    }

    @Test("a start function is bounded by the fuel limit too")
    func fuelBoundsStart() throws {
        let module = try Guests.wat("(module (func $spin (loop $l (br $l))) (start $spin))", name: "spin-start")
        let error = guestError {
            try Guests.runtime.instantiate(module, sandbox: Sandbox(limits: Limits(fuel: 10_000)))
        }
        #expect(error == .outOfFuel(budget: 10_000, function: GuestError.instantiation))
    }

    @Test("a fuel limit on a runtime without fuel metering is refused or enforced, never silently ignored")
    func fuelLimitWithoutMetering() throws {
        let runtime = WasmRuntime.forTests(configuration: .init(fuelMetering: false))
        let module = try runtime.load(bytes: Array(Self.countLoop.utf8), name: "count")
        // A finite loop, so that an ignored limit shows as a result instead of a hang.
        let error = guestError {
            try runtime.instantiate(module, sandbox: Sandbox(limits: Limits(fuel: 1_000))).call("count", [.i32(100_000)])
        }
        switch error {
        case .sandboxSetup?, .outOfFuel?: break
        default: Issue.record("a 1000-fuel limit let 100000 iterations run: \(String(describing: error))")
        }
    }

    // MARK: - Deadline

    @Test("a 300 ms timeout stops an infinite loop that never calls the host", .timeLimit(.minutes(1)))
    func deadlineStopsLoop() async throws {
        let instance = try Guests.instance("traps", sandbox: Sandbox(limits: Limits(timeout: .milliseconds(300))))
        _ = try instance.call("ok")  // calibrate the fuel rate outside the measured call
        let (error, elapsed) = await onThread { () -> (GuestError?, Duration) in
            let clock = ContinuousClock()
            let start = clock.now
            let error = guestError { try instance.call("infinite_loop") }
            return (error, clock.now - start)
        }
        guard case .deadlineExceeded(let seconds, let function)? = error else {
            Issue.record("expected .deadlineExceeded, got \(String(describing: error))")
            return
        }
        #expect(abs(seconds - 0.3) < 1e-9)
        #expect(function == "infinite_loop")
        expectWords(error, ["deadline", "300 ms", "'infinite_loop'"])
        #expect(error?.poisonsInstance == true)
        // A correctness bound, not a benchmark: the loop must end, and not long after 300 ms.
        #expect(elapsed < .seconds(5), "the 300 ms deadline ended after \(elapsed)")
        // The instance's store is still usable with a fresh deadline.
        #expect(try instance.call("ok") == [.i32(42)])
    }

    @Test("the deadline error carries the configured timeout exactly", arguments: [100, 300])
    func deadlineSecondsExact(milliseconds: Int) throws {
        let instance = try Guests.instance(
            "traps", sandbox: Sandbox(limits: Limits(timeout: .milliseconds(milliseconds))))
        let error = guestError { try instance.call("infinite_loop") }
        // A user compares with the number they configured: 0.3 must come back as 0.3, not 0.30000000000000004.
        #expect(error == .deadlineExceeded(seconds: Double(milliseconds) / 1_000, function: "infinite_loop"))
    }

    @Test("when fuel is the tighter limit the error is .outOfFuel; when time is, .deadlineExceeded")
    func tighterLimitNamesTheError() throws {
        let fuelTighter = try Guests.instance(
            "traps", sandbox: Sandbox(limits: Limits(fuel: 10_000, timeout: .seconds(30))))
        #expect(throws: GuestError.outOfFuel(budget: 10_000, function: "infinite_loop")) {
            try fuelTighter.call("infinite_loop")
        }
        let timeTighter = try Guests.instance(
            "traps", sandbox: Sandbox(limits: Limits(fuel: .max / 4, timeout: .milliseconds(50))))
        #expect(throws: GuestError.deadlineExceeded(seconds: 0.05, function: "infinite_loop")) {
            try timeTighter.call("infinite_loop")
        }
    }

    @Test("a guest that spends its time in a host function is stopped at the next host call")
    func deadlineAtHostBoundary() async throws {
        let module = try Guests.wat(
            """
            (module (import "env" "nap" (func $nap))
              (func (export "spin") (loop $l (call $nap) (br $l))))
            """, name: "napper")
        let nap = HostFunction(module: "env", name: "nap", signature: FunctionSignature(parameters: [])) { call, _ in
            #expect(call.deadline != nil)
            Thread.sleep(forTimeInterval: 0.05)
            return []
        }
        let instance = try Guests.runtime.instantiate(
            module, sandbox: Sandbox(limits: Limits(timeout: .milliseconds(300))), hostFunctions: [nap])
        let (error, elapsed) = await onThread { () -> (GuestError?, Duration) in
            let clock = ContinuousClock()
            let start = clock.now
            let error = guestError { try instance.call("spin") }
            return (error, clock.now - start)
        }
        guard case .deadlineExceeded(let seconds, let function)? = error else {
            Issue.record("expected .deadlineExceeded, got \(String(describing: error))")
            return
        }
        #expect(abs(seconds - 0.3) < 1e-9)
        #expect(elapsed >= .milliseconds(300))
        #expect(elapsed < .seconds(5))
        // The user should learn which export ran out of time, as with the fuel-based deadline.
        #expect(function == "spin")
    }

    @Test("host calls see no deadline when no timeout is set")
    func noDeadlineWithoutTimeout() throws {
        let seen = Collector<Bool>()
        let echo = HostFunction(
            module: "bench", name: "host_echo", signature: FunctionSignature(parameters: [.i32], results: [.i32])
        ) { call, arguments in
            seen.put(0, call.deadline == nil)
            return arguments
        }
        let instance = try Guests.instance("bench", hostFunctions: [echo])
        #expect(try instance.call("call_host", [.i32(5)]) == [.i32(5)])
        #expect(seen.ordered(1) == [true])
    }

    // MARK: - Memory

    @Test("with a 1 MiB limit, grow 100 returns -1 and growing to exactly 16 pages works")
    func growDenied() throws {
        let instance = try Guests.instance("traps", sandbox: Sandbox(limits: Limits(maxMemoryBytes: Self.oneMiB)))
        #expect(try instance.call("grow", [.i32(100)]) == [.i32(-1)])
        #expect(try instance.call("grow", [.i32(15)]) == [.i32(1)])  // 1 -> 16 pages = 1 MiB
        #expect(try instance.call("grow", [.i32(1)]) == [.i32(-1)])
        #expect(try instance.withMemory { $0.byteCount } == Self.oneMiB)
    }

    @Test("without a limit the same growth succeeds")
    func growUnlimited() throws {
        let instance = try Guests.instance("traps")
        #expect(try instance.call("grow", [.i32(100)]) == [.i32(1)])
        #expect(try instance.withMemory { $0.byteCount } == 101 * 65_536)
    }

    @Test("memory_bomb under a 1 MiB limit stops growing at 16 pages and returns normally")
    func memoryBomb() throws {
        let instance = try Guests.instance("traps", sandbox: Sandbox(limits: Limits(maxMemoryBytes: Self.oneMiB)))
        // The guest handles the failed grow itself, so the call succeeds with the final size.
        #expect(try instance.call("memory_bomb") == [.i32(16)])
        // A later, unrelated call is not blamed on the earlier denial.
        #expect(try instance.call("ok") == [.i32(42)])
        #expect(
            guestError { try instance.call("unreachable") }
                == .trap(.unreachable, function: "unreachable"))
    }

    @Test("a limit that is not a whole number of pages rounds down")
    func limitRoundsDown() throws {
        #expect(Limits(maxMemoryBytes: 100_000).maxMemoryPages == 1)
        #expect(Limits().maxMemoryPages == nil)
        let instance = try Guests.instance("traps", sandbox: Sandbox(limits: Limits(maxMemoryBytes: 100_000)))
        #expect(try instance.call("grow", [.i32(1)]) == [.i32(-1)])
    }

    @Test("a trap right after a denied grow is reported as .memoryLimitExceeded")
    func trapAfterDeniedGrow() throws {
        let module = try Guests.wat(
            """
            (module (memory 1)
              (func (export "alloc") (param i32)
                (if (i32.eq (memory.grow (local.get 0)) (i32.const -1)) (then unreachable))))
            """, name: "allocator")
        let instance = try Guests.runtime.instantiate(
            module, sandbox: Sandbox(limits: Limits(maxMemoryBytes: 2 * 65_536)))
        #expect(try instance.call("alloc", [.i32(1)]) == [])
        let error = guestError { try instance.call("alloc", [.i32(1)]) }
        #expect(error == .memoryLimitExceeded(limitBytes: 2 * 65_536, function: "alloc"))
        expectWords(error, ["memory limit", "131072 bytes", "'alloc'"])
    }

    @Test("a module whose initial memory exceeds the limit fails to instantiate with .memoryLimitExceeded")
    func initialMemoryTooBig() throws {
        let module = try Guests.wat("(module (memory (export \"memory\") 20))", name: "fat")
        let error = guestError {
            try Guests.runtime.instantiate(module, sandbox: Sandbox(limits: Limits(maxMemoryBytes: Self.oneMiB)))
        }
        guard case .memoryLimitExceeded(let limit, _)? = error else {
            Issue.record("expected .memoryLimitExceeded, got \(String(describing: error))")
            return
        }
        #expect(limit == Self.oneMiB)
        #expect(error?.description.contains("1048576 bytes") == true)
        // The same module fits under a larger limit.
        let fits = try Guests.runtime.instantiate(
            module, sandbox: Sandbox(limits: Limits(maxMemoryBytes: 20 * 65_536)))
        #expect(try fits.withMemory { $0.byteCount } == 20 * 65_536)
    }

    @Test("stack exhaustion under limits is still a trap, not a crash")
    func stackExhaustionUnderLimits() throws {
        let instance = try Guests.instance(
            "traps", sandbox: Sandbox(limits: Limits(maxMemoryBytes: Self.oneMiB, fuel: 100_000_000)))
        #expect(throws: GuestError.trap(.stackExhausted, function: "stack_overflow")) {
            try instance.call("stack_overflow")
        }
        #expect(try instance.call("ok") == [.i32(42)])
    }
}
