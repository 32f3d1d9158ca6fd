/// Text from bytes that must be UTF-8, checked without the standard library's generic
/// validation: `String(validating:as:)` looks generic metadata up on every call, which for the
/// short strings of a request (a JSON key, a query value) costs more than the rest of decoding
/// them.
package enum UTF8Text {
    /// The string `bytes` spell, or nil when they are not valid UTF-8.
    package static func string(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        let text = String(decoding: bytes, as: UTF8.self)
        // Decoding replaces each ill-formed sequence with U+FFFD: valid bytes come back unchanged,
        // and ASCII bytes are always valid.
        guard text.utf8.count == bytes.count else { return nil }
        if bytes.allSatisfy({ $0 < 0x80 }) { return text }
        return text.utf8.elementsEqual(bytes) ? text : nil
    }

    /// Whether `bytes` are valid UTF-8 (ASCII checked without decoding).
    package static func isValid(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        bytes.allSatisfy { $0 < 0x80 } || string(bytes) != nil
    }

    /// ``string(_:)`` for an array's slice.
    package static func string(_ bytes: ArraySlice<UInt8>) -> String? {
        bytes.withUnsafeBufferPointer { string($0) }
    }
}
