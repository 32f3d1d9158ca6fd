/// Everything `wasmton inspect` knows about a module: its section table and the contents of
/// each section, in a form that prints as text (``ModuleReportText/sectionTable(_:)``,
/// ``ModuleReportText/details(_:)``) or encodes as JSON (``ModuleReportText/json(_:)``).
///
/// Indices are the module's index spaces (imports first), so `functions[0].index` is the number
/// of imported functions. Names come from the `name` custom section, falling back to export
/// names for defined functions and to `module.name` for imported ones, as `wasm-objdump` does.
public struct ModuleReport: Sendable, Codable, Equatable {
    /// The module name from the `name` section, if any.
    public var moduleName: String?
    /// Every section in file order, custom sections included.
    public var sections: [SectionEntry]
    /// The type section, flattened (recursive groups contribute one entry per type).
    public var types: [TypeEntry]
    /// The import section, in order.
    public var imports: [ImportEntry]
    /// Functions defined in the module (the function and code sections), not imported ones.
    public var functions: [FunctionEntry]
    /// Tables defined in the module.
    public var tables: [TableEntry]
    /// Memories defined in the module.
    public var memories: [MemoryEntry]
    /// Globals defined in the module.
    public var globals: [GlobalEntry]
    /// The export section, in order.
    public var exports: [ExportEntry]
    /// The start function, if the module has a start section.
    public var start: FunctionReference?
    /// The element section.
    public var elements: [ElementSegmentEntry]
    /// The data section.
    public var dataSegments: [DataSegmentEntry]
    /// The names of the custom sections, in file order.
    public var customSections: [String]
    /// The disassembled code, when the caller asked for it (see ``ModuleInspector/disassembly(bytes:function:path:)``);
    /// `nil`, and absent from JSON, otherwise.
    public var disassembly: [FunctionDisassembly]?

    public init(
        moduleName: String? = nil, sections: [SectionEntry] = [], types: [TypeEntry] = [],
        imports: [ImportEntry] = [], functions: [FunctionEntry] = [], tables: [TableEntry] = [],
        memories: [MemoryEntry] = [], globals: [GlobalEntry] = [], exports: [ExportEntry] = [],
        start: FunctionReference? = nil, elements: [ElementSegmentEntry] = [],
        dataSegments: [DataSegmentEntry] = [], customSections: [String] = [],
        disassembly: [FunctionDisassembly]? = nil
    ) {
        self.moduleName = moduleName
        self.sections = sections
        self.types = types
        self.imports = imports
        self.functions = functions
        self.tables = tables
        self.memories = memories
        self.globals = globals
        self.exports = exports
        self.start = start
        self.elements = elements
        self.dataSegments = dataSegments
        self.customSections = customSections
        self.disassembly = disassembly
    }
}

/// One row of the section table, with offsets exactly as `wasm-objdump -h` prints them.
///
/// In JSON every section has the keys `index`, `id`, `name`, `start`, `end`, `size` and `count`;
/// `count` is `null` for sections without an item count (Start, whose payload is a function
/// index, and Custom). Custom sections have one more key, `customName`.
public struct SectionEntry: Sendable, Codable, Equatable {
    /// Position among all sections, from 0, custom sections included.
    public var index: Int
    /// The section id (0 for custom sections).
    public var id: Int
    /// `Type`, `Import`, …, `DataCount`, `Tag` or `Custom`.
    public var name: String
    /// Offset of the first payload byte (after the id and size).
    public var start: Int
    /// Offset one past the last payload byte.
    public var end: Int
    /// Payload size in bytes (`end - start`).
    public var size: Int
    /// Items in the section; for DataCount the data segment count; `nil` for Start and Custom.
    public var count: Int?
    /// For custom sections, the name stored in the section.
    public var customName: String?

    public init(index: Int, id: Int, name: String, start: Int, end: Int, size: Int, count: Int?, customName: String?) {
        self.index = index
        self.id = id
        self.name = name
        self.start = start
        self.end = end
        self.size = size
        self.count = count
        self.customName = customName
    }

