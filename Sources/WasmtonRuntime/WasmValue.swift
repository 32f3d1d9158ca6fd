import Foundation

/// A WebAssembly value passed to or returned from a guest function.
///
/// Engine-neutral on purpose: contracts and triggers speak in these, never in an engine's own
/// value type, so a second engine can sit behind the Runtime layer without changing them.
public enum WasmValue: Hashable, Sendable, CustomStringConvertible {
    case i32(Int32)
    case i64(Int64)
    case f32(Float)
    case f64(Double)

    /// The type of this value.
    public var kind: ValueKind {
        switch self {
        case .i32: return .i32
        case .i64: return .i64
        case .f32: return .f32
        case .f64: return .f64
        }
    }

    /// The value as `wasmtime --invoke` prints it: integers signed, floats in decimal.
    public var description: String {
        switch self {
        case .i32(let value): return String(value)
        case .i64(let value): return String(value)
        case .f32(let value): return Self.format(value)
        case .f64(let value): return Self.format(value)
        }
    }

    /// Shortest decimal that reads back as the same value, in the value's own precision.
    private static func format<F: BinaryFloatingPoint & LosslessStringConvertible>(_ value: F) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value.sign == .minus ? "-inf" : "inf" }
        return String(value)
    }

    /// Parses a command-line argument as a value of `kind`: decimal or `0x` hex integers
    /// (negative or unsigned up to the type's width), decimal floats, `inf`, `-inf` and `nan`.
    public init?(parsing text: String, as kind: ValueKind) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        switch kind {
        case .i32:
            guard let value = Self.parseInteger(trimmed, bits: 32) else { return nil }
            self = .i32(Int32(truncatingIfNeeded: value))
        case .i64:
            guard let value = Self.parseInteger(trimmed, bits: 64) else { return nil }
            self = .i64(Int64(truncatingIfNeeded: value))
        case .f32:
            guard let value = Self.parseFloat(trimmed) else { return nil }
            self = .f32(Float(value))
        case .f64:
            guard let value = Self.parseFloat(trimmed) else { return nil }
            self = .f64(value)
        case .v128, .funcref, .externref, .other:
            return nil
        }
    }

    private static func parseInteger(_ text: String, bits: Int) -> Int64? {
        var digits = Substring(text)
        var negative = false
        if digits.hasPrefix("-") {
            negative = true
            digits = digits.dropFirst()
        } else if digits.hasPrefix("+") {
            digits = digits.dropFirst()
        }
        var radix = 10
        if digits.hasPrefix("0x") || digits.hasPrefix("0X") {
            radix = 16
            digits = digits.dropFirst(2)
        }
        let cleaned = digits.replacingOccurrences(of: "_", with: "")
        guard !cleaned.isEmpty, let magnitude = UInt64(cleaned, radix: radix) else { return nil }
        if negative {
            let limit = UInt64(1) << (bits - 1)
            guard magnitude <= limit else { return nil }
            return magnitude == UInt64(1) << 63 ? Int64.min : -Int64(magnitude)
        }
        if bits == 32 {
            guard magnitude <= UInt64(UInt32.max) else { return nil }
            return Int64(magnitude)
        }
        return Int64(bitPattern: magnitude)
    }

    private static func parseFloat(_ text: String) -> Double? {
        switch text.lowercased() {
        case "inf", "+inf", "infinity": return .infinity
        case "-inf", "-infinity": return -.infinity
        case "nan", "+nan": return .nan
        case "-nan": return -.nan
        default: return Double(text)
        }
    }
}

/// The type of a WebAssembly value, as a signature names it.
public enum ValueKind: Hashable, Sendable, CustomStringConvertible {
    case i32, i64, f32, f64, v128, funcref, externref
    /// A reference type the Runtime has no first-class support for (GC proposal types).
    case other(String)

    public var description: String {
        switch self {
        case .i32: return "i32"
        case .i64: return "i64"
        case .f32: return "f32"
        case .f64: return "f64"
        case .v128: return "v128"
        case .funcref: return "funcref"
        case .externref: return "externref"
        case .other(let name): return name
        }
    }
}

/// The parameter and result types of a function.
public struct FunctionSignature: Hashable, Sendable, CustomStringConvertible {
    public var parameters: [ValueKind]
    public var results: [ValueKind]

    public init(parameters: [ValueKind], results: [ValueKind] = []) {
        self.parameters = parameters
        self.results = results
    }

    /// `(i32, i32) -> i32`, the way wasm-objdump prints signatures.
    public var description: String {
        let params = "(" + parameters.map(\.description).joined(separator: ", ") + ")"
        let result: String
        switch results.count {
        case 0: result = "nil"
        case 1: result = results[0].description
        default: result = "(" + results.map(\.description).joined(separator: ", ") + ")"
        }
        return "\(params) -> \(result)"
    }
}
