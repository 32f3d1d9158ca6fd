import Foundation
import WasmParser

/// Turns WasmKit's `Instruction` values into the text `wasm-objdump -d` prints: the mnemonic
/// (`i32.load8_u`) and the immediates, with names (`call 7 <recurse>`) where the module has them.
struct InstructionText {
    let module: ParsedModule
    /// The function whose locals `local.get` and friends refer to, for local names.
    var function: UInt32?

    /// Mnemonics already derived from case names, so that each costs one reflection per run.
    private let cache = MnemonicCache()

    func text(_ instruction: Instruction) -> String {
        mnemonic(instruction) + operands(instruction)
    }

    // MARK: Mnemonics

    /// The WebAssembly text name of an instruction: spelled out for the common instructions,
    /// otherwise derived from the name of its `Instruction` case (see ``wasmName(_:)``).
    func mnemonic(_ instruction: Instruction) -> String {
        switch instruction {
        case .load(let op, _): return cache.name(op)
        case .store(let op, _): return cache.name(op)
        case .cmp(let op): return cache.name(op)
        case .unary(let op): return cache.name(op)
        case .binary(let op): return cache.name(op)
        case .conversion(let op): return cache.name(op)
        case .simd(let op): return cache.name(op)
        case .simdLane(let op, _): return cache.name(op)
        case .simdMemLane(let op, _, _): return cache.name(op)
        case .unreachable: return "unreachable"
        case .nop: return "nop"
        case .block: return "block"
        case .loop: return "loop"
        case .if: return "if"
        case .else: return "else"
        case .end: return "end"
        case .br: return "br"
        case .brIf: return "br_if"
        case .brTable: return "br_table"
        case .return: return "return"
        case .call: return "call"
        case .callIndirect: return "call_indirect"
        case .returnCall: return "return_call"
        case .returnCallIndirect: return "return_call_indirect"
        case .drop: return "drop"
        case .select, .typedSelect: return "select"
        case .localGet: return "local.get"
        case .localSet: return "local.set"
        case .localTee: return "local.tee"
        case .globalGet: return "global.get"
        case .globalSet: return "global.set"
        case .memorySize: return "memory.size"
        case .memoryGrow: return "memory.grow"
        case .i32Const: return "i32.const"
        case .i64Const: return "i64.const"
        case .f32Const: return "f32.const"
        case .f64Const: return "f64.const"
        case .i32Eqz: return "i32.eqz"
        case .i64Eqz: return "i64.eqz"
        case .refNull: return "ref.null"
        case .refIsNull: return "ref.is_null"
        case .refFunc: return "ref.func"
        case .memoryInit: return "memory.init"
        case .dataDrop: return "data.drop"
        case .memoryCopy: return "memory.copy"
        case .memoryFill: return "memory.fill"
        case .tableInit: return "table.init"
        case .elemDrop: return "elem.drop"
        case .tableCopy: return "table.copy"
        case .v128Const: return "v128.const"
        case .i8x16Shuffle: return "i8x16.shuffle"
        case .refTest: return "ref.test"
        case .refCast: return "ref.cast"
        default:
            let description = String(describing: instruction)
            return Self.wasmName(String(description.prefix { $0 != "(" }))
        }
    }

    /// Namespaces that a `.` separates from the rest of the name (`i32.add`, `local.get`).
    private static let namespaces: Set<String> = [
        "i32", "i64", "f32", "f64", "v128", "i8x16", "i16x8", "i32x4", "i64x2", "f32x4", "f64x2",
        "local", "global", "memory", "table", "ref", "data", "elem", "struct", "array", "i31", "any", "extern",
        "atomic",
    ]

    /// `i32Load8S` → `i32.load8_s`, `i64AtomicRmw8AddU` → `i64.atomic.rmw8.add_u`,
    /// `i16x8ExtendLowI8X16S` → `i16x8.extend_low_i8x16_s`, `brIf` → `br_if`.
    static func wasmName(_ caseName: String) -> String {
        // Words start at capitals; digits stay with the word before them.
        var words: [String] = []
        for character in caseName {
            if character.isUppercase || words.isEmpty {
                words.append(String(character).lowercased())
            } else {
                words[words.count - 1].append(character)
            }
        }
        // `X8` in `I16X8` and `Load8X8S` continues the previous word; so does `mulr` after `q15`.
        var merged: [String] = []
        for word in words {
            if let last = merged.last,
                (word.first == "x" && word.count > 1 && word.dropFirst().allSatisfy(\.isNumber))
                    || (last.hasSuffix("q15") && word == "mulr")
            {
                merged[merged.count - 1] = last + word
            } else {
                merged.append(word)
            }
        }
        guard let first = merged.first, namespaces.contains(first), merged.count > 1 else {
            return merged.joined(separator: "_")
        }
        var prefix = [first]
        var rest = Array(merged.dropFirst())
        if rest.first == "atomic", first != "atomic" {
            prefix.append("atomic")
            rest.removeFirst()
            if let next = rest.first, next.hasPrefix("rmw") {
                prefix.append(next)
                rest.removeFirst()
            }
        }
        return (prefix + [rest.joined(separator: "_")]).joined(separator: ".")
    }

