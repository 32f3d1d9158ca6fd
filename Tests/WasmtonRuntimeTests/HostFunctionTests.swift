import Foundation
import Testing
import WasmtonRuntime

/// Host functions for `bench.wasm`, whose `call_host(x)` returns `bench.host_echo(x)`.
enum BenchHost {
    static let signature = FunctionSignature(parameters: [.i32], results: [.i32])

    static func echo(_ transform: @escaping @Sendable (Int32) throws -> Int32) -> HostFunction {
        HostFunction(module: "bench", name: "host_echo", signature: signature) { _, arguments in
            guard case .i32(let value)? = arguments.first else { return [.i32(-1)] }
            return [.i32(try transform(value))]
        }
    }
}

struct CustomHostError: Error, CustomStringConvertible {
    var description: String { "the database is down" }
}

/// A guest with an `env.log(ptr, len)` import and exports that call it with any pointer.
let logGuest = """
    (module
      (import "env" "log" (func $log (param i32 i32)))
      (memory (export "memory") 1)
      (data (i32.const 16) "hello from the guest")
      (func (export "log_at") (param i32 i32) (call $log (local.get 0) (local.get 1)))
      (func (export "greet") (call $log (i32.const 16) (i32.const 20))))
    """

@Suite("Host functions and guest memory")
struct HostFunctionTests {
    static let logSignature = FunctionSignature(parameters: [.i32, .i32])

    /// An `env.log` that reads the guest's string through bounds-checked memory.
    static func logger(into lines: Collector<String>) -> HostFunction {
        HostFunction(module: "env", name: "log", signature: logSignature) { call, arguments in
            guard case .i32(let pointer) = arguments[0], case .i32(let length) = arguments[1] else { return [] }
            let memory = try call.requireMemory()
            let text = try memory.readString(at: UInt64(UInt32(bitPattern: pointer)), count: Int(length))
            lines.append(text)
            return []
        }
    }

    @Test("a host function is called with the guest's argument and its result returns to the guest")
    func roundTrip() throws {
        let instance = try Guests.instance("bench", hostFunctions: [BenchHost.echo { $0 &* 2 }])
        #expect(try instance.call("call_host", [.i32(21)]) == [.i32(42)])
        #expect(try instance.call("call_host", [.i32(-5)]) == [.i32(-10)])
        #expect(try instance.call("add", [.i32(2), .i32(3)]) == [.i32(5)])
    }

    @Test("each instance uses the host functions it was given")
    func perInstanceHostFunctions() throws {
        let module = try Guests.module("bench")
        let double = try Guests.runtime.instantiate(module, hostFunctions: [BenchHost.echo { $0 * 2 }])
        let negate = try Guests.runtime.instantiate(module, hostFunctions: [BenchHost.echo { -$0 }])
        #expect(try double.call("call_host", [.i32(7)]) == [.i32(14)])
        #expect(try negate.call("call_host", [.i32(7)]) == [.i32(-7)])
    }

    @Test("a host function that throws a Swift error fails the call with .hostFunctionFailed naming it")
    func customError() throws {
        let instance = try Guests.instance("bench", hostFunctions: [BenchHost.echo { _ in throw CustomHostError() }])
        let error = guestError { try instance.call("call_host", [.i32(1)]) }
        #expect(error == .hostFunctionFailed(name: "bench.host_echo", message: "the database is down"))
        expectWords(error, ["bench.host_echo", "the database is down"])
        #expect(error?.poisonsInstance == true)
    }

    @Test("a host function that throws a GuestError passes it through unchanged")
    func guestErrorPassesThrough() throws {
        let instance = try Guests.instance(
            "bench", hostFunctions: [BenchHost.echo { _ in throw GuestError.exited(code: 7) }])
        #expect(throws: GuestError.exited(code: 7)) { try instance.call("call_host", [.i32(1)]) }
        let trapping = try Guests.instance(
            "bench", hostFunctions: [BenchHost.echo { _ in throw GuestError.trap(.unreachable, function: "host") }])
        #expect(throws: GuestError.trap(.unreachable, function: "host")) { try trapping.call("call_host", [.i32(1)]) }
    }

    @Test(
        "a host function returning results that do not match its signature is .hostFunctionFailed naming it",
        arguments: [[WasmValue.i64(1)], [], [.i32(1), .i32(2)]])
    func wrongResults(results: [WasmValue]) throws {
        let liar = HostFunction(module: "bench", name: "host_echo", signature: BenchHost.signature) { _, _ in results }
        let instance = try Guests.instance("bench", hostFunctions: [liar])
        let error = guestError { try instance.call("call_host", [.i32(1)]) }
        // The host's code is at fault, not the guest's: the error must say which host function.
        guard case .hostFunctionFailed(let name, _)? = error else {
            Issue.record("expected .hostFunctionFailed, got \(String(describing: error))")
            return
        }
        #expect(name == "bench.host_echo")
        expectWords(error, ["bench.host_echo", "i32"])
    }

