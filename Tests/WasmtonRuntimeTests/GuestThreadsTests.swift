import Foundation
import Testing
import WasmtonRuntime
import WasmtonTestSupport

@Suite("Guest threads")
struct GuestThreadsTests {
    @Test("work runs on Wasmton's own threads and returns its result")
    func runsOnOwnThreads() async throws {
        let threads = GuestThreads(count: 2)
        defer { threads.shutdown() }
        #expect(GuestThreads.isGuestThread == false)
        #expect(try await threads.run { GuestThreads.isGuestThread })
        let sum = try await threads.run { (1...100).reduce(0, +) }
        #expect(sum == 5050)
    }

    @Test("a blocked guest thread does not stall work on the other one")
    func blockedThreadDoesNotStallOthers() async throws {
        let threads = GuestThreads(count: 2)
        defer { threads.shutdown() }
        let gate = DispatchSemaphore(value: 0)
        async let blocked: Bool = threads.run { gate.wait(timeout: .now() + 10) == .success }
        // While one thread waits on the gate, the other still serves calls.
        for value in 0..<20 {
            let echoed = try await threads.run { value }
            #expect(echoed == value)
        }
        gate.signal()
        #expect(try await blocked)
    }

    @Test("errors thrown by the work reach the caller")
    func errorsPropagate() async {
        let threads = GuestThreads(count: 1)
        defer { threads.shutdown() }
        await #expect(throws: GuestError.missingMemory) {
            try await threads.run { () throws -> Int in throw GuestError.missingMemory }
        }
    }

    @Test("after shutdown, new work is refused")
    func refusesAfterShutdown() async {
        let threads = GuestThreads(count: 1)
        threads.shutdown()
        await #expect(throws: GuestThreadsError.shutDown) {
            try await threads.run { 1 }
        }
    }

    @Test("guests run on guest threads with a reused stack: many calls on one instance stay correct")
    func guestCallsOnThreads() async throws {
        let runtime = WasmRuntime.forTests()
        let module = try runtime.load(
            bytes: Array(
                #"(module (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))"#.utf8),
            name: "add")
        let instance = try runtime.instantiate(module)
        let threads = GuestThreads(count: 2)
        defer { threads.shutdown() }
        try await withThrowingTaskGroup(of: Int32.self) { group in
            for value in Int32(0)..<200 {
                group.addTask {
                    let results = try await threads.run { try instance.call("add", [.i32(value), .i32(1)]) }
                    guard case .i32(let sum) = results.first else { return -1 }
                    return sum - value
                }
            }
            for try await difference in group {
                #expect(difference == 1)
            }
        }
    }
}
