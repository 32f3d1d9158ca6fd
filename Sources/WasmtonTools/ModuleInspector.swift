import Foundation
import WasmParser
import WasmtonRuntime

/// `wasmton inspect`: what is in a Wasm module, as `wasm-objdump` shows it.
///
/// ``report(path:)`` reads a `.wasm` or `.wat` file into a ``ModuleReport``, the data;
/// ``ModuleReportText`` renders it as the text of `wasm-objdump -h` and `-x`, or as JSON, and
/// ``disassemble(_:)`` renders a disassembly as `-d` does.
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

        report.imports = imports(of: module)
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
        report.elements = elements(of: module, text: text)
        report.dataSegments = dataSegments(of: module, text: text)
        report.customSections = module.customSections.map(\.name)
        return report
    }

    /// The imports, each numbered within its kind as `wasm-objdump` does.
    private static func imports(of module: ParsedModule) -> [ImportEntry] {
        var counters: [String: Int] = [:]
        return module.imports.map { entry in
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

    }

    /// The element segments: mode, table, offset and items.
    private static func elements(of module: ParsedModule, text: InstructionText) -> [ElementSegmentEntry] {
        let names = module.names
        return module.elements.enumerated().map { index, segment in
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
    }

    /// The data segments, each with a preview of its first bytes.
    private static func dataSegments(of module: ParsedModule, text: InstructionText) -> [DataSegmentEntry] {
        let names = module.names
        return module.data.enumerated().map { index, segment in
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
}