    // MARK: Operands

    private func operands(_ instruction: Instruction) -> String {
        switch instruction {
        case .cmp, .unary, .binary, .conversion, .simd:
            return ""
        case .block(let type), .loop(let type), .if(let type):
            return blockType(type)
        case .tryTable(let type, let tryCatch):
            return blockType(type) + tryCatch.catches.map { " " + catchClause($0) }.joined()
        case .br(let depth), .brIf(let depth), .brOnNull(let depth), .brOnNonNull(let depth):
            return " \(depth)"
        case .brTable(let targets):
            return " " + (targets.labelIndices + [targets.defaultIndex]).map(String.init).joined(separator: " ")
        case .call(let function), .returnCall(let function):
            return " \(function)" + label(module.functionName(function))
        case .callIndirect(let type, let table), .returnCallIndirect(let type, let table):
            return " \(table)\(label(module.names.tables[table])) (type \(type)\(label(module.names.types[type])))"
        case .callRef(let type), .returnCallRef(let type):
            return " \(type)"
        case .throw(let tag):
            return " \(tag)"
        case .typedSelect(let type):
            return " \(type)"
        case .localGet(let index), .localSet(let index):
            return " \(index)" + label(function.flatMap { module.names.locals[$0]?[index] })
        case .localTee(let index):
            return " \(index)"  // wasm-objdump names the local of local.get and local.set only
        case .globalGet(let index), .globalSet(let index):
            return " \(index)" + label(module.names.globals[index])
        case .load(_, let memarg), .store(_, let memarg):
            return Self.memarg(memarg)
        case .memorySize(let memory), .memoryGrow(let memory), .memoryFill(let memory):
            return " \(memory)"
        case .i32Const(let value):
            return " \(UInt32(bitPattern: value))"
        case .i64Const(let value):
            return " \(value)"
        case .f32Const(let value):
            return " " + Self.hexFloat(value)
        case .f64Const(let value):
            return " " + Self.hexFloat(value)
        case .refNull(let type):
            return " \(type)"
        case .refFunc(let function):
            return " \(function)"
        case .memoryInit(let data, let memory):
            return " \(data) \(memory)" + label(module.names.dataSegments[data])
        case .dataDrop(let data):
            return " \(data)" + label(module.names.dataSegments[data])
        case .memoryCopy(let destination, let source), .tableCopy(let destination, let source):
            return " \(destination) \(source)"
        case .tableInit(let element, let table):
            return " \(element) \(table)"
        case .elemDrop(let element):
            return " \(element)"
        case .tableFill(let table), .tableGet(let table), .tableSet(let table), .tableGrow(let table),
            .tableSize(let table):
            return " \(table)"
        case .v128Const(let value):
            return Self.lanes(value.bytes)
        case .i8x16Shuffle(let mask):
            return Self.lanes(mask.lanes)
        case .simdLane(_, let lane):
            return " \(lane)"
        case .simdMemLane(_, let memarg, let lane):
            return Self.memarg(memarg) + " \(lane)"
        case .refTest(let op, let type):
            return op == .refTestNull ? " null \(type)" : " \(type)"
        case .refCast(let op, let type):
            return op == .refCastNull ? " null \(type)" : " \(type)"
        case .brOnCast(let depth, let from, let to), .brOnCastFail(let depth, let from, let to):
            return " \(depth) \(from) \(to)"
        default:
            return Self.genericOperands(instruction)
        }
    }

    /// Operands of the cases not listed above (atomics, GC), read off the case's payload.
    private static func genericOperands(_ instruction: Instruction) -> String {
        guard let payload = Mirror(reflecting: instruction).children.first?.value else { return "" }
        let values: [Any]
        let mirror = Mirror(reflecting: payload)
        if mirror.displayStyle == .tuple {
            values = mirror.children.map(\.value)
        } else {
            values = [payload]
        }
        return values.map { value in
            if let argument = value as? MemArg { return memarg(argument) }
            return " \(value)"
        }.joined()
    }

    /// `wasm-objdump` prints a memarg as `ALIGN OFFSET` (alignment as its log2), with a memory
    /// index first when it is not 0.
    private static func memarg(_ memarg: MemArg) -> String {
        (memarg.memory != 0 ? " \(memarg.memory)" : "") + " \(memarg.align) \(memarg.offset)"
    }

