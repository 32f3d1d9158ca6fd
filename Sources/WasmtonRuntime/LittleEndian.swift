/// Little-endian integers in byte arrays: the layout of every WASI and guest ABI structure.
extension Array where Element == UInt8 {
    /// The `T` stored little-endian at `offset` (the caller has checked the bytes are there).
    func littleEndian<T: FixedWidthInteger & UnsignedInteger>(_: T.Type, at offset: Int) -> T {
        (0..<MemoryLayout<T>.size).reduce(T.zero) { $0 | T(self[offset + $1]) << (8 * $1) }
    }

    /// `value`'s bytes, least significant first.
    static func littleEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        (0..<MemoryLayout<T>.size).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
    }
}
