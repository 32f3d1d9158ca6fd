// `@_spi(OnlyForCLI)`: `Module.functionType(at:)`, which WasmKit 0.4.2 keeps for its own CLI, is
// how an export's signature is read without instantiating. Pinned by the exact WasmKit version
// in Package.swift; a change fails the build here.
@_spi(OnlyForCLI) import WasmKit
import WasmParser

/// A parsed and fully validated module, ready to be instantiated many times.
///
/// Load it through ``WasmRuntime/load(path:)`` or ``WasmRuntime/load(bytes:name:)``, which cache
/// by content, so the same bytes are parsed and validated once per runtime.
public final class WasmModule: Sendable {
    /// A name for messages and metrics: the file name without extension, unless given.
    public let name: String
    /// The Wasm binary (text input is assembled first).
    public let bytes: [UInt8]
    /// What the module imports, in declaration order.
    public let imports: [ImportDescription]
    /// What the module exports, in declaration order.
    public let exports: [ExportDescription]

    let module: Module
    let contentHash: ContentHash
    /// The exported functions by name, with their place in ``exports`` (which is also their
    /// index among an instance's exports): every call looks its function up here.
    private let functionExports: [String: (index: Int, signature: FunctionSignature)]
    /// The module compiled by each Wasmtime engine that instantiated it (a module loaded by one
    /// runtime may be instantiated by another, as with WasmKit; Wasmtime code is per engine).
    let compiled: WasmtimeCompilations

    init(
        name: String, bytes: [UInt8], module: Module, contentHash: ContentHash, exports: [ExportDescription],
        compiled: WasmtimeCompilations = WasmtimeCompilations()
    ) {
        self.compiled = compiled
        self.name = name
        self.bytes = bytes
        self.module = module
        self.contentHash = contentHash
        self.imports = module.imports.map { ImportDescription($0, in: module) }
        self.exports = exports
        var functions: [String: (index: Int, signature: FunctionSignature)] = [:]
        for (index, export) in exports.enumerated() {
            if case .function(let signature) = export.kind, functions[export.name] == nil {
                functions[export.name] = (index, signature)
            }
        }
        self.functionExports = functions
    }

    /// The signature of the exported function `name`, or `nil` if there is no such function.
    public func signature(ofExport name: String) -> FunctionSignature? {
        functionExports[name]?.signature
    }

    /// The exported function `name`: its index among the exports and its signature.
    func exportedFunction(named name: String) -> ExportedFunction? {
        functionExports[name].map { ExportedFunction(name: name, index: $0.index, signature: $0.signature) }
    }

    /// The signature of the exported function `name`, or the error a user should see:
    /// ``GuestError/notAFunction(name:kind:)`` or ``GuestError/missingExport(name:available:)``.
    public func requireFunction(_ name: String) throws(GuestError) -> FunctionSignature {
        try requireExportedFunction(name).signature
    }

    /// The exported function `name`, found once for calls made many times through any instance
    /// of this module; or the error ``requireFunction(_:)`` describes.
    public func function(_ name: String) throws(GuestError) -> GuestFunction {
        GuestFunction(export: try requireExportedFunction(name), module: self)
    }

    /// The exported function `name`, or the error ``requireFunction(_:)`` describes.
    func requireExportedFunction(_ name: String) throws(GuestError) -> ExportedFunction {
        if let function = exportedFunction(named: name) { return function }
        if let other = exports.first(where: { $0.name == name }) {
            throw .notAFunction(name: name, kind: other.kind.description)
        }
        throw .missingExport(name: name, available: exportedFunctions)
    }

    /// Names of the exported functions, in declaration order.
    public var exportedFunctions: [String] {
        exports.compactMap { export in
            if case .function = export.kind { return export.name }
            return nil
        }
    }

    /// Whether the module imports anything from WASI: preview 1 (`wasi_snapshot_preview1`) or
    /// snapshot 0 (`wasi_unstable`), which older toolchains still emit.
    public var usesWASI: Bool {
        imports.contains { WASIModules.contains($0.module) }
    }

    /// Whether every WASI function the module imports is one that neither blocks nor acts
    /// outside the guest (clock, random bytes, arguments, environment), so its calls can run in
    /// time slices (`WasmInstance.call(_:_:slice:)`). WASI functions run in WasmKit's bridge,
    /// where a slice cannot stop them; host functions can (``HostFunction/runsInSlice``).
    public var runsInSlices: Bool {
        imports.allSatisfy { !WASIModules.contains($0.module) || Self.sliceSafeWASI.contains($0.name) }
    }

    /// WASI functions that neither block nor act outside the guest.
    static let sliceSafeWASI: Set<String> = [
        "args_get", "args_sizes_get", "environ_get", "environ_sizes_get", "clock_res_get", "clock_time_get", "random_get",
        "proc_exit", "sched_yield", "fd_fdstat_get", "fd_prestat_get", "fd_prestat_dir_name",
    ]
}

/// One import of a module, described without engine types.
public struct ImportDescription: Sendable, Equatable {
    public var module: String
    public var name: String
    public var kind: ExternKind

    init(_ entry: Import, in module: Module) {
        self.module = entry.module
        self.name = entry.name
        self.kind = ExternKind(entry.descriptor, in: module)
    }
}

/// One export of a module, described without engine types.
public struct ExportDescription: Sendable, Equatable {
    public var name: String
    public var kind: ExternKind

    init(name: String, kind: ExternKind) {
        self.name = name
        self.kind = kind
    }
}

/// The kind of an imported or exported entity; functions carry their signature.
public enum ExternKind: Sendable, Equatable, CustomStringConvertible {
    case function(FunctionSignature)
    case table, memory, global, tag

    public var description: String {
        switch self {
        case .function: return "function"
        case .table: return "table"
        case .memory: return "memory"
        case .global: return "global"
        case .tag: return "tag"
        }
    }

    init(_ descriptor: ImportDescriptor, in module: Module) {
        switch descriptor {
        case .function(let typeIndex):
            let type = module.functionType(at: typeIndex)
            self = .function(type.map(FunctionSignature.init) ?? FunctionSignature(parameters: []))
        case .table: self = .table
        case .memory: self = .memory
        case .global: self = .global
        case .tag: self = .tag
        }
    }
}

extension FunctionSignature {
    init(_ type: FunctionType) {
        self.init(parameters: type.parameters.map(ValueKind.init), results: type.results.map(ValueKind.init))
    }
}

extension ValueKind {
    init(_ type: ValueType) {
        switch type {
        case .i32: self = .i32
        case .i64: self = .i64
        case .f32: self = .f32
        case .f64: self = .f64
        case .v128: self = .v128
        case .ref(let reference):
            if reference == .funcRef {
                self = .funcref
            } else if reference == .externRef {
                self = .externref
            } else {
                self = .other("\(reference)")
            }
        }
    }

    var valueType: ValueType? {
        switch self {
        case .i32: return .i32
        case .i64: return .i64
        case .f32: return .f32
        case .f64: return .f64
        case .v128: return .v128
        case .funcref: return .ref(.funcRef)
        case .externref: return .ref(.externRef)
        case .other: return nil
        }
    }
}
