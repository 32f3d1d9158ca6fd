import Foundation
import Testing
import WasmtonRuntime

@testable import WasmtonTools

/// JSON, `.wat` input, errors and instruction names.
@Suite("inspect")
struct InspectTests {
    // MARK: JSON

    @Test("JSON sections have exactly the documented keys and wasm-objdump's values", arguments: ["calc.wasm", "sections.wasm"])
    func json(module: String) throws {
        let path = Objdump.path(ofExample: module)
        let report = try ModuleInspector.report(path: path)
        let json = ModuleReportText.json(report)

        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let sections = try #require(object["sections"] as? [[String: Any]])
        let keys: Set<String> = ["index", "id", "name", "start", "end", "size", "count"]
        for section in sections {
            let isCustom = section["id"] as? Int == 0
            #expect(Set(section.keys) == (isCustom ? keys.union(["customName"]) : keys))
            // `count` is always present: null for Start (its payload is a function index) and Custom.
            if isCustom || section["id"] as? Int == 8 {
                #expect(section["count"] is NSNull)
            } else {
                #expect(section["count"] is Int)
            }
        }
        #expect(object["moduleName"] as? String == module.replacingOccurrences(of: ".wasm", with: ""))
        #expect(object["disassembly"] == nil)

        // The same values as wasm-objdump -h.
        guard let output = Objdump.run("-h", path) else { return }
        let expected = Objdump.sections(fromHeaders: output)
        try #require(sections.count == expected.count)
        for (index, (section, objdump)) in zip(sections, expected).enumerated() {
            #expect(section["index"] as? Int == index)
            #expect(section["name"] as? String == objdump.name)
            #expect(section["start"] as? Int == objdump.start)
            #expect(section["end"] as? Int == objdump.end)
            #expect(section["size"] as? Int == objdump.size)
            if section["name"] as? String != "Start" {
                #expect(section["count"] as? Int == objdump.count)
            }
            #expect(section["customName"] as? String == objdump.customName)
        }

        // And it decodes back to the same report.
        let decoded = try JSONDecoder().decode(ModuleReport.self, from: Data(json.utf8))
        #expect(decoded == report)
    }

