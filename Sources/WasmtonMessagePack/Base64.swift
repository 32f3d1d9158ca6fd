/// Standard base64 (RFC 4648 §4, `+` and `/`), used by the JSON mapping for binary and extension data.
enum Base64 {
    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Sextet values by ASCII code, 0xff for a byte outside the alphabet.
    private static let sextets: [UInt8] = {
        var table = [UInt8](repeating: 0xff, count: 256)
        for (index, symbol) in alphabet.enumerated() { table[Int(symbol)] = UInt8(index) }
        return table
    }()

    /// Encodes with `=` padding.
    static func encode(_ data: [UInt8]) -> String {
        let outputCount = (data.count + 2) / 3 * 4
        let output = [UInt8](unsafeUninitializedCapacity: outputCount) { output, initialized in
            alphabet.withUnsafeBufferPointer { alphabet in
                data.withUnsafeBufferPointer { input in
                    var read = 0
                    var written = 0
                    while read < input.count {
                        let remaining = input.count - read
                        let b0 = UInt32(input[read])
                        let b1 = remaining > 1 ? UInt32(input[read + 1]) : 0
                        let b2 = remaining > 2 ? UInt32(input[read + 2]) : 0
                        let group = b0 << 16 | b1 << 8 | b2
                        output[written] = alphabet[Int(group >> 18 & 0x3f)]
                        output[written + 1] = alphabet[Int(group >> 12 & 0x3f)]
                        output[written + 2] = remaining > 1 ? alphabet[Int(group >> 6 & 0x3f)] : 0x3d  // "="
                        output[written + 3] = remaining > 2 ? alphabet[Int(group & 0x3f)] : 0x3d
                        read += 3
                        written += 4
                    }
                }
            }
            initialized = outputCount
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Decodes standard base64, with or without the `=` padding; `nil` for anything else
    /// (another alphabet, whitespace, wrong padding, a dangling character).
    static func decode(_ text: String) -> [UInt8]? {
        var text = text
        return text.withUTF8 { symbols in
            var count = symbols.count
            if count % 4 == 0, count > 0, symbols[count - 1] == 0x3d {
                count -= 1
                if symbols[count - 1] == 0x3d { count -= 1 }
            }
            guard count % 4 != 1 else { return nil }
            let outputCount = count * 3 / 4
            var valid = true
            let output = [UInt8](unsafeUninitializedCapacity: outputCount) { output, initialized in
                sextets.withUnsafeBufferPointer { sextets in
                    var group: UInt32 = 0
                    var bits: UInt32 = 0
                    var written = 0
                    for index in 0..<count {
                        let sextet = sextets[Int(symbols[index])]
                        if sextet == 0xff {
                            valid = false
                            break
                        }
                        group = group << 6 | UInt32(sextet)
                        bits += 6
                        if bits >= 8 {
                            bits -= 8
                            output[written] = UInt8(truncatingIfNeeded: group >> bits)
                            written += 1
                        }
                    }
                    initialized = written
                }
            }
            return valid ? output : nil
        }
    }
}
