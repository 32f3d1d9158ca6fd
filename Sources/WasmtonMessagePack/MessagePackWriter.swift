/// Appends the MessagePack encoding of values to a byte array, always in the smallest format.
struct MessagePackWriter {
    /// The encoding so far (``JSONTranscoder`` also writes to it directly).
    var bytes: [UInt8] = []

    mutating func write(_ value: MessagePackValue) {
        switch value {
        case .nil:
            bytes.append(0xc0)
        case .bool(let flag):
            bytes.append(flag ? 0xc3 : 0xc2)
        case .uint(let number):
            writeUnsigned(number)
        case .int(let number):
            if number >= 0 { writeUnsigned(UInt64(number)) } else { writeNegative(number) }
        case .float(let number):
            bytes.append(0xca)
            appendBigEndian(number.bitPattern)
        case .double(let number):
            bytes.append(0xcb)
            appendBigEndian(number.bitPattern)
        case .string(let text):
            var text = text
            text.withUTF8 { writeString(utf8: $0) }
        case .binary(let data):
            writeHeader(count: data.count, fix: nil, fixLimit: 0, width8: 0xc4, width16: 0xc5, width32: 0xc6, kind: "binary")
            bytes.append(contentsOf: data)
        case .array(let elements):
            writeHeader(count: elements.count, fix: 0x90, fixLimit: 16, width8: nil, width16: 0xdc, width32: 0xdd, kind: "array")
            for element in elements { write(element) }
        case .map(let pairs):
            writeHeader(count: pairs.count, fix: 0x80, fixLimit: 16, width8: nil, width16: 0xde, width32: 0xdf, kind: "map")
            for pair in pairs {
                write(pair.key)
                write(pair.value)
            }
        case .extension(let type, let data):
            switch data.count {
            case 1: bytes.append(0xd4)
            case 2: bytes.append(0xd5)
            case 4: bytes.append(0xd6)
            case 8: bytes.append(0xd7)
            case 16: bytes.append(0xd8)
            default:
                writeHeader(
                    count: data.count, fix: nil, fixLimit: 0, width8: 0xc7, width16: 0xc8, width32: 0xc9, kind: "extension")
            }
            bytes.append(UInt8(bitPattern: type))
            bytes.append(contentsOf: data)
        }
    }

    /// A string of the UTF-8 bytes `utf8` (the caller checked them).
    mutating func writeString(utf8: UnsafeBufferPointer<UInt8>) {
        writeHeader(count: utf8.count, fix: 0xa0, fixLimit: 32, width8: 0xd9, width16: 0xda, width32: 0xdb, kind: "string")
        bytes.append(contentsOf: utf8)
    }

    /// Positive fixint, uint 8, 16, 32 or 64.
    private mutating func writeUnsigned(_ number: UInt64) {
        if number < 0x80 {
            bytes.append(UInt8(number))
        } else if number <= UInt64(UInt8.max) {
            bytes.append(0xcc)
            bytes.append(UInt8(number))
        } else if number <= UInt64(UInt16.max) {
            bytes.append(0xcd)
            appendBigEndian(UInt16(number))
        } else if number <= UInt64(UInt32.max) {
            bytes.append(0xce)
            appendBigEndian(UInt32(number))
        } else {
            bytes.append(0xcf)
            appendBigEndian(number)
        }
    }

    /// Negative fixint, int 8, 16, 32 or 64 (for `number < 0`).
    private mutating func writeNegative(_ number: Int64) {
        if number >= -32 {
            bytes.append(UInt8(truncatingIfNeeded: number))
        } else if number >= Int64(Int8.min) {
            bytes.append(0xd0)
            bytes.append(UInt8(truncatingIfNeeded: number))
        } else if number >= Int64(Int16.min) {
            bytes.append(0xd1)
            appendBigEndian(UInt16(truncatingIfNeeded: number))
        } else if number >= Int64(Int32.min) {
            bytes.append(0xd2)
            appendBigEndian(UInt32(truncatingIfNeeded: number))
        } else {
            bytes.append(0xd3)
            appendBigEndian(UInt64(bitPattern: number))
        }
    }

    /// The head of a string, binary, array, map or ext 8/16/32: the fix form when `count` is
    /// below `fixLimit`, else the narrowest sized form the family has.
    private mutating func writeHeader(
        count: Int, fix: UInt8?, fixLimit: Int, width8: UInt8?, width16: UInt8, width32: UInt8, kind: StaticString
    ) {
        if let fix, count < fixLimit {
            bytes.append(fix | UInt8(count))
        } else if let width8, count <= Int(UInt8.max) {
            bytes.append(width8)
            bytes.append(UInt8(count))
        } else if count <= Int(UInt16.max) {
            bytes.append(width16)
            appendBigEndian(UInt16(count))
        } else if count <= Int(UInt32.max) {
            bytes.append(width32)
            appendBigEndian(UInt32(count))
        } else {
            preconditionFailure("MessagePack cannot encode a \(kind) of \(count) bytes or elements (the limit is 2^32 - 1)")
        }
    }

    private mutating func appendBigEndian<T: FixedWidthInteger & UnsignedInteger>(_ number: T) {
        var shift = T.bitWidth - 8
        while shift >= 0 {
            bytes.append(UInt8(truncatingIfNeeded: number >> shift))
            shift -= 8
        }
    }
}
