import WasmParser
import WasmtonRuntime

/// A Wasm binary parsed section by section with WasmKit's streaming parser, plus what the parser
/// does not keep: section boundaries (``SectionMap``), names and the layout of function bodies.
///
/// Parsing is not validation: a module whose function bodies are ill-typed still parses, so
/// `inspect` can show what is in it.
final class ParsedModule {
    static let features: WasmFeatureSet = WasmtonFeatures.parser

    let bytes: [UInt8]
    let path: String
    let sectionMap: SectionMap
    /// One entry per type (recursive groups flattened): its signature text and, for function
    /// types, the parameter count.
    var types: [(signature: String, parameters: Int?)] = []
    var imports: [Import] = []
    var functionTypeIndices: [TypeIndex] = []
    var tables: [Table] = []
    var memories: [Memory] = []
    var globals: [Global] = []
    var tags: [Tag] = []
    var exports: [Export] = []
    var start: FunctionIndex?
    var elements: [ElementSegment] = []
    var codes: [Code] = []
    var data: [DataSegment] = []
    var customSections: [CustomSection] = []
    var names = Names()

    var importedFunctions: [(module: String, name: String, type: TypeIndex)] = []
    var importedTables = 0
    var importedMemories = 0
    var importedGlobals = 0

    init(bytes: [UInt8], path: String) throws(InspectError) {
        self.bytes = bytes
        self.path = path
        do {
            sectionMap = try SectionMap(bytes: bytes)
        } catch {
            throw .module(ModuleValidation.moduleError(for: error, path: path))
        }
        var parser = Parser(bytes: bytes, features: Self.features)
        do {
            while let payload = try parser.parseNext() {
                switch payload {
                case .header: break
                case .customSection(let section): customSections.append(section)
                case .typeSection(let groups):
                    for group in groups {
                        for type in group.types {
                            // Written without naming WasmTypes' types: WasmParser uses that module
                            // but does not re-export it.
                            switch type.body {
                            case .function(let function):
                                types.append(
                                    (
                                        Self.signature(function.parameters.map { "\($0)" }, function.results.map { "\($0)" }),
                                        function.parameters.count
                                    ))
                            case .structType(let structure):
                                let fields = structure.fields.map { field -> String in
                                    let storage: String
                                    switch field.storage {
                                    case .value(let value): storage = "\(value)"
                                    case .packed(let packed): storage = "\(packed)"
                                    }
                                    return "(field \(field.isMutable ? "(mut \(storage))" : storage))"
                                }
                                types.append(((["struct"] + fields).joined(separator: " "), nil))
                            case .arrayType(let array):
                                let storage: String
                                switch array.element.storage {
                                case .value(let value): storage = "\(value)"
                                case .packed(let packed): storage = "\(packed)"
                                }
                                types.append(("array \(array.element.isMutable ? "(mut \(storage))" : storage)", nil))
                            }
                        }
                    }
                case .importSection(let entries): imports += entries
                case .functionSection(let indices): functionTypeIndices += indices
                case .tableSection(let entries): tables += entries
                case .memorySection(let entries): memories += entries
                case .globalSection(let entries): globals += entries
                case .tagSection(let entries): tags += entries
                case .exportSection(let entries): exports += entries
                case .startSection(let index): start = index
                case .elementSection(let entries): elements += entries
                case .codeSection(let entries): codes += entries
                case .dataSection(let entries): data += entries
                case .dataCount: break
                }
            }
        } catch {
            throw .module(ModuleValidation.moduleError(engineMessage: error.description, path: path, sections: sectionMap))
        }
        for entry in imports {
            switch entry.descriptor {
            case .function(let type): importedFunctions.append((entry.module, entry.name, type))
            case .table: importedTables += 1
            case .memory: importedMemories += 1
            case .global: importedGlobals += 1
            case .tag: break
            }
        }
        for section in customSections where section.name == "name" {
            var nameParser = NameSectionParser(stream: StaticByteStreamSource(bytes: section.bytes))
            // A malformed name section only costs the names, as in wasm-objdump.
            if let parsed = try? nameParser.parseAll() { names.add(parsed) }
        }
        for export in exports {
            if case .function(let index) = export.descriptor, names.exportedFunctions[index] == nil {
                names.exportedFunctions[index] = export.name
            }
        }
    }

    // MARK: Names and types

    /// The name `wasm-objdump` shows for a function: name section, else export, else `module.name` for imports.
    func functionName(_ index: UInt32) -> String? {
        if let name = names.functions[index] { return name }
        if let name = names.exportedFunctions[index] { return name }
        if Int(index) < importedFunctions.count {
            let entry = importedFunctions[Int(index)]
            return "\(entry.module).\(entry.name)"
        }
        return nil
    }

