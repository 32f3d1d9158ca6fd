import Foundation
import WasmParser
import WasmtonRuntime

/// `wasmton inspect`: what is in a Wasm module, as `wasm-objdump` shows it.
///
/// ``report(path:)`` reads a `.wasm` or `.wat` file into a ``ModuleReport``; the renderers turn
/// that into the text of `wasm-objdump -h` (``sectionTable(_:)``), `-x` (``details(_:)``) and
/// `-d` (``disassemble(_:)``), or JSON (``json(_:)``). The section table matches
/// `wasm-objdump -h` byte for byte; the other views follow its layout.
///
/// The module is parsed, not validated, so a module with ill-typed function bodies can still be
/// inspected; bytes that do not parse give an ``InspectError`` naming the section and offset.
public enum ModuleInspector {
    /// How many bytes of each data segment a ``DataSegmentEntry/preview`` keeps.
    public static let dataPreviewLimit = 64

    // MARK: Reports

    /// The report for the module in the file at `path` (`.wasm`, or `.wat` which is assembled first).
    public static func report(path: String) throws(InspectError) -> ModuleReport {
        try report(bytes: read(path: path), path: path)
    }

    /// The report for a Wasm binary; `path` only names it in errors.
    public static func report(bytes: [UInt8], path: String = "module") throws(InspectError) -> ModuleReport {
        let module = try ParsedModule(bytes: bytes, path: path)
        return report(module)
    }

    /// The report with ``ModuleReport/disassembly`` filled in (all functions, or the one named
    /// `function`), from a single parse of the module.
    public static func report(
        bytes: [UInt8], path: String = "module", disassembling function: String?
    ) throws(InspectError) -> ModuleReport {
        let module = try ParsedModule(bytes: bytes, path: path)
        var report = report(module)
        report.disassembly = try disassembly(of: module, function: function, path: path)
        return report
    }

    /// The Wasm binary in the file at `path`, assembling WebAssembly text first.
    public static func read(path: String) throws(InspectError) -> [UInt8] {
        do {
            return try ModuleFile.read(path: path)
        } catch {
            throw .module(error)
        }
    }

    static func report(_ module: ParsedModule) -> ModuleReport {
        let text = InstructionText(module: module)
        let names = module.names
        let layouts = module.bodyLayouts()
        var report = ModuleReport(moduleName: names.module)

        report.sections = module.sectionMap.sections.map { section in
            SectionEntry(
                index: section.index, id: Int(section.id), name: section.name, start: section.start,
                end: section.end, size: section.size, count: section.count, customName: section.customName)
        }
        report.types = module.types.indices.map { index in
            TypeEntry(
                index: index, signature: module.types[index].signature,
                name: names.types[UInt32(index)])
        }

        var counters: [String: Int] = [:]
        report.imports = module.imports.map { entry in
            let kind = kindName(entry.descriptor)
            let index = counters[kind, default: 0]
            counters[kind] = index + 1
            let source = " <- \(entry.module).\(entry.name)"
            let description: String
            switch entry.descriptor {
            case .function(let type):
                description = "func[\(index)] sig=\(type)\(label(module.functionName(UInt32(index))))\(source)"
            case .table(let type):
                description = "table[\(index)] type=\(type.elementType)\(limits(type.limits))\(source)"
            case .memory(let type):
                description = "memory[\(index)] pages:\(limits(type))\(source)"
            case .global(let type):
                description = "global[\(index)] \(type.valueType) mutable=\(type.mutability == .variable ? 1 : 0)\(source)"
            case .tag(let type):
                description = "tag[\(index)] sig=\(type)\(source)"
            }
            return ImportEntry(index: index, module: entry.module, name: entry.name, kind: kind, description: description)
        }

        let importedFunctions = module.importedFunctions.count
        report.functions = module.functionTypeIndices.enumerated().map { offset, type in
            let index = UInt32(importedFunctions + offset)
            return FunctionEntry(
                index: Int(index), typeIndex: Int(type), signature: module.signature(ofType: type),
                name: module.functionName(index),
                bodySize: offset < layouts.count ? layouts[offset].bodySize : nil,
                localCount: offset < module.codes.count ? module.codes[offset].locals.count : nil)
        }
        report.tables = module.tables.enumerated().map { offset, table in
            let index = module.importedTables + offset
            return TableEntry(
                index: index, elementType: table.type.elementType.description, initial: table.type.limits.min,
                maximum: table.type.limits.max, name: names.tables[UInt32(index)])
        }
        report.memories = module.memories.enumerated().map { offset, memory in
            let index = module.importedMemories + offset
            return MemoryEntry(
                index: index, initial: memory.type.min, maximum: memory.type.max, shared: memory.type.shared,
                memory64: memory.type.isMemory64, name: names.memories[UInt32(index)])
        }
        report.globals = module.globals.enumerated().map { offset, global in
            let index = module.importedGlobals + offset
            return GlobalEntry(
                index: index, type: global.type.valueType.description, mutable: global.type.mutability == .variable,
                initializer: text.constantExpression(global.initializer), name: names.globals[UInt32(index)])
        }
        report.exports = module.exports.map { export in
            let (kind, index) = exportTarget(export.descriptor)
            return ExportEntry(name: export.name, kind: kind, index: Int(index))
        }
        report.start = module.start.map { FunctionReference(index: Int($0), name: module.functionName($0)) }
        report.elements = module.elements.enumerated().map { index, segment in
            var mode = "passive"
            var table: Int?
            var offset: String?
            switch segment.mode {
            case .active(let index, let expression):
                mode = "active"
                table = Int(index)
                offset = text.constantExpression(expression)
            case .passive: mode = "passive"
            case .declarative: mode = "declarative"
            }
            return ElementSegmentEntry(
                index: index, mode: mode, table: table, offset: offset, elementType: segment.type.description,
                items: segment.initializer.map(text.elementItem), name: names.elements[UInt32(index)])
        }
        report.dataSegments = module.data.enumerated().map { index, segment in
            let name = names.dataSegments[UInt32(index)]
            switch segment {
            case .passive(let bytes):
                return DataSegmentEntry(
                    index: index, mode: "passive", memory: nil, offset: nil, size: bytes.count,
                    preview: preview(bytes), name: name)
            case .active(let active):
                return DataSegmentEntry(
                    index: index, mode: "active", memory: Int(active.index),
                    offset: text.constantExpression(active.offset), size: active.initializer.count,
                    preview: preview(active.initializer), name: name)
            }
        }
        report.customSections = module.customSections.map(\.name)
        return report
    }

