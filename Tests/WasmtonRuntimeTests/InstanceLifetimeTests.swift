import Foundation
import Testing
import WasmtonRuntime
import WasmtonTestSupport

/// A server instantiates a module per request and drops the instance: its linear memory must be
/// given back. Measured through the process's resident size, so each test touches 10 MiB per
/// instance and allows far less growth than leaking them all would cause.
@Suite("Instance lifetime", .serialized)
struct InstanceLifetimeTests {
    static let instances = 30
    static let touchedBytes = 10 << 20

    /// Resident set size of this process, from /proc/self/statm.
    static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// A module with 10 MiB of memory that its start function fills (so the pages are resident),
    /// importing `env.f` when `withImport` is true.
    static func module(withImport: Bool) throws -> WasmModule {
        let wat = """
            (module
              \(withImport ? #"(import "env" "f" (func))"# : "")
              (memory (export "memory") 160)
              (func $touch (memory.fill (i32.const 0) (i32.const 1) (i32.const \(touchedBytes))))
              (start $touch)
              (func (export "first") (result i32) (i32.load8_u (i32.const 0))))
            """
        return try WasmRuntime.forTests().load(bytes: Array(wat.utf8), name: withImport ? "leak-import" : "leak-plain")
    }

    static func growth(module: WasmModule, hostFunctions: [HostFunction]) throws -> Int {
        let runtime = WasmRuntime.forTests()
        // Warm up, so allocator pools and caches do not count as growth.
        for _ in 0..<3 {
            let instance = try runtime.instantiate(module, hostFunctions: hostFunctions)
            #expect(try instance.call("first") == [.i32(1)])
        }
        let before = residentBytes()
        for _ in 0..<instances {
            let instance = try runtime.instantiate(module, hostFunctions: hostFunctions)
            #expect(try instance.call("first") == [.i32(1)])
            instance.close()
        }
        return residentBytes() - before
    }

    // Each check runs in its own process (an exit test), so memory that other tests running in
    // parallel allocate cannot be mistaken for a leak.

    @Test("dropped instances give their memory back")
    func plainInstancesAreFreed() async {
        await #expect(processExitsWith: .success, "30 dropped instances kept 100 MiB or more resident") {
            let growth = try InstanceLifetimeTests.growth(
                module: InstanceLifetimeTests.module(withImport: false), hostFunctions: [])
            // Leaking would be 30 × 10 MiB = 300 MiB.
            if growth >= 100 << 20 { exit(1) }
        }
    }

    @Test("dropped instances with host functions give their memory back too")
    func instancesWithHostFunctionsAreFreed() async {
        await #expect(processExitsWith: .success, "30 dropped instances with host functions kept 100 MiB or more resident") {
            let f = HostFunction(module: "env", name: "f", signature: FunctionSignature(parameters: [])) { _, _ in [] }
            let growth = try InstanceLifetimeTests.growth(
                module: InstanceLifetimeTests.module(withImport: true), hostFunctions: [f])
            if growth >= 100 << 20 { exit(1) }
        }
    }
}
