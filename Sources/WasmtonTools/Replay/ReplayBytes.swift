/// How replay reports show bytes: quoted text when they are printable UTF-8, hex otherwise.
enum ReplayBytes {
    /// The bytes as UTF-8 text, if they are valid UTF-8 (control characters allowed).
    static func utf8(_ bytes: [UInt8]) -> String? {
        String(validating: bytes, as: UTF8.self)
    }

    /// `"text"` (escaped, cut at `limit` characters) or `0x…` hex (cut at `limit` bytes).
    static func display(_ bytes: [UInt8], limit: Int = 60) -> String {
        if let text = utf8(bytes) {
            var out = "\""
            for (index, scalar) in text.unicodeScalars.enumerated() {
                if index == limit {
                    out += "…"
                    break
                }
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\t": out += "\\t"
                default:
                    if scalar.value < 0x20 || scalar.value == 0x7f {
                        out += "\\u{\(String(scalar.value, radix: 16))}"
                    } else {
                        out.unicodeScalars.append(scalar)
                    }
                }
            }
            return out + "\""
        }
        let hex = bytes.prefix(limit).map { byte in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }.joined()
        return "0x" + hex + (bytes.count > limit ? "…" : "")
    }
}
