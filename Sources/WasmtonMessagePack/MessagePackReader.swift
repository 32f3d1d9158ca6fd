/// Reads one MessagePack value from a byte array, without recursion.
///
/// Containers in progress live on an explicit stack, so hostile nesting costs neither the
/// thread's stack nor more than `MessagePack.maximumDepth` frames; every length is checked
/// against the remaining bytes before anything is sliced or reserved.
struct MessagePackReader {
    let bytes: [UInt8]
    /// The offset of the next byte to read.
    var position: Int

    /// An array or map being filled.
    private struct Frame {
        var isMap: Bool
        /// Values still to read: elements of an array, keys plus values of a map.
        var remaining: Int
        var elements: [MessagePackValue] = []
        var pairs: [MessagePackValue.Pair] = []
        var pendingKey: MessagePackValue = .nil
    }

    init(bytes: [UInt8], position: Int) {
        self.bytes = bytes
        self.position = position
    }

    mutating func readValue() throws(MessagePackError) -> MessagePackValue {
        var stack: [Frame] = []
        while true {
            var value: MessagePackValue
            let start = position
            switch try readHead(start: start) {
            case .value(let scalar):
                value = scalar
            case .container(let isMap, let count):
                guard stack.count < MessagePack.maximumDepth else { throw .tooDeep(offset: start) }
                if count == 0 {
                    value = isMap ? .map([]) : .array([])
                } else {
                    // Each element takes at least one byte: a count beyond what remains is a lie.
                    let needed = isMap ? count * 2 : count
                    guard needed <= bytes.count - position else { throw .truncated(offset: start) }
                    var frame = Frame(isMap: isMap, remaining: needed)
                    let reserve = Swift.min(count, 1024)
                    if isMap { frame.pairs.reserveCapacity(reserve) } else { frame.elements.reserveCapacity(reserve) }
                    stack.append(frame)
                    continue
                }
            }
            // Hand the finished value to the container that waits for it, closing full ones.
            while !stack.isEmpty {
                let top = stack.count - 1
                stack[top].remaining -= 1
                if stack[top].isMap {
                    if stack[top].remaining % 2 == 1 {
                        stack[top].pendingKey = value
                    } else {
                        stack[top].pairs.append(MessagePackValue.Pair(key: stack[top].pendingKey, value: value))
                    }
                } else {
                    stack[top].elements.append(value)
                }
                guard stack[top].remaining == 0 else { break }
                let done = stack.removeLast()
                value = done.isMap ? .map(done.pairs) : .array(done.elements)
            }
            if stack.isEmpty { return value }
        }
    }

    private enum Head {
        case value(MessagePackValue)
        case container(isMap: Bool, count: Int)
    }

