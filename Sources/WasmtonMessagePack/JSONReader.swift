/// Reads JSON text (RFC 8259) into a `MessagePackValue` with the mapping documented on
/// `MessagePackValue.fromJSON(_:)`, tagged objects included, without recursion.
///
/// Open arrays and objects live on an explicit stack bounded by `maximumRawDepth`; the
/// MessagePack nesting of the result is then held to `MessagePack.maximumDepth`, so whatever this
/// accepts encodes to bytes that `MessagePack.decode` accepts.
struct JSONReader {
    /// The deepest JSON nesting a valid document can need: a MessagePack level takes at most
    /// three JSON levels (`{"$map":[[k,v]]}`), and a leaf at most two (`{"$ext":{…}}`).
    static let maximumRawDepth = 3 * MessagePack.maximumDepth + 2

    private let bytes: [UInt8]
    private var position = 0

    /// An array or object being filled.
    private struct Frame {
        var isObject: Bool
        /// The offset of its `[` or `{`.
        var start: Int
        var values: [MessagePackValue] = []
        var keys: [String] = []
        /// The largest MessagePack nesting among the values so far (0 for scalars).
        var height = 0
        /// Where the last value's text lies (a `$f32` number is read again from its text).
        var lastValue: Range<Int> = 0..<0
    }

    /// A finished value and the MessagePack nesting it holds.
    private struct Parsed {
        var value: MessagePackValue
        var height: Int
    }

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    mutating func read() throws(MessagePackError) -> MessagePackValue {
        var stack: [Frame] = []
        parsing: while true {
            skipWhitespace()
            let start = position
            guard position < bytes.count else { throw failure(at: position, "unexpected end of input, expected a value") }
            var parsed: Parsed
            switch bytes[position] {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                let isObject = bytes[position] == UInt8(ascii: "{")
                guard stack.count < Self.maximumRawDepth else {
                    throw failure(at: start, "nesting deeper than \(MessagePack.maximumDepth) levels")
                }
                position += 1
                skipWhitespace()
                if position < bytes.count, bytes[position] == UInt8(ascii: isObject ? "}" : "]") {
                    position += 1
                    parsed = Parsed(value: isObject ? .map([]) : .array([]), height: 1)
                } else {
                    var frame = Frame(isObject: isObject, start: start)
                    if isObject { frame.keys.append(try readKey()) }
                    stack.append(frame)
                    continue parsing
                }
            case UInt8(ascii: "\""):
                parsed = Parsed(value: .string(try readString()), height: 0)
            case UInt8(ascii: "t"):
                try readLiteral("true")
                parsed = Parsed(value: .bool(true), height: 0)
            case UInt8(ascii: "f"):
                try readLiteral("false")
                parsed = Parsed(value: .bool(false), height: 0)
            case UInt8(ascii: "n"):
                try readLiteral("null")
                parsed = Parsed(value: .nil, height: 0)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                parsed = Parsed(value: try readNumber(), height: 0)
            default:
                throw failure(at: position, "expected a value, found \(describe(bytes[position]))")
            }

            // Hand the finished value to the open container, closing every one that ends here.
            var valueText = start..<position
            while !stack.isEmpty {
                let top = stack.count - 1
                stack[top].values.append(parsed.value)
                stack[top].height = Swift.max(stack[top].height, parsed.height)
                stack[top].lastValue = valueText
                let isObject = stack[top].isObject
                skipWhitespace()
                let close = UInt8(ascii: isObject ? "}" : "]")
                if position < bytes.count, bytes[position] == UInt8(ascii: ",") {
                    position += 1
                    if isObject { stack[top].keys.append(try readKey()) }
                    continue parsing
                } else if position < bytes.count, bytes[position] == close {
                    position += 1
                    let frame = stack.removeLast()
                    parsed = try finish(frame)
                    valueText = frame.start..<position
                } else {
                    let expected = isObject ? "',' or '}' after an object member" : "',' or ']' after an array element"
                    throw failure(at: position, "expected \(expected), found \(describeNext())")
                }
            }
            guard parsed.height <= MessagePack.maximumDepth else {
                throw failure(at: valueText.lowerBound, "nesting deeper than \(MessagePack.maximumDepth) levels")
            }
            skipWhitespace()
            guard position == bytes.count else {
                throw failure(at: position, "unexpected \(describeNext()) after the JSON value")
            }
            return parsed.value
        }
    }

    // MARK: Containers and tags

