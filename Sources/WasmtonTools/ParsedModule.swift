import WasmParser
import WasmtonRuntime

/// A Wasm binary parsed section by section with WasmKit's streaming parser, plus what the parser
/// does not keep: section boundaries (``SectionMap``), names and the layout of function bodies.
///
/// Parsing is not validation: a module whose function bodies are ill-typed still parses, so
/// `inspect` can show what is in it.
struct ParsedModule {
    static let features: WasmFeatureSet = WasmFeatureSet.default.union([.simd, .tailCall])

    let bytes: [UInt8]
    let path: String
    let sectionMap: SectionMap
    var types: [SubType] = []
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
            throw .module(Self.moduleError(for: error, path: path))
        }
        var parser = Parser(bytes: bytes, features: Self.features)
        do {
            while let payload = try parser.parseNext() {
                switch payload {
                case .header: break
                case .customSection(let section): customSections.append(section)
                case .typeSection(let groups): types += groups.flatMap(\.types)
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
            throw .module(Self.moduleError(engineMessage: error.description, path: path, sections: sectionMap))
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

    func functionType(at index: TypeIndex) -> FunctionType? {
        guard Int(index) < types.count, case .function(let type) = types[Int(index)].body else { return nil }
        return type
    }

    /// `(i32, i32) -> i32`, like wasm-objdump.
    func signature(ofType index: TypeIndex) -> String {
        guard Int(index) < types.count else { return "<unknown type \(index)>" }
        return Self.describe(types[Int(index)].body)
    }

    static func describe(_ type: CompositeType) -> String {
        switch type {
        case .function(let function):
            let parameters = "(" + function.parameters.map(\.description).joined(separator: ", ") + ")"
            let results: String
            switch function.results.count {
            case 0: results = "nil"
            case 1: results = function.results[0].description
            default: results = "(" + function.results.map(\.description).joined(separator: ", ") + ")"
            }
            return "\(parameters) -> \(results)"
        case .structType(let structure):
            return (["struct"] + structure.fields.map { "(field \(describe($0)))" }).joined(separator: " ")
        case .arrayType(let array):
            return "array \(describe(array.element))"
        }
    }

    private static func describe(_ field: FieldType) -> String {
        let storage: String
        switch field.storage {
        case .value(let type): storage = type.description
        case .packed(.i8): storage = "i8"
        case .packed(.i16): storage = "i16"
        }
        return field.isMutable ? "(mut \(storage))" : storage
    }

    // MARK: Function bodies

    /// Where a function body sits: its start (the locals vector, what `wasm-objdump -d` prints
    /// before `func[N]`), each local declaration, and the start of its instructions.
    struct BodyLayout {
        var bodyStart: Int
        var bodySize: Int
        var localDeclarations: [(offset: Int, end: Int, count: UInt32)]
        var expressionStart: Int
    }

    /// Reads the layout of every function body from the code section's bytes. WasmKit's `Code`
    /// keeps its offsets internal, so this walks the (already parsed, hence well-formed) headers.
    func bodyLayouts() -> [BodyLayout] {
        guard let code = sectionMap.sections.first(where: { $0.id == 10 }) else { return [] }
        var reader = ByteReader(bytes: bytes, position: code.start, end: code.end)
        var layouts: [BodyLayout] = []
        guard let count = reader.unsigned() else { return [] }
        for _ in 0..<min(count, UInt64(codes.count)) {
            guard let size = reader.unsigned() else { break }
            let bodyStart = reader.position
            guard let declarationCount = reader.unsigned() else { break }
            var declarations: [(offset: Int, end: Int, count: UInt32)] = []
            for _ in 0..<min(declarationCount, UInt64(code.end - reader.position)) {
                let offset = reader.position
                guard let count = reader.unsigned(), let type = reader.byte() else { break }
                if type == 0x63 || type == 0x64 { _ = reader.unsigned() }  // (ref null? heaptype)
                declarations.append((offset, reader.position, UInt32(truncatingIfNeeded: count)))
            }
            layouts.append(
                BodyLayout(
                    bodyStart: bodyStart, bodySize: Int(size), localDeclarations: declarations,
                    expressionStart: reader.position))
            reader.position = bodyStart + Int(size)
        }
        return layouts
    }

    // MARK: Errors

    static func moduleError(for problem: SectionMap.Problem, path: String) -> ModuleError {
        switch problem {
        case .badMagic:
            return .notWasm(path: path, reason: "missing the \\0asm magic bytes")
        case .badVersion(let version):
            return .invalid(
                path: path, reason: "unsupported binary version \(version.map(String.init).joined(separator: " "))",
                section: nil, offset: 4)
        case .truncated(let section, let offset):
            return .truncated(path: path, section: section, offset: offset)
        case .unknownSection(let id, let offset):
            return .invalid(path: path, reason: "unknown section id \(id)", section: nil, offset: offset)
        case .badLEB(let offset):
            return .invalid(path: path, reason: "malformed LEB128 number", section: nil, offset: offset)
        }
    }

    /// A precise error from WasmKit's parser message, naming the section that holds the offset in it.
    static func moduleError(engineMessage: String, path: String, sections: SectionMap) -> ModuleError {
        var reason = engineMessage
        var offset: Int?
        if let range = engineMessage.range(of: " at offset 0x") {
            let digits = engineMessage[range.upperBound...].prefix { $0.isHexDigit }
            offset = Int(digits, radix: 16)
            reason = String(engineMessage[..<range.lowerBound])
        }
        while let first = reason.first, first == "\"" || first == "." { reason.removeFirst() }
        while let last = reason.last, last == "\"" || last == "." { reason.removeLast() }
        let section = offset.flatMap { sections.section(containing: $0) }
        if reason.hasPrefix("Unexpected end") {
            return .truncated(path: path, section: section?.name, offset: offset)
        }
        let sectionName = section.map { entry in entry.customName.map { "custom \"\($0)\"" } ?? entry.name }
        return .invalid(path: path, reason: reason, section: sectionName, offset: offset)
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
