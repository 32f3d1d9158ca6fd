/// The byte-level rules of HTTP header text that the request reader (``RequestHead``) and the
/// proxy's header rewriting (``ProxyHeaders``) both apply: what a token is, names and tokens
/// compared without regard to ASCII letter case, and values without their optional whitespace.
enum HeaderText {
    /// Whether `bytes` spell `lowercased` in any ASCII letter case.
    static func equals<Bytes: Collection<UInt8>>(_ bytes: Bytes, _ lowercased: StaticString) -> Bool {
        guard bytes.count == lowercased.utf8CodeUnitCount else { return false }
        var index = 0
        for byte in bytes {
            guard (byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte) == lowercased.utf8Start[index] else { return false }
            index += 1
        }
        return true
    }

    /// Whether `byte` may appear in a token (RFC 9110 §5.6.2's `tchar`), such as a header name.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }

    /// Whether `bytes` are a token: at least one byte, all of them ``isTokenByte(_:)``.
    static func isToken<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> Bool {
        !bytes.isEmpty && bytes.allSatisfy(isTokenByte)
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
