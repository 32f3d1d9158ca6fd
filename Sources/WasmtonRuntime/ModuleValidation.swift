import Foundation
// `@_spi(Fuzzing)` for `Module.dropStartFunction()`: WasmKit 0.4.2 validates function bodies only
// when it instantiates, and dropping the start function lets validation instantiate without
// running guest code. `@_spi(OnlyForCLI)` for `Module.functionType(at:)`, to read signatures.
// WasmKit is pinned exactly in Package.swift, so an upgrade that changes them breaks this
// file's build, never its behaviour.
@_spi(Fuzzing) @_spi(OnlyForCLI) import WasmKit
import WasmParser

/// Parses and fully validates a Wasm binary without running any of it.
///
/// WasmKit validates function bodies when it compiles them, and compiles them when a module is
/// instantiated. So validation instantiates once, in a throwaway store, with every import
/// satisfied by a stub of the right type, the start function dropped and eager compilation on:
/// every body is checked, no guest code runs, and the user learns of a bad module at load time,
/// not at the first call that reaches the bad function.
package enum ModuleValidation {
    static func validate(bytes: [UInt8], name: String, path: String, engine: Engine) throws(ModuleError) -> WasmModule {
        let sectionMap: SectionMap
        do {
            sectionMap = try SectionMap(bytes: bytes)
        } catch {
            throw moduleError(for: error, path: path)
        }
        let module: Module
        do {
            module = try parseWasm(bytes: bytes, features: WasmtonFeatures.parser)
        } catch {
            throw moduleError(engineMessage: error.description, path: path, sections: sectionMap)
        }
        var inert = module
        inert.dropStartFunction()
        let store = Store(engine: engine)
        do {
            _ = try inert.instantiate(store: store, imports: stubImports(for: module, store: store))
        } catch is Trap {
            // A data or element segment out of bounds is an instantiation failure, not invalidity:
            // it is reported when the module is really instantiated.
        } catch {
            throw moduleError(engineMessage: "\(error)", path: path, sections: sectionMap)
        }
        return WasmModule(
            name: name, bytes: bytes, module: module, contentHash: ContentHash(bytes),
            exports: exportDescriptions(module, bytes: bytes))
    }

    /// Exports with their signatures, read from the binary: WasmKit resolves the types of
    /// defined functions only on instances, and the function section says them directly.
    private static func exportDescriptions(_ module: Module, bytes: [UInt8]) -> [ExportDescription] {
        var functionTypes: [TypeIndex] = []
        for entry in module.imports {
            if case .function(let typeIndex) = entry.descriptor { functionTypes.append(typeIndex) }
        }
        var parser = Parser(bytes: bytes, features: WasmtonFeatures.parser)
        while let payload = try? parser.parseNext() {
            if case .functionSection(let types) = payload {
                functionTypes += types
                break
            }
        }
        return module.exports.map { entry in
            switch entry.descriptor {
            case .function(let index):
                let type = Int(index) < functionTypes.count ? module.functionType(at: functionTypes[Int(index)]) : nil
                return ExportDescription(
                    name: entry.name, kind: .function(type.map(FunctionSignature.init) ?? FunctionSignature(parameters: [])))
            case .table: return ExportDescription(name: entry.name, kind: .table)
            case .memory: return ExportDescription(name: entry.name, kind: .memory)
            case .global: return ExportDescription(name: entry.name, kind: .global)
            case .tag: return ExportDescription(name: entry.name, kind: .tag)
            }
        }
    }

    /// Imports that satisfy `module` without doing anything: functions trap if ever called.
    private static func stubImports(for module: Module, store: Store) throws -> Imports {
        var imports = Imports()
        for entry in module.imports {
            switch entry.descriptor {
            case .function(let typeIndex):
                guard let type = module.functionType(at: typeIndex) else { continue }
                let function = Function(store: store, type: type) { _, _ in
                    throw GuestError.hostFunctionFailed(name: "\(entry.module).\(entry.name)", message: "validation stub")
                }
                imports.define(module: entry.module, name: entry.name, function)
            case .memory(let type):
                imports.define(module: entry.module, name: entry.name, try Memory(store: store, type: type))
            case .table(let type):
                imports.define(module: entry.module, name: entry.name, try Table(store: store, type: type))
            case .global(let type):
                let zero = zeroValue(type.valueType)
                guard let zero else { continue }
                imports.define(module: entry.module, name: entry.name, try Global(store: store, type: type, value: zero))
            case .tag:
                continue
            }
        }
        return imports
    }

    private static func zeroValue(_ type: ValueType) -> Value? {
        switch type {
        case .i32: return .i32(0)
        case .i64: return .i64(0)
        case .f32: return .f32(0)
        case .f64: return .f64(0)
        case .v128: return nil
        case .ref(let reference):
            if reference.heapType == .funcRef { return .ref(.function(nil)) }
            if reference.heapType == .externRef { return .ref(.extern(nil)) }
            return nil
        }
    }

    package static func moduleError(for problem: SectionMap.Problem, path: String) -> ModuleError {
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

    /// Builds a precise error from WasmKit's message, finding the section from the offset in it.
    package static func moduleError(engineMessage: String, path: String, sections: SectionMap) -> ModuleError {
        var reason = engineMessage
        var offset: Int? = nil
        if let range = engineMessage.range(of: " at offset 0x") {
            let digits = engineMessage[range.upperBound...].prefix { $0.isHexDigit }
            offset = Int(digits, radix: 16)
            reason = String(engineMessage[..<range.lowerBound])
        }
        reason = reason.trimmingCharacters(in: CharacterSet(charactersIn: "\"."))
        if reason.hasPrefix("Unexpected end") {
            return .truncated(path: path, section: offset.flatMap { sections.section(containing: $0)?.name }, offset: offset)
        }
        let section = offset.flatMap { sections.section(containing: $0) }
        let sectionName = section.map { $0.customName.map { name in "custom \"\(name)\"" } ?? $0.name }
        return .invalid(path: path, reason: reason, section: sectionName, offset: offset)
    }
}
