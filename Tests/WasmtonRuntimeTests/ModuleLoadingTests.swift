import Foundation
import Testing
import WasmtonRuntime
import WasmtonTestSupport

@Suite("Module loading, validation and the module cache")
struct ModuleLoadingTests {
    static let calcSignature = FunctionSignature(parameters: [.i32, .i32], results: [.i32])

    @Test("a .wasm file loads with its exports, signatures and name")
    func loadsBinary() throws {
        let module = try WasmRuntime.forTests().load(path: Guests.path("calc"))
        #expect(module.name == "calc")
        #expect(module.exportedFunctions == ["add", "subtract", "multiply"])
        #expect(module.signature(ofExport: "add") == Self.calcSignature)
        #expect(module.signature(ofExport: "add")?.description == "(i32, i32) -> i32")
        #expect(module.signature(ofExport: "nope") == nil)
        #expect(module.imports.isEmpty)
        #expect(!module.usesWASI)
        #expect(module.bytes == (try Guests.bytes("calc")))
    }

    @Test("a .wat file on disk loads like a binary")
    func loadsTextFile() throws {
        let runtime = WasmRuntime.forTests()
        let module = try runtime.load(path: Guests.root.appendingPathComponent("guests/src/calc.wat").path)
        #expect(module.name == "calc")
        #expect(module.bytes.starts(with: [0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00]))
        #expect(module.signature(ofExport: "multiply") == Self.calcSignature)
        let instance = try runtime.instantiate(module)
        #expect(try instance.call("multiply", [.i32(6), .i32(7)]) == [.i32(42)])
    }

    @Test("WAT bytes in memory load, and imports and memory exports are described")
    func loadsTextBytes() throws {
        let module = try WasmRuntime.forTests().load(
            bytes: Array(
                """
                ;; a comment before the module
                (module
                  (import "env" "tick" (func (param i64) (result f64)))
                  (memory (export "memory") 1)
                  (global (export "g") i32 (i32.const 1))
                  (func (export "mix") (param f32 f64) (result i64) (i64.const 1)))
                """.utf8), name: "mixed")
        #expect(module.name == "mixed")
        #expect(module.imports.count == 1)
        #expect(module.imports.first?.module == "env")
        #expect(module.imports.first?.name == "tick")
        #expect(module.imports.first?.kind == .function(FunctionSignature(parameters: [.i64], results: [.f64])))
        #expect(module.exports.map(\.name) == ["memory", "g", "mix"])
        #expect(module.exports.map(\.kind.description) == ["memory", "global", "function"])
        #expect(module.exportedFunctions == ["mix"])
        #expect(module.signature(ofExport: "mix") == FunctionSignature(parameters: [.f32, .f64], results: [.i64]))
        #expect(module.signature(ofExport: "memory") == nil)
    }

    @Test("the cache returns the same module for the same bytes and does not grow")
    func cacheHit() throws {
        let runtime = WasmRuntime.forTests()
        #expect(runtime.cachedModuleCount == 0)
        let first = try runtime.load(path: Guests.path("calc"))
        #expect(runtime.cachedModuleCount == 1)
        let second = try runtime.load(path: Guests.path("calc"))
        #expect(first === second)
        let third = try runtime.load(bytes: try Guests.bytes("calc"), name: "calc")
        #expect(first === third)
        #expect(runtime.cachedModuleCount == 1)
    }

    @Test("the same bytes under another name share the cache entry but keep their name")
    func cacheHitRenamed() throws {
        let runtime = WasmRuntime.forTests()
        let first = try runtime.load(path: Guests.path("calc"))
        let renamed = try runtime.load(bytes: try Guests.bytes("calc"), name: "calculator")
        #expect(renamed.name == "calculator")
        #expect(first.name == "calc")
        #expect(renamed.bytes == first.bytes)
        #expect(renamed.exportedFunctions == first.exportedFunctions)
        #expect(runtime.cachedModuleCount == 1)
    }