    @Test("a missing import is .missingImport naming module.name and its type")
    func missingImport() throws {
        let module = try Guests.module("needs_import")
        #expect(module.imports.map { "\($0.module).\($0.name)" } == ["env.missing_function"])
        let error = guestError { try Guests.runtime.instantiate(module) }
        guard case .missingImport(let importModule, let name, let kind)? = error else {
            Issue.record("expected .missingImport, got \(String(describing: error))")
            return
        }
        #expect(importModule == "env")
        #expect(name == "missing_function")
        #expect(kind.contains("(i32) -> i32"))
        #expect(error?.description.contains("env.missing_function") == true)
        #expect(error?.poisonsInstance == false)
    }

    @Test("host functions for other names do not satisfy an import")
    func wrongName() throws {
        let other = HostFunction(module: "env", name: "missing_functio", signature: BenchHost.signature) { _, a in a }
        let error = guestError {
            try Guests.runtime.instantiate(Guests.module("needs_import"), hostFunctions: [other])
        }
        guard case .missingImport(let module, let name, _)? = error else {
            Issue.record("expected .missingImport, got \(String(describing: error))")
            return
        }
        #expect(module == "env")
        #expect(name == "missing_function")
    }

    @Test("a global import the host cannot provide is .missingImport of kind global")
    func globalImport() throws {
        let module = try Guests.module("sections")
        let log = HostFunction(module: "env", name: "log", signature: FunctionSignature(parameters: [.i32])) { _, _ in [] }
        let error = guestError { try Guests.runtime.instantiate(module, hostFunctions: [log]) }
        #expect(error == .missingImport(module: "env", name: "base", kind: "global"))
        expectWords(error, ["env.base", "global", "does not provide"])
        // Without env.log, the first unresolved import (env.log) is named.
        let first = guestError { try Guests.runtime.instantiate(module) }
        guard case .missingImport(_, let name, _)? = first else {
            Issue.record("expected .missingImport, got \(String(describing: first))")
            return
        }
        #expect(name == "log")
    }

    @Test("a host function with the wrong signature is .incompatibleImport naming both types")
    func incompatibleImport() throws {
        let wide = HostFunction(
            module: "bench", name: "host_echo", signature: FunctionSignature(parameters: [.i64], results: [.i64])
        ) { _, a in a }
        let error = guestError { try Guests.instance("bench", hostFunctions: [wide]) }
        guard case .incompatibleImport(let module, let name, let reason)? = error else {
            Issue.record("expected .incompatibleImport, got \(String(describing: error))")
            return
        }
        #expect(module == "bench")
        #expect(name == "host_echo")
        #expect(reason.contains("(i32) -> i32"))
        #expect(reason.contains("(i64) -> i64"))
        expectWords(error, ["bench.host_echo", "(i32) -> i32", "(i64) -> i64"])
    }