    private enum CodingKeys: String, CodingKey {
        case index, id, name, start, end, size, count, customName
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(index, forKey: .index)
        try container.encode(id, forKey: .id)
        try container.encode(name, forKey: .name)
        try container.encode(start, forKey: .start)
        try container.encode(end, forKey: .end)
        try container.encode(size, forKey: .size)
        // Always present, so every section object has the same seven keys.
        try container.encode(count, forKey: .count)
        try container.encodeIfPresent(customName, forKey: .customName)
    }
}

/// A type section entry.
public struct TypeEntry: Sendable, Codable, Equatable {
    public var index: Int
    /// `(i32, i32) -> i32`, `(i32) -> nil`, `() -> (i32, i64)`; struct and array types of the GC
    /// proposal as `struct (field i32) (field (mut i64))` and `array (mut i8)`.
    public var signature: String
    /// The name from the `name` section, if any.
    public var name: String?

    public init(index: Int, signature: String, name: String? = nil) {
        self.index = index
        self.signature = signature
        self.name = name
    }
}

/// An import section entry.
public struct ImportEntry: Sendable, Codable, Equatable {
    /// The index in the imported item's own index space (`func[0]`, `global[0]`, …).
    public var index: Int
    public var module: String
    public var name: String
    /// `func`, `table`, `memory`, `global` or `tag`.
    public var kind: String
    /// The line `wasm-objdump -x` prints, e.g. `func[0] sig=1 <log> <- env.log`.
    public var description: String

    public init(index: Int, module: String, name: String, kind: String, description: String) {
        self.index = index
        self.module = module
        self.name = name
        self.kind = kind
        self.description = description
    }
}

/// A function defined in the module.
public struct FunctionEntry: Sendable, Codable, Equatable {
    /// The index in the function index space (imported functions come first).
    public var index: Int
    /// The index of its type in the type section.
    public var typeIndex: Int
    /// The signature, as in ``TypeEntry/signature``.
    public var signature: String
    /// Its name from the `name` section, else its first export name.
    public var name: String?
    /// The size of its body in the code section (locals and instructions), if the code section has it.
    public var bodySize: Int?
    /// The number of locals it declares (parameters not included).
    public var localCount: Int?

    public init(index: Int, typeIndex: Int, signature: String, name: String?, bodySize: Int?, localCount: Int?) {
        self.index = index
        self.typeIndex = typeIndex
        self.signature = signature
        self.name = name
        self.bodySize = bodySize
        self.localCount = localCount
    }
}

/// A table defined in the module.
public struct TableEntry: Sendable, Codable, Equatable {
    public var index: Int
    /// `funcref`, `externref`, …
    public var elementType: String
    public var initial: UInt64
    public var maximum: UInt64?
    public var name: String?

    public init(index: Int, elementType: String, initial: UInt64, maximum: UInt64?, name: String?) {
        self.index = index
        self.elementType = elementType
        self.initial = initial
        self.maximum = maximum
        self.name = name
    }
}

/// A memory defined in the module; sizes in 64 KiB pages.
public struct MemoryEntry: Sendable, Codable, Equatable {
    public var index: Int
    public var initial: UInt64
    public var maximum: UInt64?
    public var shared: Bool
    public var memory64: Bool
    public var name: String?

    public init(index: Int, initial: UInt64, maximum: UInt64?, shared: Bool, memory64: Bool, name: String?) {
        self.index = index
        self.initial = initial
        self.maximum = maximum
        self.shared = shared
        self.memory64 = memory64
        self.name = name
    }
}

/// A global defined in the module.
public struct GlobalEntry: Sendable, Codable, Equatable {
    public var index: Int
    /// `i32`, `i64`, `f32`, `f64`, `v128` or a reference type.
    public var type: String
    public var mutable: Bool
    /// The initializer as `wasm-objdump` shows it: `i32=42`, `f64=0x1.8p+0`, `global=0`,
    /// `ref.func=3`, `ref.null func`, or the instructions for extended constant expressions.
    public var initializer: String
    public var name: String?

