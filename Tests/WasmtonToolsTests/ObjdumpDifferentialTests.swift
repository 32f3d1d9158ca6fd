import Foundation
import Testing
import WasmtonTools

/// `wasmton inspect` against `wasm-objdump` (Debian's `wabt`) on every example module.
@Suite("inspect agrees with wasm-objdump")
struct ObjdumpDifferentialTests {
    @Test("there are example modules to compare")
    func examplesExist() {
        #expect(Objdump.exampleModules.count >= 5, "no guests/build/*.wasm under \(Objdump.root.path)")
    }

    @Test("section names, offsets, sizes and counts match wasm-objdump -h", arguments: Objdump.exampleModules)
    func sectionTable(module: String) throws {
        let path = Objdump.path(ofExample: module)
        guard let output = Objdump.run("-h", path) else { return }
        let expected = Objdump.sections(fromHeaders: output)
        #expect(!expected.isEmpty, "no sections parsed from wasm-objdump -h output:\n\(output)")

        let report = try ModuleInspector.report(path: path)
        let actual = report.sections.map { section in
            Objdump.Section(
                name: section.name, start: section.start, end: section.end, size: section.size,
                count: section.id == 8 ? report.start?.index : section.count, customName: section.customName)
        }
        #expect(actual == expected)
        for (index, section) in report.sections.enumerated() {
            #expect(section.index == index)
            #expect(section.size == section.end - section.start)
        }
        // And the text itself, header included, byte for byte.
        #expect(ModuleReportText.header(report, fileName: module) + ModuleReportText.sectionTable(report) == output)
    }

    @Test("imports, exports, types and functions match wasm-objdump -x", arguments: Objdump.exampleModules)
    func details(module: String) throws {
        let path = Objdump.path(ofExample: module)
        guard let output = Objdump.run("-x", path) else { return }
        let report = try ModuleInspector.report(path: path)

        // Exports: ` - func[0] <add> -> "add"`.
        let exportNames = Objdump.detailLines(output, section: "Export").compactMap { line in
            line.range(of: "-> \"").map { String(line[$0.upperBound...].dropLast()) }
        }
        #expect(report.exports.map(\.name) == exportNames)
        // Imports: ` - func[0] sig=1 <log> <- env.log`.
        let importNames = Objdump.detailLines(output, section: "Import").compactMap { line in
            line.range(of: " <- ").map { String(line[$0.upperBound...]) }
        }
        #expect(report.imports.map { "\($0.module).\($0.name)" } == importNames)
        // Types and functions, line for line.
        #expect(report.types.map { " - type[\($0.index)] \($0.signature)" } == Objdump.detailLines(output, section: "Type"))
        let functionLines = Objdump.detailLines(output, section: "Function")
        #expect(report.functions.count == functionLines.count)
        #expect(report.functions.map { " - func[\($0.index)] sig=\($0.typeIndex)" } == functionLines.map(Self.withoutName))
        #expect(
            report.functions.map { " - func[\($0.index)] size=\($0.bodySize ?? -1)" }
                == Objdump.detailLines(output, section: "Code").map(Self.withoutName))

