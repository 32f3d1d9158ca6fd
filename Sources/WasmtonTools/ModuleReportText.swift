import Foundation

/// Renders a ``ModuleReport`` for people and programs: the views of `wasm-objdump` (the header,
/// `-h`'s section table byte for byte, `-x`'s section details) and JSON. Building the report is
/// ``ModuleInspector``'s job; nothing here reads the module.
public enum ModuleReportText {
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
        for section in report.sections {
            if section.id == 0 {
                let name =
                    customIndex < report.customSections.count ? report.customSections[customIndex] : section.customName ?? ""
                customIndex += 1
                lines += ["Custom:", " - name: \"\(name)\""]
            } else {
                lines += self.lines(of: section, in: report)
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// One known section's heading and entries.
    private static func lines(of section: SectionEntry, in report: ModuleReport) -> [String] {
        let count = section.count.map { "[\($0)]" } ?? ""
        switch section.id {
        case 1: return ["Type\(count):"] + report.types.map { " - type[\($0.index)] \($0.signature)" }
        case 2: return ["Import\(count):"] + report.imports.map { " - \($0.description)" }
        case 3:
            return ["Function\(count):"]
                + report.functions.map { " - func[\($0.index)] sig=\($0.typeIndex)\(ModuleInspector.label($0.name))" }
        case 4: return ["Table\(count):"] + report.tables.map(line(of:))
        case 5: return ["Memory\(count):"] + report.memories.map(line(of:))
        case 6: return ["Global\(count):"] + report.globals.map(line(of:))
        case 7:
            let functionNames = Dictionary(report.functions.map { ($0.index, $0.name) }) { first, _ in first }
                .compactMapValues { $0 }
            return ["Export\(count):"]
                + report.exports.map { export in
                    let name = export.kind == "func" ? ModuleInspector.label(functionNames[export.index]) : ""
                    return " - \(export.kind)[\(export.index)]\(name) -> \"\(export.name)\""
                }
        case 8:
            return ["Start:"]
                + (report.start.map { [" - start function: \($0.index)\(ModuleInspector.label($0.name))"] } ?? [])
        case 9: return ["Elem\(count):"] + report.elements.flatMap(lines(of:))
        case 10:
            return ["Code\(count):"]
                + report.functions.map { " - func[\($0.index)] size=\($0.bodySize ?? 0)\(ModuleInspector.label($0.name))" }
        case 11: return ["Data\(count):"] + report.dataSegments.flatMap(lines(of:))
        case 12: return ["DataCount:", " - data count: \(section.count ?? 0)"]
        default: return ["\(section.name)\(count):"]
        }
    }

    private static func line(of table: TableEntry) -> String {
        " - table[\(table.index)] type=\(table.elementType) initial=\(table.initial)"
            + (table.maximum.map { " max=\($0)" } ?? "") + ModuleInspector.label(table.name)
    }

    private static func line(of memory: MemoryEntry) -> String {
        " - memory[\(memory.index)] pages: initial=\(memory.initial)" + (memory.maximum.map { " max=\($0)" } ?? "")
            + (memory.shared ? " shared" : "") + (memory.memory64 ? " i64" : "")
    }

    private static func line(of global: GlobalEntry) -> String {
        " - global[\(global.index)] \(global.type) mutable=\(global.mutable ? 1 : 0)\(ModuleInspector.label(global.name))"
            + " - init \(global.initializer)"
    }

    /// An element segment's line, then one line per item at its table index.
    private static func lines(of element: ElementSegmentEntry) -> [String] {
        var line = " - segment[\(element.index)]\(ModuleInspector.label(element.name))"
        line += element.mode == "active" ? " table=\(element.table ?? 0)" : " \(element.mode)"
        line += " count=\(element.items.count)"
        if let offset = element.offset { line += " - init \(offset)" }
        let base = element.offset.flatMap { $0.hasPrefix("i32=") ? Int($0.dropFirst(4)) : nil } ?? 0
        return [line] + element.items.enumerated().map { "  - elem[\(base + $0.offset)] = \($0.element)" }
    }

    /// A data segment's line, then a hex dump of its preview and how much more there is.
    private static func lines(of segment: DataSegmentEntry) -> [String] {
        var line = " - segment[\(segment.index)]\(ModuleInspector.label(segment.name))"
        if segment.mode == "passive" {
            line += " passive size=\(segment.size)"
        } else {
            line += " memory=\(segment.memory ?? 0) size=\(segment.size)"
            if let offset = segment.offset { line += " - init \(offset)" }
        }
        let base = segment.offset.flatMap { $0.hasPrefix("i32=") ? Int($0.dropFirst(4)) : nil } ?? 0
        let shown = segment.preview.count / 2
        return [line] + hexDump(segment.preview, base: base)
            + (segment.size > shown ? ["  - … \(segment.size - shown) more bytes"] : [])
    }

    /// The report as pretty-printed JSON with sorted keys (see ``SectionEntry`` for the section objects).
    public static func json(_ report: ModuleReport) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Encoding these plain structs cannot fail.
        guard let data = try? encoder.encode(report) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    /// `  - 0000010: 4865 6c6c 6f2c 2073 6563 7469 6f6e 7321  Hello, sections!`
    static func hexDump(_ hex: String, base: Int) -> [String] {
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