    /// The type index of any function, imported or defined.
    func typeIndex(ofFunction index: UInt32) -> TypeIndex? {
        let index = Int(index)
        if index < importedFunctions.count { return importedFunctions[index].type }
        let defined = index - importedFunctions.count
        return defined < functionTypeIndices.count ? functionTypeIndices[defined] : nil
    }

    /// The number of parameters of a function type.
    func parameterCount(ofType index: TypeIndex) -> Int? {
        Int(index) < types.count ? types[Int(index)].parameters : nil
    }

    /// `(i32, i32) -> i32`, like wasm-objdump.
    func signature(ofType index: TypeIndex) -> String {
        Int(index) < types.count ? types[Int(index)].signature : "<unknown type \(index)>"
    }

    /// `(i32, i32) -> i32`, `(i32) -> nil`, `() -> (i32, i64)`, as wasm-objdump prints signatures.
    static func signature(_ parameters: [String], _ results: [String]) -> String {
        let resultText: String
        switch results.count {
        case 0: resultText = "nil"
        case 1: resultText = results[0]
        default: resultText = "(" + results.joined(separator: ", ") + ")"
        }
        return "(" + parameters.joined(separator: ", ") + ") -> " + resultText
    }

    // MARK: Function bodies

    /// Where a function body sits: its start (the locals vector, what `wasm-objdump -d` prints
    /// before `func[N]`), its size, and each local declaration.
    struct BodyLayout {
        var bodyStart: Int
        var bodySize: Int
        var localDeclarations: [(offset: Int, end: Int, count: UInt32)]
    }

    /// Reads the layout of every function body from the code section's bytes. WasmKit's `Code`
    /// keeps its offsets internal, so this walks the (already parsed, hence well-formed) headers.
    func bodyLayouts() -> [BodyLayout] {
        guard let code = sectionMap.sections.first(where: { $0.id == 10 }) else { return [] }
        var reader = ByteReader(bytes: bytes, position: code.start, end: code.end)
        var layouts: [BodyLayout] = []
        guard let count = reader.unsigned() else { return [] }
        for _ in 0..<min(count, UInt64(codes.count)) {
            // The parser has checked these sizes already; stay in bounds regardless.
            guard let size = reader.unsigned(), size <= UInt64(max(0, code.end - reader.position)) else { break }
            let bodyStart = reader.position
            guard let declarationCount = reader.unsigned() else { break }
            var declarations: [(offset: Int, end: Int, count: UInt32)] = []
            for _ in 0..<min(declarationCount, UInt64(max(0, code.end - reader.position))) {
                let offset = reader.position
                guard let count = reader.unsigned(), let type = reader.byte() else { break }
                if type == 0x63 || type == 0x64 { _ = reader.unsigned() }  // (ref null? heaptype)
                declarations.append((offset, reader.position, UInt32(truncatingIfNeeded: count)))
            }
            layouts.append(
                BodyLayout(
                    bodyStart: bodyStart, bodySize: Int(size), localDeclarations: declarations))
            reader.position = bodyStart + Int(size)
        }
        return layouts
    }

}

/// Names from the `name` custom section, plus the export names used when it has none.
struct Names {
    var module: String?
    var functions: NameMap = [:]
    var locals: [UInt32: NameMap] = [:]
    var types: NameMap = [:]
    var tables: NameMap = [:]
    var memories: NameMap = [:]
    var globals: NameMap = [:]
    var elements: NameMap = [:]
    var dataSegments: NameMap = [:]
    var exportedFunctions: NameMap = [:]

    mutating func add(_ parsed: [ParsedNames]) {
        for entry in parsed {
            switch entry {
            case .moduleName(let name): module = name
            case .functions(let map): functions.merge(map) { first, _ in first }
            case .locals(let map): locals.merge(map) { first, _ in first }
            case .labels: break
            case .types(let map): types.merge(map) { first, _ in first }
            case .tables(let map): tables.merge(map) { first, _ in first }
            case .memories(let map): memories.merge(map) { first, _ in first }
            case .globals(let map): globals.merge(map) { first, _ in first }
            case .elements(let map): elements.merge(map) { first, _ in first }
            case .dataSegments(let map): dataSegments.merge(map) { first, _ in first }
            }
        }
    }
}

/// A bounds-checked cursor over bytes that returns `nil` instead of trapping.
struct ByteReader {
    let bytes: [UInt8]
    var position: Int
    let end: Int

    mutating func byte() -> UInt8? {
        guard position < end, position < bytes.count else { return nil }
        defer { position += 1 }
        return bytes[position]
    }

    /// An unsigned LEB128 number of at most 64 bits.
    mutating func unsigned() -> UInt64? {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while let byte = byte() {
            guard shift < 64 else { return nil }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
        return nil
    }
}