        // The details view prints those same lines.
        let details = ModuleReportText.details(report)
        for section in ["Type", "Export", "Import", "Function", "Code", "Memory", "Start", "DataCount"] {
            #expect(
                Objdump.detailLines(details, section: section).map(Self.withoutName)
                    == Objdump.detailLines(output, section: section).map(Self.withoutName), "\(section) section")
        }
        #expect(report.customSections == report.sections.compactMap(\.customName))
    }

    @Test("sections.wasm: every section kind in the details view")
    func sectionsDetails() throws {
        let path = Objdump.path(ofExample: "sections.wasm")
        guard let output = Objdump.run("-x", path) else { return }
        let report = try ModuleInspector.report(path: path)
        let details = ModuleReportText.details(report)
        for section in ["Type", "Import", "Function", "Table", "Memory", "Global", "Export", "Start", "Code", "DataCount"] {
            #expect(Objdump.detailLines(details, section: section) == Objdump.detailLines(output, section: section), "\(section)")
        }
        #expect(details.contains(" - segment[0] table=0 count=2 - init i32=0\n  - elem[0] = func[2] <add>\n"))
        #expect(details.contains(" - segment[0] memory=0 size=16 - init i32=16\n"))
        #expect(details.contains("  - 0000010: 4865 6c6c 6f2c 2073 6563 7469 6f6e 7321  Hello, sections!\n"))
        #expect(details.contains(" - segment[1] <passive> passive size=13\n"))
        #expect(details.contains("Custom:\n - name: \"wasmton.note\"\n"))
        #expect(report.start == FunctionReference(index: 1, name: "init"))
        #expect(report.globals.map(\.initializer) == ["i32=0", "i32=42"])
        #expect(
            report.memories == [MemoryEntry(index: 0, initial: 1, maximum: nil, shared: false, memory64: false, name: "memory")])
        #expect(report.dataSegments.map(\.mode) == ["active", "passive"])
        #expect(report.dataSegments[1].preview == Array("passive bytes".utf8).map { String(format: "%02x", $0) }.joined())
    }

    @Test("calc.wasm: add disassembles like wasm-objdump -d")
    func disassembleAdd() throws {
        let path = Objdump.path(ofExample: "calc.wasm")
        guard let output = Objdump.run("-d", path) else { return }
        let bytes = try ModuleInspector.read(path: path)
        let functions = try ModuleInspector.disassembly(bytes: bytes, function: "add")
        try #require(functions.count == 1)
        let add = functions[0]
        #expect(add.index == 0 && add.name == "add")
        #expect(add.lines.map(\.text) == ["local.get 0 <a>", "local.get 1 <b>", "i32.add", "end"])
        #expect(add.lines.map(\.bytes) == ["20 00", "20 01", "6a", "0b"])

        // Offsets and mnemonics as wasm-objdump prints them for func[0] <add>.
        let objdumpLines = Self.functionBlock(output, header: "func[0] <add>:")
        #expect(objdumpLines.count == 5)
        let text = ModuleInspector.disassemble(functions)
        #expect(Self.functionBlock(text, header: "func[0] <add>:") == objdumpLines)
        #expect(add.offset == 0x3a)
        #expect(add.lines.map(\.offset) == [0x3b, 0x3d, 0x3f, 0x40])
        #expect(
            objdumpLines.dropFirst().map(Self.offsetAndMnemonic)
                == add.lines.map { line in
                    "\(Self.hex6(line.offset)) \(line.bytes) \(line.text.split(separator: " ")[0])"
                })

        // The same function by index and by `func[N]`.
        #expect(try ModuleInspector.disassembly(bytes: bytes, function: "0") == functions)
        #expect(try ModuleInspector.disassembly(bytes: bytes, function: "func[0]") == functions)
    }

    @Test("whole-module disassembly matches wasm-objdump -d", arguments: Objdump.exampleModules)
    func disassembleAll(module: String) throws {
        let path = Objdump.path(ofExample: module)
        guard let output = Objdump.run("-d", path) else { return }
        let bytes = try ModuleInspector.read(path: path)
        let report = try ModuleInspector.report(bytes: bytes)
        let text =
            ModuleReportText.header(report, fileName: module)
            + ModuleInspector.disassemble(try ModuleInspector.disassembly(bytes: bytes))
        // wasm-objdump numbers declared locals inconsistently (`local[7..10]` for the first local of
        // a two-parameter function), so local declarations are compared without their indices.
        let expected = output.split(separator: "\n", omittingEmptySubsequences: false).map(Self.withoutLocalIndices)
        let actual = text.split(separator: "\n", omittingEmptySubsequences: false).map(Self.withoutLocalIndices)
        #expect(actual.count == expected.count)
        // Offsets, bytes and mnemonics everywhere; the whole line (immediates, names, indentation)
        // for all but a few instruction forms whose immediates wasm-objdump prints idiosyncratically.
        let differences = zip(actual, expected).filter { $0 != $1 }
        for (mine, theirs) in differences.prefix(10) {
            #expect(Self.offsetAndMnemonic(mine) == Self.offsetAndMnemonic(theirs))
            Issue.record("line differs:\n  inspect:      \(mine)\n  wasm-objdump: \(theirs)")
        }
        #expect(differences.isEmpty, "\(differences.count) lines differ")
    }

    // MARK: Helpers

    /// ` - func[0] sig=0 <add>` → ` - func[0] sig=0`: names may legitimately differ in fallback rules.
    static func withoutName(_ line: String) -> String {
        guard let range = line.range(of: " <") else { return line }
        let suffix = line[range.lowerBound...]
        guard let close = suffix.firstIndex(of: ">") else { return line }
        return String(line[..<range.lowerBound] + line[line.index(after: close)...])
    }

    /// ` 000335: 07 7f | local[2..8] type=i32` → ` 000335: 07 7f | local[] type=i32`.
    static func withoutLocalIndices(_ line: Substring) -> String {
        guard let open = line.range(of: "| local["), let close = line[open.upperBound...].firstIndex(of: "]") else {
            return String(line)
        }
        return String(line[..<open.upperBound] + line[close...])
    }

    /// The header line and instruction lines of one function in `-d` output.
    static func functionBlock(_ output: String, header: String) -> [String] {
        var lines: [String] = []
        for line in output.split(separator: "\n") {
            if line.hasSuffix(header) {
                lines.append(String(line))
            } else if !lines.isEmpty {
                guard line.hasPrefix(" ") else { break }
                lines.append(String(line))
            }
        }
        return lines
    }

    /// ` 00003b: 20 00                      | local.get 0 <a>` → `00003b local.get`.
    static func offsetAndMnemonic(_ line: String) -> String {
        guard let bar = line.firstIndex(of: "|") else { return line }
        let offset = line.prefix { $0 != ":" }.trimmingCharacters(in: .whitespaces)
        let bytes = line[line.index(after: line.firstIndex(of: ":") ?? line.startIndex)..<bar]
            .trimmingCharacters(in: .whitespaces)
        let mnemonic = line[line.index(after: bar)...].split(separator: " ").first.map(String.init) ?? ""
        return "\(offset) \(bytes) \(mnemonic)".trimmingCharacters(in: .whitespaces)
    }

    static func hex6(_ value: Int) -> String {
        String(format: "%06x", value)
    }
}