    @Test("a WASI import with the wrong type is .incompatibleImport naming it")
    func wrongWASIType() throws {
        let module = try Guests.wat(
            #"(module (import "wasi_snapshot_preview1" "fd_write" (func (param i32))))"#, name: "bad-wasi")
        let error = guestError { try Guests.runtime.instantiate(module) }
        guard case .incompatibleImport(let importModule, let name, let reason)? = error else {
            Issue.record("expected .incompatibleImport, got \(String(describing: error))")
            return
        }
        #expect(importModule == "wasi_snapshot_preview1")
        #expect(name == "fd_write")
        #expect(reason.contains("(i32)"))
        expectWords(error, ["wasi_snapshot_preview1.fd_write"])
    }

    @Test("a WASI function the host does not implement is .missingImport naming it")
    func unknownWASIFunction() throws {
        let module = try Guests.wat(
            #"(module (import "wasi_snapshot_preview1" "no_such_call" (func (param i32))))"#, name: "odd-wasi")
        let error = guestError { try Guests.runtime.instantiate(module) }
        guard case .missingImport(let importModule, let name, _)? = error else {
            Issue.record("expected .missingImport, got \(String(describing: error))")
            return
        }
        #expect(importModule == "wasi_snapshot_preview1")
        #expect(name == "no_such_call")
        expectWords(error, ["wasi_snapshot_preview1.no_such_call"])
    }

    @Test("an imported memory is .missingImport of kind memory")
    func memoryImport() throws {
        let module = try Guests.wat(#"(module (import "env" "memory" (memory 1)))"#, name: "imports-memory")
        let error = guestError { try Guests.runtime.instantiate(module) }
        #expect(error == .missingImport(module: "env", name: "memory", kind: "memory"))
    }

    @Test("a host function called from the start function can read guest memory")
    func hostFunctionDuringStart() throws {
        let module = try Guests.wat(
            """
            (module
              (import "env" "log" (func $log (param i32 i32)))
              (memory (export "memory") 1)
              (data (i32.const 8) "starting")
              (func $init (call $log (i32.const 8) (i32.const 8)))
              (start $init))
            """, name: "logs-at-start")
        let lines = Collector<String>()
        _ = try Guests.runtime.instantiate(module, hostFunctions: [Self.logger(into: lines)])
        #expect(lines.all == ["starting"])
    }

    @Test("extra host functions the module does not import are ignored")
    func extraHostFunctions() throws {
        let unused = HostFunction(module: "env", name: "unused", signature: FunctionSignature(parameters: [])) { _, _ in [] }
        let instance = try Guests.instance("calc", hostFunctions: [unused])
        #expect(try instance.call("add", [.i32(1), .i32(2)]) == [.i32(3)])
    }

    @Test("a host function reads a string from guest memory")
    func readsGuestMemory() throws {
        let lines = Collector<String>()
        let instance = try Guests.runtime.instantiate(
            Guests.wat(logGuest, name: "logger"), hostFunctions: [Self.logger(into: lines)])
        try instance.call("greet")
        try instance.call("log_at", [.i32(22), .i32(4)])
        #expect(lines.all == ["hello from the guest", "from"])
    }

    @Test(
        "a host function reading out of bounds fails the call with .memoryAccessOutOfBounds, no crash",
        arguments: [
            (Int32(bitPattern: 0xFFFF_FFF0), Int32(100)),  // far past the end (and past 4 GiB when added)
            (Int32(65_536 - 10), Int32(11)),  // one byte past the end
            (Int32(65_536), Int32(1)),  // starts exactly at the end
        ])
    func hostReadOutOfBounds(pointer: Int32, length: Int32) throws {
        let lines = Collector<String>()
        let instance = try Guests.runtime.instantiate(
            Guests.wat(logGuest, name: "logger"), hostFunctions: [Self.logger(into: lines)])
        let error = guestError { try instance.call("log_at", [.i32(pointer), .i32(length)]) }
        let address = UInt64(UInt32(bitPattern: pointer))
        #expect(error == .memoryAccessOutOfBounds(address: address, length: UInt64(length), memorySize: 65_536))
        #expect(error?.description.contains("out of bounds memory access") == true)
        #expect(error?.description.contains("0x\(String(address, radix: 16))") == true)
        #expect(lines.count == 0)
        // The process and a fresh instance are fine.
        let fresh = try Guests.runtime.instantiate(
            Guests.wat(logGuest, name: "logger"), hostFunctions: [Self.logger(into: lines)])
        try fresh.call("log_at", [.i32(65_536 - 4), .i32(4)])
        #expect(lines.count == 1)
    }

    @Test("a host function of a guest without memory gets .missingMemory from requireMemory")
    func noMemory() throws {
        let module = try Guests.wat(
            """
            (module (import "env" "log" (func $log (param i32 i32)))
              (func (export "go") (call $log (i32.const 0) (i32.const 1))))
            """, name: "memoryless")
        let lines = Collector<String>()
        let instance = try Guests.runtime.instantiate(module, hostFunctions: [Self.logger(into: lines)])
        #expect(throws: GuestError.missingMemory) { try instance.call("go") }
        #expect(
            guestError { try instance.withMemory { $0.byteCount } } == .missingMemory)
    }

    @Test("a host function can write into guest memory and the guest sees it")
    func hostWritesGuestMemory() throws {
        let module = try Guests.wat(
            """
            (module (import "env" "fill" (func $fill (param i32)))
              (memory (export "memory") 1)
              (func (export "sum") (result i32)
                (call $fill (i32.const 100))
                (i32.add (i32.load8_u (i32.const 100)) (i32.load (i32.const 104)))))
            """, name: "filler")
        let fill = HostFunction(module: "env", name: "fill", signature: FunctionSignature(parameters: [.i32])) {
            call, arguments in
            guard case .i32(let pointer) = arguments[0] else { return [] }
            let memory = try call.requireMemory()
            try memory.write([7], at: UInt64(pointer))
            try memory.writeUInt32(1_000, at: UInt64(pointer) + 4)
            return []
        }
        let instance = try Guests.runtime.instantiate(module, hostFunctions: [fill])
        #expect(try instance.call("sum") == [.i32(1_007)])
    }

    // MARK: - LinearMemory through withMemory

    @Test("LinearMemory write/read round-trips bytes, strings and little-endian u32s")
    func memoryRoundTrip() throws {
        let instance = try Guests.instance("traps")
        try instance.withMemory { memory throws(GuestError) in
            #expect(memory.byteCount == 65_536)
            try memory.write([1, 2, 3, 250], at: 1_000)
            #expect(try memory.read(at: 1_000, count: 4) == [1, 2, 3, 250])
            try memory.write(Array("héllo".utf8), at: 2_000)
            #expect(try memory.readString(at: 2_000, count: 6) == "héllo")
            try memory.writeUInt32(0xDEAD_BEEF, at: 3_000)
            #expect(try memory.read(at: 3_000, count: 4) == [0xEF, 0xBE, 0xAD, 0xDE])
            #expect(try memory.readUInt32(at: 3_000) == 0xDEAD_BEEF)
            #expect(try memory.read(at: 0, count: 0) == [])
        }
        // What the host wrote persists for the guest: traps' oob_load reads at 4 GiB, so use a fresh WAT.
        let reader = try Guests.runtime.instantiate(
            Guests.wat(
                "(module (memory (export \"memory\") 1) (func (export \"peek\") (param i32) (result i32) (i32.load (local.get 0))))",
                name: "peek"))
        try reader.withMemory { memory throws(GuestError) in try memory.writeUInt32(123_456, at: 64) }
        #expect(try reader.call("peek", [.i32(64)]) == [.i32(123_456)])
    }

    @Test("writing at the exact end of memory works; one byte past fails and changes nothing")
    func memoryBoundary() throws {
        let instance = try Guests.instance("traps")
        try instance.withMemory { memory throws(GuestError) in
            let size = UInt64(memory.byteCount)
            try memory.write([9, 9, 9, 9], at: size - 4)
            #expect(try memory.read(at: size - 4, count: 4) == [9, 9, 9, 9])
            try memory.write([UInt8](), at: size)  // an empty write at the very end is in bounds
            #expect(try memory.read(at: size, count: 0) == [])

            #expect(throws: GuestError.memoryAccessOutOfBounds(address: size - 3, length: 4, memorySize: Int(size))) {
                try memory.write([1, 2, 3, 4], at: size - 3)
            }
            #expect(try memory.read(at: size - 4, count: 4) == [9, 9, 9, 9])
            #expect(throws: GuestError.memoryAccessOutOfBounds(address: size, length: 1, memorySize: Int(size))) {
                try memory.read(at: size, count: 1)
            }
            #expect(throws: GuestError.self) { try memory.readUInt32(at: size - 2) }
            #expect(throws: GuestError.self) { try memory.writeUInt32(1, at: size - 1) }
            #expect(throws: GuestError.self) { try memory.read(at: 0, count: -1) }
            // Addresses whose sum with the length overflows 64 bits must not wrap around.
            #expect(throws: GuestError.self) { try memory.read(at: UInt64.max, count: 2) }
            #expect(throws: GuestError.self) { try memory.write([1], at: UInt64.max) }
        }
    }

