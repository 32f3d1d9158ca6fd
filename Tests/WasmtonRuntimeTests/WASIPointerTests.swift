import Testing
import WasmtonRuntime

@Suite("WASI calls with guest pointers outside memory fail the call, never the host")
struct WASIPointerTests {
    /// A command whose `_start` makes one WASI call with the given arguments, after storing
    /// `setup` (address, value pairs) as i32s.
    static func command(
        _ function: String, parameters: Int, arguments: [Int32], setup: [(Int32, Int32)] = []
    ) throws
        -> WasmInstance
    {
        let types = Array(repeating: "i32", count: parameters).joined(separator: " ")
        let stores = setup.map { "(i32.store (i32.const \($0.0)) (i32.const \($0.1)))" }.joined(separator: " ")
        let values = arguments.map { "(i32.const \($0))" }.joined(separator: " ")
        let module = try Guests.wat(
            """
            (module
              (import "wasi_snapshot_preview1" "\(function)" (func $f (param \(types)) (result i32)))
              (memory (export "memory") 1)
              (func (export "_start") \(stores) (drop (call $f \(values)))))
            """)
        return try Guests.runtime.instantiate(module, sandbox: Sandbox(stdio: .capture))
    }

    static func isOutOfBounds(_ error: any Error) -> Bool {
        if case .memoryAccessOutOfBounds = error as? GuestError { return true }
        return false
    }

    @Test("a result written past the end of memory (fd_filestat_get) is an out-of-bounds failure")
    func resultPastTheEnd() throws {
        let instance = try Self.command("fd_filestat_get", parameters: 2, arguments: [1, 65_530])
        do {
            try instance.call("_start")
            Issue.record("the call should have failed")
        } catch {
            #expect(Self.isOutOfBounds(error), "\(error)")
        }
    }

    @Test("fd_write with a buffer outside memory writes nothing and fails")
    func writeVectorOutside() throws {
        // One iovec at 0: 5,000 bytes from 65,000, past the 64 KiB memory.
        let instance = try Self.command(
            "fd_write", parameters: 4, arguments: [1, 0, 1, 16], setup: [(0, 65_000), (4, 5_000)])
        do {
            try instance.call("_start")
            Issue.record("the call should have failed")
        } catch {
            #expect(Self.isOutOfBounds(error), "\(error)")
        }
        #expect(instance.takeOutput().stdout.isEmpty)
    }

    @Test("an I/O vector array outside memory fails fd_read before it reads")
    func readVectorsOutside() throws {
        let instance = try Self.command("fd_read", parameters: 4, arguments: [0, 65_532, 2, 16])
        do {
            try instance.call("_start")
            Issue.record("the call should have failed")
        } catch {
            #expect(Self.isOutOfBounds(error), "\(error)")
        }
    }

    @Test("a fault fails only its own call: the next valid call on the instance succeeds")
    func faultIsNotCarriedOver() throws {
        let module = try Guests.wat(
            """
            (module
              (import "wasi_snapshot_preview1" "fd_filestat_get" (func $stat (param i32 i32) (result i32)))
              (memory (export "memory") 1)
              (func (export "bad") (result i32) (call $stat (i32.const 1) (i32.const 65530)))
              (func (export "good") (result i32) (call $stat (i32.const 1) (i32.const 0))))
            """)
        let instance = try Guests.runtime.instantiate(module, sandbox: Sandbox(stdio: .capture))
        #expect(throws: GuestError.self) { try instance.call("bad") }
        #expect(try instance.call("good") == [.i32(0)])
    }
}
