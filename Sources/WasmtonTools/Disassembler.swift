import WasmParser
import WasmtonRuntime

extension ModuleInspector {
    /// The code of the module's functions, one entry per function with a body, like
    /// `wasm-objdump -d`. `function` selects one by export name, `name`-section name or index
    /// (`nil` for all); naming none, or an imported function, is an ``InspectError``.
    public static func disassembly(
        bytes: [UInt8], function: String? = nil, path: String = "module"
    ) throws(InspectError) -> [FunctionDisassembly] {
        try disassembly(of: ParsedModule(bytes: bytes, path: path), function: function, path: path)
    }

    /// The disassembly of an already parsed module, so a report and its code share one parse.
    static func disassembly(
        of module: ParsedModule, function: String?, path: String
    ) throws(InspectError) -> [FunctionDisassembly] {
        let layouts = module.bodyLayouts()
        let imported = module.importedFunctions.count
        var selected = Array(module.codes.indices)
        if let function {
            let index = try resolve(function, in: module)
            guard index >= imported else { throw .importedFunction(name: function, path: path) }
            selected = [index - imported]
        }
        var result: [FunctionDisassembly] = []
        var formatter = InstructionText(module: module)
        for position in selected where position < layouts.count {
            result.append(try disassemble(position, layout: layouts[position], module: module, formatter: &formatter))
        }
        return result
    }

    /// ``disassembly(bytes:function:path:)`` as the text `wasm-objdump -d` prints after its header.
    public static func disassemble(
        bytes: [UInt8], function: String? = nil, path: String = "module"
    ) throws(InspectError) -> String {
        disassemble(try disassembly(bytes: bytes, function: function, path: path))
    }

    /// Renders disassembled functions like `wasm-objdump -d`:
    /// `00003a func[0] <add>:` then ` 00003b: 20 00                      | local.get 0 <a>`.
    /// Encodings longer than nine bytes continue on following lines, as in wasm-objdump.
    public static func disassemble(_ functions: [FunctionDisassembly]) -> String {
        var text = "\nCode Disassembly:\n\n"
        text.reserveCapacity(functions.reduce(32) { $0 + 64 + $1.lines.count * 56 })
        for function in functions {
            text += Hex.padded(function.offset, width: 6)
            text += " func[\(function.index)]\(label(function.name)):\n"
            for line in function.lines {
                // `bytes` is "xx xx xx": three characters a byte, the last one without its space.
                let byteCount = (line.bytes.utf8.count + 1) / 3
                if byteCount <= 9 {
                    text += " " + Hex.padded(line.offset, width: 6) + ": " + line.bytes
                    text += String(repeating: " ", count: 27 - line.bytes.utf8.count) + "| "
                    text += String(repeating: "  ", count: line.depth) + line.text + "\n"
                    continue
                }
                let bytes = line.bytes.split(separator: " ")
                for start in stride(from: 0, to: bytes.count, by: 9) {
                    let chunk = bytes[start..<min(start + 9, bytes.count)].joined(separator: " ")
                    text += " " + Hex.padded(line.offset + start, width: 6) + ": " + chunk
                    text += String(repeating: " ", count: 27 - chunk.utf8.count) + "| "
                    if start == 0 { text += String(repeating: "  ", count: line.depth) + line.text }
                    text += "\n"
                }
            }
        }
        return text
    }

    /// The index (in the function index space) of the function `selector` names.
    private static func resolve(_ selector: String, in module: ParsedModule) throws(InspectError) -> Int {
        let total = module.importedFunctions.count + module.functionTypeIndices.count
        for export in module.exports {
            if case .function(let index) = export.descriptor, export.name == selector { return Int(index) }
        }
        if let match = module.names.functions.filter({ $0.value == selector }).keys.min() { return Int(match) }
        var digits = Substring(selector)
        if digits.hasPrefix("func[") && digits.hasSuffix("]") { digits = digits.dropFirst(5).dropLast() }
        if let index = Int(digits), index >= 0, index < total { return index }
        let defined = module.importedFunctions.count..<total
        let available = defined.prefix(12).map { index in
            module.functionName(UInt32(index)).map { "\($0) (\(index))" } ?? "func[\(index)]"
        }
        throw .unknownFunction(name: selector, path: module.path, available: available, total: defined.count)
    }

    private static func disassemble(
        _ position: Int, layout: ParsedModule.BodyLayout, module: ParsedModule, formatter: inout InstructionText
    ) throws(InspectError) -> FunctionDisassembly {
        let index = UInt32(module.importedFunctions.count + position)
        let code = module.codes[position]
        let parameters = module.typeIndex(ofFunction: index).flatMap(module.parameterCount(ofType:)) ?? 0
        var lines: [DisassemblyLine] = []

        // Local declarations: `local[1..2] type=i64`.
        var nextLocal = parameters
        var flattened = 0
        for declaration in layout.localDeclarations {
            let count = Int(declaration.count)
            let type = flattened < code.locals.count ? code.locals[flattened].description : "?"
            let range = count == 1 ? "\(nextLocal)" : "\(nextLocal)..\(nextLocal + count - 1)"
            lines.append(
                DisassemblyLine(
                    offset: declaration.offset, bytes: hex(module.bytes, declaration.offset..<declaration.end),
                    text: count == 0 ? "local[] type=\(type)" : "local[\(range)] type=\(type)", depth: 0))
            nextLocal += count
            flattened += count
        }

        var parser = ExpressionParser(code: code)
        formatter.function = index
        var depth = 0
        while true {
            let start = parser.offset
            let visit: ExpressionParser.Visit?
            do {
                visit = try parser.parse()
            } catch {
                throw .module(
                    ModuleValidation.moduleError(
                        engineMessage: error.description, path: module.path, sections: module.sectionMap))
            }
            guard let visit else { break }
            var collector = InstructionCollector()
            visit(visitor: &collector)
            guard let instruction = collector.instruction else { break }
            let end = parser.offset
            let lineDepth: Int
            switch instruction {
            case .end:
                depth = max(0, depth - 1)
                lineDepth = depth
            case .else:
                lineDepth = max(0, depth - 1)
            default:
                lineDepth = depth
            }
            lines.append(
                DisassemblyLine(
                    offset: start, bytes: hex(module.bytes, start..<end), text: formatter.text(instruction),
                    depth: lineDepth))
            switch instruction {
            case .block, .loop, .if, .tryTable: depth += 1
            default: break
            }
        }
        return FunctionDisassembly(
            index: Int(index), name: module.functionName(index), offset: layout.bodyStart, lines: lines)
    }

    private static func hex(_ bytes: [UInt8], _ range: Range<Int>) -> String {
        Hex.spaced(bytes[range.clamped(to: bytes.indices)])
    }
}

/// Captures the one instruction a `ExpressionParser.Visit` carries.
private struct InstructionCollector: AnyInstructionVisitor {
    typealias VisitorError = Never
    var binaryOffset: Int = 0
    var instruction: Instruction?

    mutating func visit(_ instruction: Instruction) {
        self.instruction = instruction
    }
}