    // MARK: Text

    /// The lines `wasm-objdump` prints before any view: the file name and the module name.
    public static func header(_ report: ModuleReport, fileName: String) -> String {
        var text = "\n\(fileName):\tfile format wasm 0x1\n"
        if let name = report.moduleName { text += "module name: <\(name)>\n" }
        return text
    }

    /// The section table, exactly as `wasm-objdump -h` prints it after its header:
    /// `     Type start=0x0000000a end=0x00000011 (size=0x00000007) count: 1`.
    public static func sectionTable(_ report: ModuleReport) -> String {
        var text = "\nSections:\n\n"
        for section in report.sections {
            text += String(repeating: " ", count: max(0, 9 - section.name.count)) + section.name
            text += " start=0x\(Hex.padded(section.start, width: 8)) end=0x\(Hex.padded(section.end, width: 8))"
            text += " (size=0x\(Hex.padded(section.size, width: 8)))"
            if section.id == 0 {
                text += " \"\(section.customName ?? "")\""
            } else if section.id == 8, let start = report.start {
                text += " start: \(start.index)"
            } else if let count = section.count {
                text += " count: \(count)"
            }
            text += "\n"
        }
        return text
    }

    /// The contents of every section, laid out like `wasm-objdump -x`:
    /// `Type[1]:` then ` - type[0] (i32, i32) -> i32`, and so on in section order.
    public static func details(_ report: ModuleReport) -> String {
        var lines = ["", "Section Details:", ""]
        var customIndex = 0
        let functionNames = Dictionary(report.functions.map { ($0.index, $0.name) }) { first, _ in first }
            .compactMapValues { $0 }
        for section in report.sections {
            let count = section.count.map { "[\($0)]" } ?? ""
            switch section.id {
            case 0:
                lines.append("Custom:")
                let name =
                    customIndex < report.customSections.count ? report.customSections[customIndex] : section.customName ?? ""
                customIndex += 1
                lines.append(" - name: \"\(name)\"")
            case 1:
                lines.append("Type\(count):")
                lines += report.types.map { " - type[\($0.index)] \($0.signature)" }
            case 2:
                lines.append("Import\(count):")
                lines += report.imports.map { " - \($0.description)" }
            case 3:
                lines.append("Function\(count):")
                lines += report.functions.map { " - func[\($0.index)] sig=\($0.typeIndex)\(label($0.name))" }
            case 4:
                lines.append("Table\(count):")
                lines += report.tables.map { table in
                    " - table[\(table.index)] type=\(table.elementType) initial=\(table.initial)"
                        + (table.maximum.map { " max=\($0)" } ?? "") + label(table.name)
                }
            case 5:
                lines.append("Memory\(count):")
                lines += report.memories.map { memory in
                    " - memory[\(memory.index)] pages: initial=\(memory.initial)"
                        + (memory.maximum.map { " max=\($0)" } ?? "") + (memory.shared ? " shared" : "")
                        + (memory.memory64 ? " i64" : "")
                }
            case 6:
                lines.append("Global\(count):")
                lines += report.globals.map { global in
                    " - global[\(global.index)] \(global.type) mutable=\(global.mutable ? 1 : 0)\(label(global.name))"
                        + " - init \(global.initializer)"
                }
            case 7:
                lines.append("Export\(count):")
                lines += report.exports.map { export in
                    let name = export.kind == "func" ? label(functionNames[export.index]) : ""
                    return " - \(export.kind)[\(export.index)]\(name) -> \"\(export.name)\""
                }
            case 8:
                lines.append("Start:")
                if let start = report.start {
                    lines.append(" - start function: \(start.index)\(label(start.name))")
                }
            case 9:
                lines.append("Elem\(count):")
                for element in report.elements {
                    var line = " - segment[\(element.index)]\(label(element.name))"
                    switch element.mode {
                    case "active": line += " table=\(element.table ?? 0)"
                    default: line += " \(element.mode)"
                    }
                    line += " count=\(element.items.count)"
                    if let offset = element.offset { line += " - init \(offset)" }
                    lines.append(line)
                    let base = element.offset.flatMap { $0.hasPrefix("i32=") ? Int($0.dropFirst(4)) : nil } ?? 0
                    lines += element.items.enumerated().map { "  - elem[\(base + $0.offset)] = \($0.element)" }
                }
            case 10:
                lines.append("Code\(count):")
                lines += report.functions.map { function in
                    " - func[\(function.index)] size=\(function.bodySize ?? 0)\(label(function.name))"
                }
            case 11:
                lines.append("Data\(count):")
                for segment in report.dataSegments {
                    var line = " - segment[\(segment.index)]\(label(segment.name))"
                    if segment.mode == "passive" {
                        line += " passive size=\(segment.size)"
                    } else {
                        line += " memory=\(segment.memory ?? 0) size=\(segment.size)"
                        if let offset = segment.offset { line += " - init \(offset)" }
                    }
                    lines.append(line)
                    let base = segment.offset.flatMap { $0.hasPrefix("i32=") ? Int($0.dropFirst(4)) : nil } ?? 0
                    lines += hexDump(segment.preview, base: base)
                    let shown = segment.preview.count / 2
                    if segment.size > shown {
                        lines.append("  - … \(segment.size - shown) more bytes")
                    }
                }
            case 12:
                lines.append("DataCount:")
                lines.append(" - data count: \(section.count ?? 0)")
            default:
                lines.append("\(section.name)\(count):")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The report as pretty-printed JSON with sorted keys (see ``SectionEntry`` for the section objects).
    public static func json(_ report: ModuleReport) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Encoding these plain structs cannot fail.
        guard let data = try? encoder.encode(report) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    // MARK: Helpers

    static func label(_ name: String?) -> String {
        name.map { " <\($0)>" } ?? ""
    }

    private static func kindName(_ descriptor: ImportDescriptor) -> String {
        switch descriptor {
        case .function: return "func"
        case .table: return "table"
        case .memory: return "memory"
        case .global: return "global"
        case .tag: return "tag"
        }
    }

    private static func exportTarget(_ descriptor: ExportDescriptor) -> (String, UInt32) {
        switch descriptor {
        case .function(let index): return ("func", index)
        case .table(let index): return ("table", index)
        case .memory(let index): return ("memory", index)
        case .global(let index): return ("global", index)
        case .tag(let index): return ("tag", index)
        }
    }

    private static func limits(_ limits: WasmParser.Limits) -> String {
        " initial=\(limits.min)" + (limits.max.map { " max=\($0)" } ?? "")
    }

    private static func preview(_ bytes: ArraySlice<UInt8>) -> String {
        bytes.prefix(dataPreviewLimit).map(Hex.byte).joined()
    }

    /// `  - 0000010: 4865 6c6c 6f2c 2073 6563 7469 6f6e 7321  Hello, sections!`
    private static func hexDump(_ hex: String, base: Int) -> [String] {
        var bytes: [UInt8] = []
        var characters = hex.makeIterator()
        while let high = characters.next(), let low = characters.next() {
            if let byte = UInt8(String([high, low]), radix: 16) { bytes.append(byte) }
        }
        return stride(from: 0, to: bytes.count, by: 16).map { start in
            let row = bytes[start..<min(start + 16, bytes.count)]
            var groups: [String] = []
            for pair in stride(from: row.startIndex, to: row.endIndex, by: 2) {
                groups.append(row[pair..<min(pair + 2, row.endIndex)].map(Hex.byte).joined())
            }
            var hexText = groups.joined(separator: " ")
            hexText += String(repeating: " ", count: max(0, 39 - hexText.count))
            let ascii = String(row.map { $0 >= 0x20 && $0 < 0x7F ? Character(UnicodeScalar($0)) : "." })
            return "  - \(Hex.padded(base + start, width: 7)): \(hexText)  \(ascii)"
        }
    }
}