    @Test("different bytes make a new cache entry")
    func cacheMiss() throws {
        let runtime = WasmRuntime.forTests()
        let calc = try runtime.load(path: Guests.path("calc"))
        let table = try runtime.load(path: Guests.path("table"))
        #expect(calc !== table)
        #expect(runtime.cachedModuleCount == 2)
        // One byte of difference (a function body constant) is a different module.
        let a = try runtime.load(bytes: Array(#"(module (func (export "f") (result i32) (i32.const 1)))"#.utf8), name: "a")
        let b = try runtime.load(bytes: Array(#"(module (func (export "f") (result i32) (i32.const 2)))"#.utf8), name: "b")
        #expect(a !== b)
        #expect(runtime.cachedModuleCount == 4)
        #expect(try runtime.instantiate(a).call("f") == [.i32(1)])
        #expect(try runtime.instantiate(b).call("f") == [.i32(2)])
    }

    @Test("a module that fails to load is not cached")
    func failureNotCached() throws {
        let runtime = WasmRuntime.forTests()
        #expect(throws: ModuleError.self) {
            try runtime.load(bytes: [0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05], name: "bad")
        }
        #expect(runtime.cachedModuleCount == 0)
    }

    // MARK: - Errors

    @Test("a missing file is .fileNotFound naming the path")
    func missingFile() {
        let path = "/nonexistent/dir/nothing.wasm"
        let error = moduleError { try WasmRuntime.forTests().load(path: path) }
        #expect(error == .fileNotFound(path: path))
        #expect(error?.description.contains("nothing.wasm") == true)
        #expect(error?.description.contains("no such file") == true)
    }

    @Test("a directory is .unreadable")
    func directory() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let error = moduleError { try WasmRuntime.forTests().load(path: directory.path) }
        #expect(error == .unreadable(path: directory.path, reason: "is a directory"))
    }

    @Test("a file that is not Wasm is .notWasm showing the bytes found")
    func notWasm() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("elf.wasm")
        try Data([0x7F, 0x45, 0x4C, 0x46, 0x02, 0x01]).write(to: file)
        let error = moduleError { try WasmRuntime.forTests().load(path: file.path) }
        guard case .notWasm(let path, let reason)? = error else {
            Issue.record("expected .notWasm, got \(String(describing: error))")
            return
        }
        #expect(path == file.path)
        #expect(reason.contains("7f 45 4c 46"))
        #expect(error?.description.contains("not a WebAssembly module") == true)
    }

    @Test("an empty file is .notWasm saying it is empty")
    func emptyFile() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("empty.wasm")
        try Data().write(to: file)
        let error = moduleError { try WasmRuntime.forTests().load(path: file.path) }
        #expect(error == .notWasm(path: file.path, reason: "the file is empty"))
    }

    @Test("a binary cut in the Code section is .truncated naming Code")
    func truncated() throws {
        // calc.wasm's Code section payload spans 0x38..<0x51 (wasm-objdump -h); cut it at 0x40.
        let bytes = Array(try Guests.bytes("calc").prefix(0x40))
        let error = moduleError { try WasmRuntime.forTests().load(bytes: bytes, name: "cut") }
        #expect(error == .truncated(path: "cut", section: "Code", offset: 0x40))
        #expect(error?.description.contains("truncated") == true)
        #expect(error?.description.contains("Code section") == true)
    }

    @Test("a binary that ends after the magic and half a version is .truncated")
    func truncatedHeader() {
        let error = moduleError {
            try WasmRuntime.forTests().load(bytes: [0x00, 0x61, 0x73, 0x6D, 0x01, 0x00], name: "stub")
        }
        guard case .truncated(let path, _, _)? = error else {
            Issue.record("expected .truncated, got \(String(describing: error))")
            return
        }
        #expect(path == "stub")
    }

    @Test("a wrong binary version is .invalid at offset 4")
    func badVersion() {
        let error = moduleError {
            try WasmRuntime.forTests().load(bytes: [0x00, 0x61, 0x73, 0x6D, 0x02, 0x00, 0x00, 0x00], name: "v2")
        }
        guard case .invalid(_, let reason, _, let offset)? = error else {
            Issue.record("expected .invalid, got \(String(describing: error))")
            return
        }
        #expect(reason.contains("version"))
        #expect(offset == 4)
    }