    /// The value of a closed array or object: a tagged object becomes the value it stands for.
    private func finish(_ frame: Frame) throws(MessagePackError) -> Parsed {
        let parsed: Parsed
        if !frame.isObject {
            parsed = Parsed(value: .array(frame.values), height: frame.height + 1)
        } else if frame.keys.count == 1, let tag = JSONTag(rawValue: frame.keys[0]) {
            parsed = try untag(tag, frame.values[0], height: frame.height, text: frame.lastValue, at: frame.start)
        } else {
            var pairs: [MessagePackValue.Pair] = []
            pairs.reserveCapacity(frame.keys.count)
            for (key, value) in zip(frame.keys, frame.values) {
                pairs.append(MessagePackValue.Pair(key: .string(key), value: value))
            }
            parsed = Parsed(value: .map(pairs), height: frame.height + 1)
        }
        // A `$map` holds its pairs in a list of pair arrays, and that list is one level deeper
        // than the map it becomes; the exact bound is checked on the whole value.
        guard parsed.height <= MessagePack.maximumDepth + 1 else {
            throw failure(at: frame.start, "nesting deeper than \(MessagePack.maximumDepth) levels")
        }
        return parsed
    }

    /// The value a tagged object stands for; `height` is the MessagePack nesting inside its
    /// value, `text` where that value's JSON lies, `start` where the object begins.
    private func untag(
        _ tag: JSONTag, _ value: MessagePackValue, height: Int, text: Range<Int>, at start: Int
    ) throws(MessagePackError) -> Parsed {
        func bad(_ reason: String) -> MessagePackError {
            let (line, column) = location(of: start)
            return .badTaggedValue(tag: tag.rawValue, line: line, column: column, reason: reason)
        }
        switch tag {
        case .binary:
            guard case .string(let encoded) = value, let data = Base64.decode(encoded) else {
                throw bad("expects a base64 string")
            }
            return Parsed(value: .binary(data), height: 0)
        case .extension:
            let shape = "expects {\"type\":<-128...127>,\"data\":\"<base64>\"}"
            guard case .map(let pairs) = value, pairs.count == 2,
                case .string(let encoded) = value["data"], let data = Base64.decode(encoded),
                let typeValue = value["type"]
            else { throw bad(shape) }
            let type: Int8
            switch typeValue {
            case .uint(let number) where number <= 127: type = Int8(number)
            case .int(let number) where number >= -128: type = Int8(number)
            default: throw bad(shape)
            }
            return Parsed(value: .extension(type: type, data: data), height: 0)
        case .float32:
            let reason = "expects a number or \"NaN\", \"Infinity\", \"-Infinity\""
            switch value {
            case .string(JSONTag.notANumber): return Parsed(value: .float(.nan), height: 0)
            case .string(JSONTag.infinity): return Parsed(value: .float(.infinity), height: 0)
            case .string(JSONTag.negativeInfinity): return Parsed(value: .float(-.infinity), height: 0)
            case .uint, .int, .double:
                // Read from the text itself: rounding through a double first could differ.
                guard let number = Float(numberText(text)) else { throw bad(reason) }
                guard number.isFinite else {
                    let (line, column) = location(of: text.lowerBound)
                    throw .numberOutOfRange(line: line, column: column)
                }
                return Parsed(value: .float(number), height: 0)
            default: throw bad(reason)
            }
        case .float64:
            let reason = "expects a number or \"NaN\", \"Infinity\", \"-Infinity\""
            switch value {
            case .string(JSONTag.notANumber): return Parsed(value: .double(.nan), height: 0)
            case .string(JSONTag.infinity): return Parsed(value: .double(.infinity), height: 0)
            case .string(JSONTag.negativeInfinity): return Parsed(value: .double(-.infinity), height: 0)
            case .uint, .int, .double:
                guard let number = Double(numberText(text)) else { throw bad(reason) }
                return Parsed(value: .double(number), height: 0)
            default: throw bad(reason)
            }
        case .map:
            let reason = "expects an array of [key, value] arrays"
            guard case .array(let entries) = value else { throw bad(reason) }
            var pairs: [MessagePackValue.Pair] = []
            pairs.reserveCapacity(entries.count)
            for entry in entries {
                guard case .array(let pair) = entry, pair.count == 2 else { throw bad(reason) }
                pairs.append(MessagePackValue.Pair(key: pair[0], value: pair[1]))
            }
            // The list and each pair were counted as arrays; the map is one level, not three.
            return Parsed(value: .map(pairs), height: Swift.max(1, height - 1))
        }
    }