    /// Reads a head byte and, for anything but an array or map, the whole value.
    private mutating func readHead(start: Int) throws(MessagePackError) -> Head {
        guard position < bytes.count else { throw .truncated(offset: start) }
        let byte = bytes[position]
        position += 1
        switch byte {
        case 0x00...0x7f: return .value(.uint(UInt64(byte)))
        case 0x80...0x8f: return .container(isMap: true, count: Int(byte & 0x0f))
        case 0x90...0x9f: return .container(isMap: false, count: Int(byte & 0x0f))
        case 0xa0...0xbf: return .value(try readString(count: Int(byte & 0x1f), start: start))
        case 0xc0: return .value(.nil)
        case 0xc1: throw .reservedByte(offset: start)
        case 0xc2: return .value(.bool(false))
        case 0xc3: return .value(.bool(true))
        case 0xc4: return .value(.binary(try readBytes(count: Int(try readUnsigned(1, start: start)), start: start)))
        case 0xc5: return .value(.binary(try readBytes(count: Int(try readUnsigned(2, start: start)), start: start)))
        case 0xc6: return .value(.binary(try readBytes(count: Int(try readUnsigned(4, start: start)), start: start)))
        case 0xc7: return .value(try readExtension(count: Int(try readUnsigned(1, start: start)), start: start))
        case 0xc8: return .value(try readExtension(count: Int(try readUnsigned(2, start: start)), start: start))
        case 0xc9: return .value(try readExtension(count: Int(try readUnsigned(4, start: start)), start: start))
        case 0xca: return .value(.float(Float(bitPattern: UInt32(try readUnsigned(4, start: start)))))
        case 0xcb: return .value(.double(Double(bitPattern: try readUnsigned(8, start: start))))
        case 0xcc: return .value(.uint(try readUnsigned(1, start: start)))
        case 0xcd: return .value(.uint(try readUnsigned(2, start: start)))
        case 0xce: return .value(.uint(try readUnsigned(4, start: start)))
        case 0xcf: return .value(.uint(try readUnsigned(8, start: start)))
        case 0xd0: return .value(Self.integer(Int64(Int8(truncatingIfNeeded: try readUnsigned(1, start: start)))))
        case 0xd1: return .value(Self.integer(Int64(Int16(truncatingIfNeeded: try readUnsigned(2, start: start)))))
        case 0xd2: return .value(Self.integer(Int64(Int32(truncatingIfNeeded: try readUnsigned(4, start: start)))))
        case 0xd3: return .value(Self.integer(Int64(bitPattern: try readUnsigned(8, start: start))))
        case 0xd4: return .value(try readExtension(count: 1, start: start))
        case 0xd5: return .value(try readExtension(count: 2, start: start))
        case 0xd6: return .value(try readExtension(count: 4, start: start))
        case 0xd7: return .value(try readExtension(count: 8, start: start))
        case 0xd8: return .value(try readExtension(count: 16, start: start))
        case 0xd9: return .value(try readString(count: Int(try readUnsigned(1, start: start)), start: start))
        case 0xda: return .value(try readString(count: Int(try readUnsigned(2, start: start)), start: start))
        case 0xdb: return .value(try readString(count: Int(try readUnsigned(4, start: start)), start: start))
        case 0xdc: return .container(isMap: false, count: Int(try readUnsigned(2, start: start)))
        case 0xdd: return .container(isMap: false, count: Int(try readUnsigned(4, start: start)))
        case 0xde: return .container(isMap: true, count: Int(try readUnsigned(2, start: start)))
        case 0xdf: return .container(isMap: true, count: Int(try readUnsigned(4, start: start)))
        default: return .value(.int(Int64(Int8(bitPattern: byte))))  // 0xe0...0xff: negative fixint
        }
    }

    /// Signed wire integers that are non-negative decode as `.uint`, so equal numbers are equal values.
    private static func integer(_ number: Int64) -> MessagePackValue {
        number >= 0 ? .uint(UInt64(number)) : .int(number)
    }

    /// A big-endian unsigned integer of `width` bytes.
    private mutating func readUnsigned(_ width: Int, start: Int) throws(MessagePackError) -> UInt64 {
        guard width <= bytes.count - position else { throw .truncated(offset: start) }
        var number: UInt64 = 0
        for index in position..<(position + width) {
            number = number << 8 | UInt64(bytes[index])
        }
        position += width
        return number
    }

    private mutating func readBytes(count: Int, start: Int) throws(MessagePackError) -> [UInt8] {
        guard count <= bytes.count - position else { throw .truncated(offset: start) }
        let slice = bytes[position..<(position + count)]
        position += count
        return Array(slice)
    }

    private mutating func readString(count: Int, start: Int) throws(MessagePackError) -> MessagePackValue {
        guard count <= bytes.count - position else { throw .truncated(offset: start) }
        let slice = bytes[position..<(position + count)]
        guard let text = UTF8Text.string(slice) else { throw .invalidUTF8(offset: start) }
        position += count
        return .string(text)
    }

    /// The type byte and `count` data bytes of a fixext or ext 8/16/32.
    private mutating func readExtension(count: Int, start: Int) throws(MessagePackError) -> MessagePackValue {
        let type = Int8(truncatingIfNeeded: try readUnsigned(1, start: start))
        return .extension(type: type, data: try readBytes(count: count, start: start))
    }
}