    @Test("a function body of the wrong type is .invalid in the Code section with an offset")
    func invalidBody() throws {
        let wat = #"(module (func (export "f") (result i32) (i64.const 1)))"#
        let error = moduleError { try WasmRuntime.forTests().load(bytes: Array(wat.utf8), name: "bad.wat") }
        guard case .invalid(let path, let reason, let section, let offset)? = error else {
            Issue.record("expected .invalid, got \(String(describing: error))")
            return
        }
        #expect(path == "bad.wat")
        #expect(section == "Code")
        #expect(!reason.isEmpty)
        // The offset must fall inside the module's Code section.
        let binary = try ModuleFile.binary(from: Array(wat.utf8), path: "bad.wat")
        let code = try #require(try SectionMap(bytes: binary).sections.first { $0.name == "Code" })
        let where_ = try #require(offset)
        #expect(where_ >= code.headerStart && where_ < code.end)
        #expect(error?.description.contains("Code section") == true)
    }

    @Test("a binary whose body calls a function that does not exist is .invalid in Code, found at load time")
    func invalidCallTarget() {
        let bytes: [UInt8] = [
            0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00,
            0x01, 0x04, 0x01, 0x60, 0x00, 0x00,  // Type: () -> ()
            0x03, 0x02, 0x01, 0x00,  // Function: one, of type 0
            0x0A, 0x06, 0x01, 0x04, 0x00, 0x10, 0x07, 0x0B,  // Code: call 7; end
        ]
        let error = moduleError { try WasmRuntime.forTests().load(bytes: bytes, name: "call7.wasm") }
        guard case .invalid(let path, _, let section, let offset)? = error else {
            Issue.record("expected .invalid, got \(String(describing: error))")
            return
        }
        #expect(path == "call7.wasm")
        #expect(section == "Code")
        #expect(offset.map { $0 >= 0x12 && $0 < bytes.count } == true)
    }

    @Test("a module whose data segment is out of bounds loads, but reports its real export signatures")
    func signaturesWhenSegmentsTrap() throws {
        // The data segment does not fit in one page, so instantiation traps; the module is still
        // valid, and its exports' signatures are known from the binary alone.
        let module = try WasmRuntime.forTests().load(
            bytes: Array(
                #"(module (memory 1) (data (i32.const 70000) "x") (func (export "f") (param i32) (result i32) (local.get 0)))"#
                    .utf8), name: "segment")
        #expect(module.exportedFunctions == ["f"])
        #expect(module.signature(ofExport: "f") == FunctionSignature(parameters: [.i32], results: [.i32]))
    }

    @Test("bad WAT is .invalidText with the 1-based line and column wat2wasm reports")
    func badText() {
        // wabt's `wat2wasm` says 2:4 (the start of `funcx`) for this file.
        let wat = "(module\n  (funcx))\n"
        let error = moduleError { try WasmRuntime.forTests().load(bytes: Array(wat.utf8), name: "oops.wat") }
        guard case .invalidText(let path, let reason, let line, let column)? = error else {
            Issue.record("expected .invalidText, got \(String(describing: error))")
            return
        }
        #expect(path == "oops.wat")
        #expect(reason.contains("funcx"))
        #expect(line == 2)
        #expect(column == 4)
        #expect(error?.description.hasPrefix("oops.wat:2:4: ") == true)
        expectWords(error, ["invalid WebAssembly text", "funcx"])
    }

    @Test("bad WAT on the first line has the column wat2wasm reports")
    func badTextFirstLine() {
        // wabt's `wat2wasm` says 1:10 (the start of `funcx`).
        let error = moduleError { try WasmRuntime.forTests().load(bytes: Array("(module (funcx))".utf8), name: "one.wat") }
        guard case .invalidText(_, _, let line, let column)? = error else {
            Issue.record("expected .invalidText, got \(String(describing: error))")
            return
        }
        #expect(line == 1)
        #expect(column == 10)
    }

    @Test("WAT with an unclosed parenthesis is .invalidText")
    func unclosedText() {
        let error = moduleError {
            try WasmRuntime.forTests().load(bytes: Array("(module (func".utf8), name: "open.wat")
        }
        guard case .invalidText(let path, _, _, _)? = error else {
            Issue.record("expected .invalidText, got \(String(describing: error))")
            return
        }
        #expect(path == "open.wat")
    }
}