    public init(index: Int, type: String, mutable: Bool, initializer: String, name: String?) {
        self.index = index
        self.type = type
        self.mutable = mutable
        self.initializer = initializer
        self.name = name
    }
}

/// An export section entry.
public struct ExportEntry: Sendable, Codable, Equatable {
    public var name: String
    /// `func`, `table`, `memory`, `global` or `tag`.
    public var kind: String
    /// The exported item's index in its index space.
    public var index: Int

    public init(name: String, kind: String, index: Int) {
        self.name = name
        self.kind = kind
        self.index = index
    }
}

/// A function index with its name, if known.
public struct FunctionReference: Sendable, Codable, Equatable {
    public var index: Int
    public var name: String?

    public init(index: Int, name: String?) {
        self.index = index
        self.name = name
    }
}

/// An element section entry.
public struct ElementSegmentEntry: Sendable, Codable, Equatable {
    public var index: Int
    /// `active`, `passive` or `declarative`.
    public var mode: String
    /// The table an active segment initializes.
    public var table: Int?
    /// The offset expression of an active segment, e.g. `i32=1`.
    public var offset: String?
    /// `funcref`, `externref`, …
    public var elementType: String
    /// One entry per element: `func[2] <add>`, `ref.null func`, or the expression.
    public var items: [String]
    public var name: String?

    public init(
        index: Int, mode: String, table: Int?, offset: String?, elementType: String, items: [String], name: String?
    ) {
        self.index = index
        self.mode = mode
        self.table = table
        self.offset = offset
        self.elementType = elementType
        self.items = items
        self.name = name
    }
}

/// A data section entry.
public struct DataSegmentEntry: Sendable, Codable, Equatable {
    public var index: Int
    /// `active` or `passive`.
    public var mode: String
    /// The memory an active segment initializes.
    public var memory: Int?
    /// The offset expression of an active segment, e.g. `i32=1024`.
    public var offset: String?
    /// The number of bytes in the segment.
    public var size: Int
    /// The first bytes (at most ``ModuleInspector/dataPreviewLimit``) in lowercase hex, no separators.
    public var preview: String
    public var name: String?

    public init(index: Int, mode: String, memory: Int?, offset: String?, size: Int, preview: String, name: String?) {
        self.index = index
        self.mode = mode
        self.memory = memory
        self.offset = offset
        self.size = size
        self.preview = preview
        self.name = name
    }
}

/// The disassembly of one function, as `wasm-objdump -d` prints it.
public struct FunctionDisassembly: Sendable, Codable, Equatable {
    /// The index in the function index space.
    public var index: Int
    public var name: String?
    /// Offset of the body (its locals declaration), which `wasm-objdump -d` prints before `func[N]`.
    public var offset: Int
    /// Local declarations first, then instructions.
    public var lines: [DisassemblyLine]

    public init(index: Int, name: String?, offset: Int, lines: [DisassemblyLine]) {
        self.index = index
        self.name = name
        self.offset = offset
        self.lines = lines
    }
}

/// One instruction (or local declaration) of a function body.
public struct DisassemblyLine: Sendable, Codable, Equatable {
    /// Offset of its first byte in the module.
    public var offset: Int
    /// Its encoding as space-separated lowercase hex bytes, e.g. `20 00`.
    public var bytes: String
    /// The text after `|`, without indentation, e.g. `local.get 0 <a>` or `local[1..2] type=i64`.
    public var text: String
    /// Block nesting depth (indentation is two spaces per level).
    public var depth: Int

    public init(offset: Int, bytes: String, text: String, depth: Int) {
        self.offset = offset
        self.bytes = bytes
        self.text = text
        self.depth = depth
    }
}