    /// The JSON text of a number token (a tag's value), or "" when the value was not one.
    private func numberText(_ range: Range<Int>) -> String {
        guard let first = range.first.map({ bytes[$0] }),
            first == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first)
        else { return "" }
        return String(decoding: bytes[range], as: UTF8.self)
    }

    // MARK: Tokens

    private mutating func skipWhitespace() {
        while position < bytes.count {
            let byte = bytes[position]
            guard byte == 0x20 || byte == 0x0a || byte == 0x0d || byte == 0x09 else { return }
            position += 1
        }
    }

    /// `"key"` and the `:` after it.
    private mutating func readKey() throws(MessagePackError) -> String {
        skipWhitespace()
        guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
            throw failure(at: position, "expected a string key in double quotes, found \(describeNext())")
        }
        let key = try readString()
        skipWhitespace()
        guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else {
            throw failure(at: position, "expected ':' after an object key, found \(describeNext())")
        }
        position += 1
        return key
    }

    private mutating func readLiteral(_ word: StaticString) throws(MessagePackError) {
        let start = position
        let count = word.utf8CodeUnitCount
        var matches = count <= bytes.count - position
        if matches {
            for index in 0..<count where bytes[position + index] != word.utf8Start[index] {
                matches = false
                break
            }
        }
        guard matches else { throw failure(at: start, "expected a value, found \(describeNext())") }
        position += count
    }

    private mutating func readNumber() throws(MessagePackError) -> MessagePackValue {
        let start = position
        let negative = bytes[position] == UInt8(ascii: "-")
        if negative { position += 1 }
        guard isDigit(at: position) else { throw failure(at: position, "expected a digit, found \(describeNext())") }
        var magnitude: UInt64 = 0
        var overflow = false
        if bytes[position] == UInt8(ascii: "0") {
            position += 1
            if isDigit(at: position) { throw failure(at: start, "a number cannot have leading zeros") }
        } else {
            while isDigit(at: position) {
                let (times10, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
                let (sum, overflow2) = times10.addingReportingOverflow(UInt64(bytes[position] - UInt8(ascii: "0")))
                overflow = overflow || overflow1 || overflow2
                magnitude = sum
                position += 1
            }
        }
        var isInteger = true
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            position += 1
            guard isDigit(at: position) else {
                throw failure(at: position, "expected a digit after '.', found \(describeNext())")
            }
            while isDigit(at: position) { position += 1 }
            isInteger = false
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") {
                position += 1
            }
            guard isDigit(at: position) else {
                throw failure(at: position, "expected a digit in the exponent, found \(describeNext())")
            }
            while isDigit(at: position) { position += 1 }
            isInteger = false
        }
        if isInteger {
            if negative {
                if magnitude == 0 && !overflow { return .uint(0) }
                guard !overflow, magnitude <= UInt64(1) << 63 else { throw outOfRange(at: start) }
                return .int(Int64(bitPattern: 0 &- magnitude))
            }
            guard !overflow else { throw outOfRange(at: start) }
            return .uint(magnitude)
        }
        guard let number = Double(String(decoding: bytes[start..<position], as: UTF8.self)), number.isFinite else {
            throw outOfRange(at: start)
        }
        return .double(number)
    }

    private func isDigit(at offset: Int) -> Bool {
        offset < bytes.count && bytes[offset] &- 0x30 < 10
    }

    /// A string token (at its opening quote), escapes resolved, checked to be UTF-8.
    private mutating func readString() throws(MessagePackError) -> String {
        let start = position
        position += 1
        // Most strings have no escapes: decode them straight from the input, without a buffer.
        let plain = scanStringRun()
        if position < bytes.count && bytes[position] == 0x22 {
            position += 1
            guard let text = UTF8Text.string(bytes[plain]) else {
                throw failure(at: start, "the string is not valid UTF-8")
            }
            return text
        }
        // Otherwise gather the runs between escapes (this loop starts at the first escape, the
        // end of the input or a control character, and reports the last two).
        var buffer = Array(bytes[plain])
        while true {
            let run = scanStringRun()
            buffer.append(contentsOf: bytes[run])
            guard position < bytes.count else { throw failure(at: start, "unterminated string") }
            let byte = bytes[position]
            if byte == 0x22 {  // the closing quote
                position += 1
                break
            } else if byte == 0x5c {  // a backslash
                try readEscape(into: &buffer)
            } else {
                throw failure(at: position, "control character \(describe(byte)) in a string (write it as an escape)")
            }
        }
        guard let text = UTF8Text.string(buffer[...]) else {
            throw failure(at: start, "the string is not valid UTF-8")
        }
        return text
    }

    /// Skips the bytes of a string that stand for themselves (not `"`, `\`, or a control
    /// character) and returns where they lie.
    private mutating func scanStringRun() -> Range<Int> {
        let start = position
        position = bytes.withUnsafeBufferPointer { buffer in
            var index = start
            while index < buffer.count {
                let byte = buffer[index]
                if byte == 0x22 || byte == 0x5c || byte < 0x20 { break }
                index += 1
            }
            return index
        }
        return start..<position
    }

    /// One escape (at its backslash), appended as UTF-8.
    private mutating func readEscape(into buffer: inout [UInt8]) throws(MessagePackError) {
        let start = position
        position += 1
        guard position < bytes.count else { throw failure(at: start, "unterminated string") }
        let letter = bytes[position]
        position += 1
        switch letter {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): buffer.append(letter)
        case UInt8(ascii: "b"): buffer.append(0x08)
        case UInt8(ascii: "f"): buffer.append(0x0c)
        case UInt8(ascii: "n"): buffer.append(0x0a)
        case UInt8(ascii: "r"): buffer.append(0x0d)
        case UInt8(ascii: "t"): buffer.append(0x09)
        case UInt8(ascii: "u"):
            let unit = try readHex4(escapeAt: start)
            var scalarValue = UInt32(unit)
            switch unit {
            case 0xd800...0xdbff:
                guard bytes.count - position >= 6, bytes[position] == UInt8(ascii: "\\"),
                    bytes[position + 1] == UInt8(ascii: "u")
                else { throw failure(at: start, "lone surrogate: a high surrogate escape must be followed by a low one") }
                let lowStart = position
                position += 2
                let low = try readHex4(escapeAt: lowStart)
                guard (0xdc00...0xdfff).contains(low) else {
                    throw failure(at: start, "lone surrogate: a high surrogate escape must be followed by a low one")
                }
                scalarValue = 0x10000 + (UInt32(unit) - 0xd800) << 10 + (UInt32(low) - 0xdc00)
            case 0xdc00...0xdfff:
                throw failure(at: start, "lone surrogate: a low surrogate escape without a high one before it")
            default:
                break
            }
            guard let scalar = Unicode.Scalar(scalarValue) else { throw failure(at: start, "invalid \\u escape") }
            UTF8.encode(scalar) { buffer.append($0) }
        default:
            throw failure(at: start, "invalid escape '\\\(String(decoding: [letter], as: UTF8.self))'")
        }
    }

    private mutating func readHex4(escapeAt start: Int) throws(MessagePackError) -> UInt16 {
        guard bytes.count - position >= 4 else { throw failure(at: start, "a \\u escape needs four hex digits") }
        var unit: UInt16 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw failure(at: start, "a \\u escape needs four hex digits")
            }
            unit = unit << 4 | UInt16(digit)
            position += 1
        }
        return unit
    }

    // MARK: Errors

    private func failure(at offset: Int, _ reason: String) -> MessagePackError {
        let (line, column) = location(of: offset)
        return .invalidJSON(line: line, column: column, reason: reason)
    }

    private func outOfRange(at offset: Int) -> MessagePackError {
        let (line, column) = location(of: offset)
        return .numberOutOfRange(line: line, column: column)
    }

    /// The 1-based line and column of a byte offset; the column counts characters (UTF-8 lead bytes).
    private func location(of offset: Int) -> (line: Int, column: Int) {
        var line = 1
        var column = 1
        for byte in bytes[0..<Swift.min(offset, bytes.count)] {
            if byte == 0x0a {
                line += 1
                column = 1
            } else if byte & 0xc0 != 0x80 {
                column += 1
            }
        }
        return (line, column)
    }

    private func describeNext() -> String {
        position < bytes.count ? describe(bytes[position]) : "the end of the input"
    }

    private func describe(_ byte: UInt8) -> String {
        if byte >= 0x21 && byte < 0x7f { return "'\(String(decoding: [byte], as: UTF8.self))'" }
        let hex = Array("0123456789abcdef".utf8)
        return "byte 0x" + String(decoding: [hex[Int(byte >> 4)], hex[Int(byte & 0x0f)]], as: UTF8.self)
    }
}
