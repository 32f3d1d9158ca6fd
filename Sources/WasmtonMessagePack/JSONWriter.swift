/// Writes a `MessagePackValue` as compact JSON (no spaces), with the tagged objects of the JSON
/// mapping for what plain JSON cannot hold.
struct JSONWriter {
    private(set) var bytes: [UInt8] = []

    mutating func write(_ value: MessagePackValue) {
        switch value {
        case .nil:
            append("null")
        case .bool(let flag):
            append(flag ? "true" : "false")
        case .uint(let number):
            append(String(number))
        case .int(let number):
            append(String(number))
        case .double(let number):
            if number.isFinite {
                // Swift's description is the shortest text that reads back to the same bits, and
                // always has a "." or an exponent, so it reads back as a double.
                append(number.description)
            } else {
                writeTag(.float64) { $0.writeString(Self.nonFiniteName(isNaN: number.isNaN, sign: number.sign)) }
            }
        case .float(let number):
            writeTag(.float32) { writer in
                if number.isFinite {
                    writer.append(number.description)
                } else {
                    writer.writeString(Self.nonFiniteName(isNaN: number.isNaN, sign: number.sign))
                }
            }
        case .string(let text):
            writeString(text)
        case .binary(let data):
            writeTag(.binary) { $0.writeString(Base64.encode(data)) }
        case .extension(let type, let data):
            writeTag(.extension) { writer in
                writer.append("{\"type\":")
                writer.append(String(type))
                writer.append(",\"data\":")
                writer.writeString(Base64.encode(data))
                writer.bytes.append(UInt8(ascii: "}"))
            }
        case .array(let elements):
            bytes.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                write(element)
            }
            bytes.append(UInt8(ascii: "]"))
        case .map(let pairs):
            if Self.isPlainObject(pairs) {
                bytes.append(UInt8(ascii: "{"))
                for (index, pair) in pairs.enumerated() {
                    if index > 0 { bytes.append(UInt8(ascii: ",")) }
                    write(pair.key)
                    bytes.append(UInt8(ascii: ":"))
                    write(pair.value)
                }
                bytes.append(UInt8(ascii: "}"))
            } else {
                writeTag(.map) { writer in
                    writer.bytes.append(UInt8(ascii: "["))
                    for (index, pair) in pairs.enumerated() {
                        if index > 0 { writer.bytes.append(UInt8(ascii: ",")) }
                        writer.bytes.append(UInt8(ascii: "["))
                        writer.write(pair.key)
                        writer.bytes.append(UInt8(ascii: ","))
                        writer.write(pair.value)
                        writer.bytes.append(UInt8(ascii: "]"))
                    }
                    writer.bytes.append(UInt8(ascii: "]"))
                }
            }
        }
    }

    /// A map reads back from a plain JSON object when every key is a string, unless it has a
    /// single key that is a reserved tag (which would read back as the tagged value).
    private static func isPlainObject(_ pairs: [MessagePackValue.Pair]) -> Bool {
        for pair in pairs {
            guard case .string(let key) = pair.key else { return false }
            if pairs.count == 1, JSONTag(rawValue: key) != nil { return false }
        }
        return true
    }

    private static func nonFiniteName(isNaN: Bool, sign: FloatingPointSign) -> String {
        if isNaN { return JSONTag.notANumber }
        return sign == .minus ? JSONTag.negativeInfinity : JSONTag.infinity
    }

    /// `{"<tag>":<body>}`.
    private mutating func writeTag(_ tag: JSONTag, body: (inout JSONWriter) -> Void) {
        bytes.append(UInt8(ascii: "{"))
        writeString(tag.rawValue)
        bytes.append(UInt8(ascii: ":"))
        body(&self)
        bytes.append(UInt8(ascii: "}"))
    }

    private mutating func append(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    /// A JSON string: `"` and `\` escaped, control characters as short escapes or `\u00XX`,
    /// everything else (all of Unicode) as its UTF-8 bytes, copied in runs.
    private mutating func writeString(_ text: String) {
        bytes.append(0x22)
        var text = text
        text.withUTF8 { utf8 in
            var run = 0
            for index in 0..<utf8.count {
                let byte = utf8[index]
                guard byte < 0x20 || byte == 0x22 || byte == 0x5c else { continue }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[run..<index]))
                writeEscape(byte)
                run = index + 1
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[run...]))
        }
        bytes.append(0x22)
    }

    private mutating func writeEscape(_ byte: UInt8) {
        switch byte {
        case 0x22: append("\\\"")
        case 0x5c: append("\\\\")
        case 0x0a: append("\\n")
        case 0x0d: append("\\r")
        case 0x09: append("\\t")
        case 0x08: append("\\b")
        case 0x0c: append("\\f")
        default:
            let hex = Array("0123456789abcdef".utf8)
            append("\\u00")
            bytes.append(hex[Int(byte >> 4)])
            bytes.append(hex[Int(byte & 0x0f)])
        }
    }
}
