/// A 64-bit FNV-1a digest of a module's bytes, the key of the module cache.
///
/// The cache compares the full bytes on every hit, so the digest only needs to spread keys,
/// not resist collisions; that is why a cryptographic hash (and its dependency) is not used.
package struct ContentHash: Hashable, Sendable, CustomStringConvertible {
    package let value: UInt64

    package init(_ bytes: [UInt8]) {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        value = hash
    }

    package var description: String {
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
