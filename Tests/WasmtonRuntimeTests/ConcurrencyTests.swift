import Foundation
import Testing
import WasmtonRuntime
import WasmtonTestSupport

@Suite("Concurrency: threads, shared instances, the shared cache")
struct ConcurrencyTests {
    @Test("8 threads, each with its own calc instance, add 1000 times correctly")
    func instancePerThread() async throws {
        let module = try Guests.module("calc")
        let failures = await onThreads(8) { thread -> [String] in
            var failures: [String] = []
            do {
                let instance = try Guests.runtime.instantiate(module)
                for step in 0..<1_000 {
                    let a = Int32(thread * 1_000_000 + step)
                    let result = try instance.call("add", [.i32(a), .i32(Int32(step))])
                    if result != [.i32(a + Int32(step))] { failures.append("thread \(thread) step \(step): \(result)") }
                }
            } catch {
                failures.append("thread \(thread): \(error)")
            }
            return failures
        }
        #expect(failures.flatMap { $0 } == [])
    }

    @Test("one instance shared by 4 threads stays consistent: calls are serialized")
    func sharedInstance() async throws {
        // `bump` is a read-modify-write of guest memory: interleaved calls would lose increments.
        let module = try Guests.wat(
            """
            (module (memory (export "memory") 1)
              (func (export "bump") (result i32) (local $v i32)
                (local.set $v (i32.load (i32.const 0)))
                (i32.store (i32.const 0) (i32.add (local.get $v) (i32.const 1)))
                (i32.add (local.get $v) (i32.const 1))))
            """, name: "bump")
        let instance = try Guests.runtime.instantiate(module)
        let seen = await onThreads(4) { _ -> [Int32] in
            var values: [Int32] = []
            for _ in 0..<500 {
                if case .i32(let value)? = try? instance.call("bump").first { values.append(value) }
            }
            return values
        }
        let all = seen.flatMap { $0 }
        #expect(all.count == 2_000)
        // Every call saw a distinct count, and together they are exactly 1...2000.
        #expect(all.sorted() == Array(1...2_000))
        let final = try instance.withMemory { memory throws(GuestError) in try memory.readUInt32(at: 0) }
        #expect(final == 2_000)
    }

    @Test("calls from Swift concurrency tasks also work")
    func taskGroup() async throws {
        let module = try Guests.module("calc")
        let sums = try await withThrowingTaskGroup(of: Int32.self) { group in
            for task in 0..<8 {
                group.addTask {
                    let instance = try Guests.runtime.instantiate(module)
                    var total: Int32 = 0
                    for step in 0..<100 {
                        guard case .i32(let value)? = try instance.call("add", [.i32(total), .i32(Int32(step + task))]).first
                        else { return -1 }
                        total = value
                    }
                    return total
                }
            }
            var sums: [Int32] = []
            for try await sum in group { sums.append(sum) }
            return sums
        }
        // sum over step of (step + task) = 4950 + 100·task
        let expected: [Int32] = (0..<8).map { (task: Int) -> Int32 in Int32(4_950 + 100 * task) }
        #expect(sums.sorted() == expected)
    }

    @Test("a trap on one thread does not disturb calls on others")
    func trapIsolation() async throws {
        let module = try Guests.module("traps")
        let results = await onThreads(6) { thread -> String in
            do {
                let instance = try Guests.runtime.instantiate(module)
                for round in 0..<20 {
                    if thread % 2 == 0 {
                        // Stack exhaustion is slow to unwind in a debug build: only once per thread.
                        let export = round == 0 ? "stack_overflow" : "unreachable"
                        let kind: TrapKind = round == 0 ? .stackExhausted : .unreachable
                        do throws(GuestError) {
                            try instance.call(export)
                            return "no trap"
                        } catch {
                            guard error == .trap(kind, function: export) else { return "\(error)" }
                        }
                    } else {
                        guard try instance.call("ok") == [.i32(42)] else { return "wrong ok" }
                    }
                }
                return "fine"
            } catch {
                return "\(error)"
            }
        }
        #expect(results == Array(repeating: "fine", count: 6))
    }

    @Test("deadlines on several threads at once all fire", .timeLimit(.minutes(1)))
    func concurrentDeadlines() async throws {
        let module = try Guests.module("traps")
        let sandbox = Sandbox(limits: Limits(timeout: .milliseconds(200)))
        _ = try Guests.runtime.instantiate(module, sandbox: sandbox).call("ok")  // calibrate first
        let outcomes = await onThreads(4) { _ -> (GuestError?, Duration) in
            let clock = ContinuousClock()
            let start = clock.now
            let error = guestError {
                try Guests.runtime.instantiate(module, sandbox: sandbox).call("infinite_loop")
            }
            return (error, clock.now - start)
        }
        for (error, elapsed) in outcomes {
            #expect(error == .deadlineExceeded(seconds: 0.2, function: "infinite_loop"))
            #expect(elapsed < .seconds(5))
        }
    }

    @Test("loading the same bytes on 4 threads at once caches one module")
    func concurrentLoads() async throws {
        let runtime = WasmRuntime.forTests()
        // kitchen_sink takes long enough to validate that the threads' loads overlap.
        let bytes = try Guests.bytes("kitchen_sink")
        let barrier = Barrier(count: 4)
        let modules = await onThreads(4) { _ -> WasmModule? in
            barrier.arriveAndWait()
            return try? runtime.load(bytes: bytes, name: "kitchen_sink")
        }
        #expect(modules.allSatisfy { $0 != nil })
        let first = try #require(modules.first ?? nil)
        #expect(modules.allSatisfy { $0 === first }, "every thread should get the one cached module")
        #expect(runtime.cachedModuleCount == 1)
    }

    @Test("close racing with calls on other threads neither crashes nor corrupts")
    func closeWhileCalling() async throws {
        let instance = try Guests.instance("calc")
        let outcomes = await onThreads(4) { thread -> String in
            if thread == 0 {
                Thread.sleep(forTimeInterval: 0.01)
                instance.close()
                return "closed"
            }
            for _ in 0..<2_000 {
                do throws(GuestError) {
                    guard try instance.call("add", [.i32(2), .i32(2)]) == [.i32(4)] else { return "wrong" }
                } catch {
                    guard case .sandboxSetup(let message) = error, message.contains("closed") else { return "\(error)" }
                    return "refused"
                }
            }
            return "finished"
        }
        #expect(outcomes[0] == "closed")
        #expect(outcomes.dropFirst().allSatisfy { $0 == "refused" || $0 == "finished" })
    }
}