    private func blockType(_ type: BlockType) -> String {
        switch type {
        case .empty: return ""
        case .type(let value): return " \(value)"
        case .funcType(let index): return " type[\(index)]"
        }
    }

    private func catchClause(_ clause: CatchClause) -> String {
        switch clause {
        case .catch(let tag, let label): return "(catch \(tag) \(label))"
        case .catchRef(let tag, let label): return "(catch_ref \(tag) \(label))"
        case .catchAll(let label): return "(catch_all \(label))"
        case .catchAllRef(let label): return "(catch_all_ref \(label))"
        }
    }

    private func label(_ name: String?) -> String {
        name.map { " <\($0)>" } ?? ""
    }

    /// 16 bytes as four little-endian 32-bit lanes, `0x00000001 0x00000002 …`, like wasm-objdump.
    private static func lanes(_ bytes: [UInt8]) -> String {
        stride(from: 0, to: bytes.count, by: 4).map { start in
            let lane = bytes[start..<min(start + 4, bytes.count)].reversed().map { Hex.byte($0) }.joined()
            return " 0x" + lane
        }.joined()
    }

    // MARK: Constants

    static func hexFloat(_ value: IEEE754.Float32) -> String {
        let float = Float(bitPattern: value.bitPattern)
        if float.isNaN {
            let payload = value.bitPattern & 0x7F_FFFF
            return (float.sign == .minus ? "-" : "") + (payload == 0x40_0000 ? "nan" : "nan:0x\(String(payload, radix: 16))")
        }
        return hexFloat(Double(float))
    }

    static func hexFloat(_ value: IEEE754.Float64) -> String {
        let double = Double(bitPattern: value.bitPattern)
        if double.isNaN {
            let payload = value.bitPattern & 0xF_FFFF_FFFF_FFFF
            return (double.sign == .minus ? "-" : "")
                + (payload == 0x8_0000_0000_0000 ? "nan" : "nan:0x\(String(payload, radix: 16))")
        }
        return hexFloat(double)
    }

    private static func hexFloat(_ value: Double) -> String {
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        return String(format: "%a", value)
    }

    /// A constant expression (global initializer, segment offset) as `wasm-objdump -x` shows it:
    /// `i32=1024`, `global=0`, or the instructions for anything longer.
    func constantExpression(_ expression: ConstExpression) -> String {
        let instructions = expression.filter { $0 != .end }
        if instructions.count == 1 {
            switch instructions[0] {
            case .i32Const(let value): return "i32=\(value)"
            case .i64Const(let value): return "i64=\(value)"
            case .f32Const(let value): return "f32=\(Self.hexFloat(value))"
            case .f64Const(let value): return "f64=\(Self.hexFloat(value))"
            case .globalGet(let index): return "global=\(index)"
            case .refFunc(let index): return "ref.func=\(index)"
            case .refNull(let type): return "ref.null \(type)"
            default: break
            }
        }
        return instructions.map { text($0) }.joined(separator: ", ")
    }

    /// An element segment item: `func[2] <add>` for `ref.func 2`, else the expression.
    func elementItem(_ expression: ConstExpression) -> String {
        let instructions = expression.filter { $0 != .end }
        if instructions.count == 1, case .refFunc(let index) = instructions[0] {
            return "func[\(index)]" + label(module.functionName(index))
        }
        return constantExpression(expression)
    }
}

/// Mnemonics of the nested operator enums (`Instruction.Binary.i32Add` → `i32.add`), derived
/// once per operator. Not shared between threads: each disassembly makes its own.
final class MnemonicCache {
    private var names: [AnyHashable: String] = [:]

    func name<Operator: Hashable>(_ op: Operator) -> String {
        let key = AnyHashable(op)
        if let name = names[key] { return name }
        let name = InstructionText.wasmName(String(describing: op))
        names[key] = name
        return name
    }
}

/// Lowercase hex formatting without Foundation's `String(format:)`.
enum Hex {
    private static let digits = Array("0123456789abcdef")

    static func byte(_ value: UInt8) -> String {
        String([digits[Int(value >> 4)], digits[Int(value & 0x0F)]])
    }

    /// `20 00 0b`: bytes as space-separated pairs.
    static func spaced(_ bytes: ArraySlice<UInt8>) -> String {
        var characters: [Character] = []
        characters.reserveCapacity(bytes.count * 3)
        for byte in bytes {
            if !characters.isEmpty { characters.append(" ") }
            characters.append(digits[Int(byte >> 4)])
            characters.append(digits[Int(byte & 0x0F)])
        }
        return String(characters)
    }

    /// `value` in hex, zero-padded to `width` digits.
    static func padded(_ value: Int, width: Int) -> String {
        let text = String(value, radix: 16)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }
}
