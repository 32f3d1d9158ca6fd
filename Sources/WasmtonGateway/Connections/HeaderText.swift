/// The byte-level rules of HTTP header text that the request reader (``RequestHead``) and the
/// proxy's header rewriting (``ProxyHeaders``) both apply: what a token is, names and tokens
/// compared without regard to ASCII letter case, and values without their optional whitespace.
enum HeaderText {
    /// Whether `bytes` spell `lowercased` in any ASCII letter case.
    static func equals<Bytes: Collection<UInt8>>(_ bytes: Bytes, _ lowercased: StaticString) -> Bool {
        guard bytes.count == lowercased.utf8CodeUnitCount else { return false }
        // A string's bytes in place (native and small strings have them): a plain loop over
        // memory, where walking a `String.UTF8View` costs several times more per byte.
        if let equal = bytes.withContiguousStorageIfAvailable({ equals($0, lowercased) }) { return equal }
        var index = 0
        for byte in bytes {
            guard lowered(byte) == lowercased.utf8Start[index] else { return false }
            index += 1
        }
        return true
    }

    private static func equals(_ bytes: UnsafeBufferPointer<UInt8>, _ lowercased: StaticString) -> Bool {
        let expected = lowercased.utf8Start
        for index in bytes.indices where lowered(bytes[index]) != expected[index] { return false }
        return true
    }

    /// Whether `bytes` are exactly `text`, case included (a method, a version, a path, a query
    /// key), compared in place: the generic `elementsEqual` against a `String.UTF8View` cost
    /// more than reading the rest of a request line.
    static func spells<Bytes: Collection<UInt8>>(_ bytes: Bytes, _ text: StaticString) -> Bool {
        guard bytes.count == text.utf8CodeUnitCount else { return false }
        var index = 0
        for byte in bytes {
            guard byte == text.utf8Start[index] else { return false }
            index += 1
        }
        return true
    }

    private static func lowered(_ byte: UInt8) -> UInt8 {
        byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
    }

    /// Whether `name` is a token: at least one byte, all of them ``isTokenByte(_:)``.
    static func isToken(_ name: String) -> Bool {
        var name = name
        return name.withUTF8 { !$0.isEmpty && $0.allSatisfy(isTokenByte) }
    }

    /// Whether `byte` may appear in a token (RFC 9110 §5.6.2's `tchar`), such as a header name.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "!"), UInt8(ascii: "#"),
            UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "*"),
            UInt8(ascii: "+"), UInt8(ascii: "^"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    /// `range` of `bytes` without the spaces and tabs at either end (RFC 9110 §5.6.3's OWS).
    static func trimmed(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Range<Int> {
        var start = range.lowerBound
        var end = range.upperBound
        while start < end, bytes[start] == 32 || bytes[start] == 9 { start += 1 }
        while end > start, bytes[end - 1] == 32 || bytes[end - 1] == 9 { end -= 1 }
        return start..<end
    }
}