    @Test("JSON carries the details and, when asked for, the disassembly")
    func jsonDetails() throws {
        let path = Objdump.path(ofExample: "sections.wasm")
        var report = try ModuleInspector.report(path: path)
        report.disassembly = try ModuleInspector.disassembly(bytes: ModuleInspector.read(path: path), function: "bump")
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(ModuleReportText.json(report).utf8)) as? [String: Any])
        let imports = try #require(object["imports"] as? [[String: Any]])
        #expect(imports.map { "\($0["module"] ?? "").\($0["name"] ?? "")" } == ["env.log", "env.base"])
        #expect(imports.first?["description"] as? String == "func[0] sig=1 <log> <- env.log")
        let functions = try #require(object["functions"] as? [[String: Any]])
        #expect(functions.count == 9)
        #expect(functions.first?["signature"] as? String == "() -> nil")
        #expect((object["start"] as? [String: Any])?["index"] as? Int == 1)
        #expect(object["customSections"] as? [String] == ["name", "wasmton.note"])
        let disassembly = try #require(object["disassembly"] as? [[String: Any]])
        let lines = try #require(disassembly.first?["lines"] as? [[String: Any]])
        #expect(lines.compactMap { $0["text"] as? String }.first == "global.get 1 <counter>")
    }

    // MARK: Text input

    @Test("a .wat file gives the same sections as its built .wasm", arguments: ["calc", "table", "sections", "traps"])
    func watInput(name: String) throws {
        let text = try ModuleInspector.report(path: Objdump.root.appendingPathComponent("guests/src/\(name).wat").path)
        let binary = try ModuleInspector.report(path: Objdump.path(ofExample: "\(name).wasm"))
        // wabt's wat2wasm and WasmKit's assembler may lay out bytes (and custom sections) differently.
        let standard = { (report: ModuleReport) in report.sections.filter { $0.id != 0 }.map { "\($0.name) \($0.count ?? -1)" } }
        #expect(standard(text) == standard(binary))
        #expect(text.exports == binary.exports)
        #expect(text.types == binary.types.map { TypeEntry(index: $0.index, signature: $0.signature) })
        #expect(text.imports.map { "\($0.module).\($0.name)" } == binary.imports.map { "\($0.module).\($0.name)" })
    }

    // MARK: Errors

    @Test("a missing file is a one-line error naming it")
    func missingFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("wasmton-no-such-\(UUID()).wasm").path
        let error = #expect(throws: InspectError.self) { try ModuleInspector.report(path: path) }
        #expect(error == .module(.fileNotFound(path: path)))
        #expect(error?.description == "\(path): no such file")
    }

    @Test("a file that is not Wasm says so")
    func notWasm() throws {
        let path = try temporaryFile("not-wasm.bin", bytes: Array("GIF89a, not a module".utf8))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let error = try #require(#expect(throws: InspectError.self) { try ModuleInspector.report(path: path) })
        guard case .module(.notWasm) = error else {
            Issue.record("expected notWasm, got \(error)")
            return
        }
        #expect(error.description.contains("not a WebAssembly module"))
        #expect(!error.description.contains("\n"))
    }

    @Test("a truncated module names the section and offset where it ends")
    func truncated() throws {
        let bytes = try ModuleInspector.read(path: Objdump.path(ofExample: "calc.wasm"))
        // The Export section's payload runs from 0x19 to 0x36; stop in the middle of it.
        let path = try temporaryFile("truncated.wasm", bytes: Array(bytes.prefix(0x20)))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let error = try #require(#expect(throws: InspectError.self) { try ModuleInspector.report(path: path) })
        #expect(error == .module(.truncated(path: path, section: "Export", offset: 0x20)))
        #expect(error.description == "\(path): truncated module: unexpected end (in Export section at offset 0x20)")

        // Also from bytes, and when the cut falls inside a function body.
        let cut = Array(bytes.prefix(0x3e))
        let inCode = try #require(#expect(throws: InspectError.self) { try ModuleInspector.report(bytes: cut, path: "calc") })
        #expect(inCode.description.hasPrefix("calc: truncated module"))
        #expect(inCode.description.contains("Code section"))
    }

    @Test("a malformed section is reported with its section and offset")
    func malformed() throws {
        var bytes = try ModuleInspector.read(path: Objdump.path(ofExample: "calc.wasm"))
        bytes[0x1e] = 0x07  // the first export's kind byte (after count, length and "add"): no such kind
        let error = try #require(#expect(throws: InspectError.self) { try ModuleInspector.report(bytes: bytes, path: "calc") })
        guard case .module(.invalid(_, _, let section, let offset)) = error else {
            Issue.record("expected invalid, got \(error)")
            return
        }
        #expect(section == "Export")
        #expect(offset != nil)
        #expect(!error.description.contains("\n"))
    }

    @Test("a module that parses but does not validate can still be inspected")
    func invalidButParseable() throws {
        var bytes = try ModuleInspector.read(path: Objdump.path(ofExample: "calc.wasm"))
        #expect(bytes[0x3f] == 0x6a)
        bytes[0x3f] = 0x7c  // add's i32.add becomes i64.add: ill-typed
        let path = try temporaryFile("ill-typed.wasm", bytes: bytes)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: ModuleError.self) { try WasmRuntime(configuration: .init(fuelMetering: false)).load(path: path) }
        let report = try ModuleInspector.report(path: path)
        #expect(report.functions.map(\.name) == ["add", "subtract", "multiply"])
        let add = try ModuleInspector.disassembly(bytes: bytes, function: "add")
        #expect(add.first?.lines.map(\.text) == ["local.get 0 <a>", "local.get 1 <b>", "i64.add", "end"])
    }

    @Test("disassembling an unknown function lists the ones that exist")
    func unknownFunction() throws {
        let bytes = try ModuleInspector.read(path: Objdump.path(ofExample: "calc.wasm"))
        let error = try #require(
            #expect(throws: InspectError.self) {
                try ModuleInspector.disassembly(bytes: bytes, function: "divide", path: "calc.wasm")
            })
        #expect(
            error
                == .unknownFunction(
                    name: "divide", path: "calc.wasm", available: ["add (0)", "subtract (1)", "multiply (2)"], total: 3))
        #expect(error.description.contains("add (0), subtract (1), multiply (2)"))
        #expect(throws: InspectError.self) { try ModuleInspector.disassembly(bytes: bytes, function: "3") }

        let sections = try ModuleInspector.read(path: Objdump.path(ofExample: "sections.wasm"))
        let imported = #expect(throws: InspectError.self) {
            try ModuleInspector.disassembly(bytes: sections, function: "log", path: "s")
        }
        #expect(imported == .importedFunction(name: "log", path: "s"))
        // A function named only in the name section, and one by index.
        #expect(try ModuleInspector.disassembly(bytes: sections, function: "init").map(\.index) == [1])
        #expect(try ModuleInspector.disassembly(bytes: sections, function: "9").map(\.name) == ["bump"])
    }

    // MARK: Instructions

    @Test(
        "instruction names follow the text format",
        arguments: [
            ("i32Load8S", "i32.load8_s"), ("i32TruncSatF32S", "i32.trunc_sat_f32_s"),
            ("i64AtomicLoad32U", "i64.atomic.load32_u"), ("i32AtomicRmw8AddU", "i32.atomic.rmw8.add_u"),
            ("i64AtomicRmwCmpxchg", "i64.atomic.rmw.cmpxchg"), ("memoryAtomicWait32", "memory.atomic.wait32"),
            ("atomicFence", "atomic.fence"), ("localGet", "local.get"), ("brIf", "br_if"),
            ("callIndirect", "call_indirect"), ("returnCallIndirect", "return_call_indirect"), ("memoryGrow", "memory.grow"),
            ("refIsNull", "ref.is_null"), ("refAsNonNull", "ref.as_non_null"), ("i64ExtendI32U", "i64.extend_i32_u"),
            ("i32Extend8S", "i32.extend8_s"), ("f32DemoteF64", "f32.demote_f64"), ("v128Load8X8S", "v128.load8x8_s"),
            ("i8x16NarrowI16X8S", "i8x16.narrow_i16x8_s"), ("i16x8ExtendLowI8X16U", "i16x8.extend_low_i8x16_u"),
            ("i16x8Q15MulrSatS", "i16x8.q15mulr_sat_s"), ("i32x4TruncSatF64X2SZero", "i32x4.trunc_sat_f64x2_s_zero"),
            ("v128AnyTrue", "v128.any_true"), ("i16x8RelaxedDotI8X16I7X16S", "i16x8.relaxed_dot_i8x16_i7x16_s"),
            ("structNewDefault", "struct.new_default"), ("anyConvertExtern", "any.convert_extern"),
            ("unreachable", "unreachable"),
        ])
    func mnemonics(caseName: String, expected: String) {
        #expect(InstructionText.wasmName(caseName) == expected)
    }

    @Test("a module of varied instructions disassembles exactly like wasm-objdump -d")
    func variedInstructions() throws {
        let wat = """
            (module $varied
              (type $binop (func (param i32 i32) (result i32)))
              (import "env" "f" (func $f (param f32)))
              (memory 1 2)
              (table 2 funcref)
              (global $g (mut i64) (i64.const -7))
              (data (i32.const 8) "varied")
              (func $body (param $x i32) (result i32) (local $y i64) (local f32 f64)
                (block (result i32)
                  (if (result i32) (local.get $x) (then (i32.const 1)) (else (i32.const -2))))
                drop
                (loop $l (br_if $l (i32.const 0)))
                (block $b (block $c (br_table $b $c $b (local.get $x))))
                (local.set $y (i64.extend_i32_u (i32.load8_s offset=3 (i32.const 0))))
                (i64.store offset=16 align=4 (i32.const 0) (global.get $g))
                (f32.const 3.25) (call $f)
                (f64.const -12) drop
                (i32.trunc_sat_f32_s (f32.const 1)) drop
                (memory.fill (i32.const 0) (i32.const 0) (i32.const 0))
                (memory.copy (i32.const 0) (i32.const 0) (i32.const 0))
                (drop (memory.grow (i32.const 1)))
                (drop (select (i32.const 1) (i32.const 2) (i32.const 3)))
                (i64.const 0x7fffffffffffffff) drop
                (v128.const i32x4 1 2 3 4) (i32x4.extract_lane 2) drop
                (call_indirect (type $binop) (i32.const 1) (i32.const 2) (i32.const 0)))
              (export "body" (func $body)))
            """
        let source = try temporaryFile("varied.wat", bytes: Array(wat.utf8))
        defer { try? FileManager.default.removeItem(atPath: source) }
        let bytes = try ModuleInspector.read(path: source)
        let binary = try temporaryFile("varied.wasm", bytes: bytes)
        defer { try? FileManager.default.removeItem(atPath: binary) }

        let functions = try ModuleInspector.disassembly(bytes: bytes, function: "body")
        let texts = functions.flatMap(\.lines).map(\.text)
        for expected in [
            "if i32", "else", "br_table 1 0 1", "i32.load8_s 0 3", "i64.extend_i32_u", "i64.store 2 16",
            "f32.const 0x1.ap+1", "f64.const -0x1.8p+3", "i32.trunc_sat_f32_s", "memory.fill 0", "memory.copy 0 0",
            "memory.grow 0", "select", "i64.const 9223372036854775807", "i32x4.extract_lane 2",
            "v128.const 0x00000001 0x00000002 0x00000003 0x00000004", "call_indirect 0 (type 0)", "i32.const 4294967294",
        ] {
            #expect(texts.contains(expected), "\(expected)")
        }

        guard let output = Objdump.run("-d", binary) else { return }
        let report = try ModuleInspector.report(bytes: bytes)
        let text = ModuleReportText.header(report, fileName: "varied.wasm") + ModuleInspector.disassemble(functions)
        let expected = output.split(separator: "\n").map(ObjdumpDifferentialTests.withoutLocalIndices)
        let actual = text.split(separator: "\n").map(ObjdumpDifferentialTests.withoutLocalIndices)
        #expect(actual == expected)
    }

    // MARK: Helpers

    private func temporaryFile(_ name: String, bytes: [UInt8]) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wasmton-tools-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let url = directory.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }
}
