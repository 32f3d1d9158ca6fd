import Foundation
import Testing
import WasmtonRuntime

/// ``GuestAccounting``'s own bookkeeping: the fuel-per-call histogram's buckets and text, the
/// bound on operations, and the kinds failures are counted under. (The metrics of real guests
/// under `serve`, `process` and `proxy` are checked in the CLI's AccountingTests.)
@Suite("Guest accounting")
struct GuestAccountingTests {
    /// A module name no other test uses (the accounting of a name lives for the process).
    static func uniqueModule() -> String {
        "accounting-test-\(UUID().uuidString.prefix(8))"
    }

    @Test("the fuel histogram takes a batch's buckets at once and renders them cumulative, with sum and count")
    func histogram() {
        let module = Self.uniqueModule()
        let accounting = GuestAccounting.named(module, metersFuel: true)
        let operation = accounting.operation("op")
        var usage = GuestUsage()
        for fuel: UInt64 in [50, 100, 150, 2_000_000_000] { usage.recordFuel(fuel) }
        usage.addFuel(7)
        usage.calls = 4
        accounting.flush(&usage, to: operation)
        #expect(usage.calls == 0 && usage.fuel == 0, "a flush empties the usage")
        var more = GuestUsage()
        more.recordFuel(250)
        accounting.flush(&more, to: operation)
        let text = String(decoding: GuestAccounting.renderHistograms(), as: UTF8.self)
        let labels = "module=\"\(module)\",operation=\"op\""
        #expect(text.contains("# TYPE wasmton_guest_fuel_per_call histogram\n"))
        #expect(text.contains("wasmton_guest_fuel_per_call_bucket{\(labels),le=\"100\"} 2\n"), "\(text)")
        #expect(text.contains("wasmton_guest_fuel_per_call_bucket{\(labels),le=\"300\"} 4\n"), "\(text)")
        #expect(text.contains("wasmton_guest_fuel_per_call_bucket{\(labels),le=\"1000000000\"} 4\n"), "\(text)")
        #expect(text.contains("wasmton_guest_fuel_per_call_bucket{\(labels),le=\"+Inf\"} 5\n"), "\(text)")
        #expect(
            text.contains("wasmton_guest_fuel_per_call_sum{\(labels)} 2000000550\n"),
            "the sum leaves out fuel burned outside calls (addFuel)")
        #expect(text.contains("wasmton_guest_fuel_per_call_count{\(labels)} 5\n"))
    }

    @Test("without metering there is no histogram")
    func unmetered() {
        let module = Self.uniqueModule()
        let accounting = GuestAccounting.named(module, metersFuel: false)
        var usage = GuestUsage()
        usage.recordFuel(10)
        accounting.flush(&usage, to: accounting.operation("op"))
        #expect(!String(decoding: GuestAccounting.renderHistograms(), as: UTF8.self).contains(module))
    }

    @Test("past the operation limit, new operations share the _other series")
    func operationLimit() {
        let accounting = GuestAccounting.named(Self.uniqueModule(), metersFuel: true)
        for index in 0..<accounting.operationLimit {
            #expect(accounting.operation("op\(index)").name == "op\(index)")
        }
        #expect(accounting.operation("one too many").name == GuestAccounting.otherOperation)
        #expect(accounting.operation("another").name == GuestAccounting.otherOperation)
        #expect(accounting.operation("op0").name == "op0", "known operations keep their series")
    }

    @Test("failures are counted by kind; errors raised before the guest ran are not")
    func kinds() {
        #expect(GuestError.trap(.unreachable, function: "run").accountingKind == "unreachable")
        #expect(GuestError.trap(.memoryOutOfBounds, function: nil).accountingKind == "out_of_bounds")
        #expect(GuestError.outOfFuel(budget: 1, function: nil).accountingKind == "out_of_fuel")
        #expect(GuestError.deadlineExceeded(seconds: 1, function: nil).accountingKind == "deadline")
        #expect(GuestError.memoryLimitExceeded(limitBytes: 1, function: nil).accountingKind == "memory_limit")
        #expect(GuestError.missingExport(name: "run", available: []).accountingKind == nil)
        var usage = GuestUsage()
        usage.recordFailure(.trap(.unreachable, function: nil))
        usage.recordFailure(.trap(.unreachable, function: nil))
        usage.recordFailure(.outOfFuel(budget: 1, function: nil))
        usage.recordFailure(.argumentCount(function: "f", expected: FunctionSignature(parameters: [], results: []), given: 1))
        #expect(usage.traps == ["unreachable": 2, "out_of_fuel": 1])
    }

    @Test("the thread's CPU clock advances while the thread computes")
    func threadCPU() {
        let before = GuestAccounting.threadCPUNanoseconds()
        var x: UInt64 = 1
        for index in 0..<2_000_000 { x = x &* 6_364_136_223_846_793_005 &+ UInt64(index) }
        #expect(x != 0)
        #expect(GuestAccounting.threadCPUNanoseconds() > before)
    }
}
