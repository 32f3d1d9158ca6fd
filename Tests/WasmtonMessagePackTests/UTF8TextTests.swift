import Testing
import WasmtonMessagePack

@Suite("UTF-8 text from bytes")
struct UTF8TextTests {
    @Test("valid UTF-8 comes back as its string; anything ill-formed is refused, whatever its length")
    func validation() {
        let valid: [[UInt8]] = [[], Array("check_word".utf8), Array("grüße 日本 🙂".utf8)]
        for bytes in valid {
            #expect(UTF8Text.string(bytes[...]) == String(decoding: bytes, as: UTF8.self))
        }
        let invalid: [[UInt8]] = [
            [0xFF], [0x61, 0xC3], [0xE0, 0xA0],
            // A truncated 4-byte sequence is replaced by one U+FFFD of the same 3 bytes' length.
            [0xF0, 0x90, 0x80], [0x61, 0xF0, 0x90, 0x80, 0x62],
            // Overlong, surrogate, past U+10FFFF.
            [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80],
        ]
        for bytes in invalid {
            #expect(UTF8Text.string(bytes[...]) == nil, "\(bytes)")
        }
    }
}