    @Test("withMemory sees the memory grow")
    func memoryGrowth() throws {
        let instance = try Guests.instance("traps")
        #expect(try instance.call("grow", [.i32(2)]) == [.i32(1)])
        try instance.withMemory { memory throws(GuestError) in
            #expect(memory.byteCount == 3 * 65_536)
            try memory.write([5], at: UInt64(3 * 65_536 - 1))
        }
    }

    @Test("the kitchen_sink reactor: _initialize, alloc, strings through memory, env.log")
    func kitchenSink() throws {
        let lines = Collector<String>()
        let instance = try Guests.instance("kitchen_sink", hostFunctions: [Self.logger(into: lines)])
        try instance.call("_initialize")
        let text = Array("Hello, Wasmton".utf8)
        let results = try instance.call("alloc", [.i32(Int32(text.count))])
        guard case .i32(let pointer)? = results.first else {
            Issue.record("alloc returned \(results)")
            return
        }
        #expect(pointer > 0)
        try instance.withMemory { memory throws(GuestError) in try memory.write(text, at: UInt64(pointer)) }
        #expect(try instance.call("str_upper", [.i32(pointer), .i32(Int32(text.count))]) == [.i32(10)])
        #expect(
            try instance.withMemory { memory throws(GuestError) in
                try memory.readString(at: UInt64(pointer), count: text.count)
            } == "HELLO, WASMTON")
        try instance.call("log_message", [.i32(pointer), .i32(5)])
        #expect(lines.all == ["HELLO"])
        guard case .i32(let version)? = try instance.call("version").first else {
            Issue.record("version returned no i32")
            return
        }
        #expect(
            try instance.withMemory { memory throws(GuestError) in
                try memory.readString(at: UInt64(version), count: 16)
            } == "kitchen_sink 1.0")
        #expect(try instance.call("gcd", [.i32(84), .i32(36)]) == [.i32(12)])
        #expect(try instance.call("fib", [.i32(50)]) == [.i64(12_586_269_025)])
    }
}
