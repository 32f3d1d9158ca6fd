import Testing
import WasmtonMessagePack

/// Decoding errors, prefixes, and the value type's own behaviour.
@Suite("MessagePack decoding and values")
struct DecodeTests {
    @Test(
        "errors carry the byte offset",
        arguments: [
            ("", MessagePackError.truncated(offset: 0)),
            ("c1", .reservedByte(offset: 0)),
            ("92 01 c1", .reservedByte(offset: 2)),
            ("cd 01", .truncated(offset: 0)),
            ("92 01", .truncated(offset: 0)),  // a count larger than the bytes left
            ("93 01 02 cd", .truncated(offset: 3)),
            ("82 01 02 03", .truncated(offset: 0)),
            ("81 01", .truncated(offset: 0)),
            ("a3 61 62", .truncated(offset: 0)),
            ("a2 ff fe", .invalidUTF8(offset: 0)),
            ("91 a3 ed a0 80", .invalidUTF8(offset: 1)),  // an encoded surrogate
            ("a2 c0 80", .invalidUTF8(offset: 0)),  // an overlong encoding
            ("c0 c0", .trailingBytes(offset: 1)),
            ("d4 01", .truncated(offset: 0)),
            ("c7 02 01 00", .truncated(offset: 0)),
            ("d8", .truncated(offset: 0)),
        ])
    func errors(hex: String, error: MessagePackError) {
        #expect(throws: error) { try MessagePack.decode(Hex.decode(hex)) }
    }

    @Test(
        "4 GiB length claims in a few bytes throw without allocating",
        arguments: [
            "db ffffffff 61 62", "c6 ffffffff 00", "c9 ffffffff 01 00", "dd ffffffff c0 c0", "df ffffffff c0 c0",
            "dc ffff c0", "de ffff c0", "91 dd ffffffff c0",
        ])
    func hugeLengths(hex: String) {
        #expect(throws: MessagePackError.self) { try MessagePack.decode(Hex.decode(hex)) }
        let start = hex.hasPrefix("91") ? 1 : 0
        #expect(throws: MessagePackError.truncated(offset: start)) { try MessagePack.decode(Hex.decode(hex)) }
    }

    @Test("nesting is bounded at MessagePack.maximumDepth")
    func depth() throws {
        let limit = MessagePack.maximumDepth
        #expect(limit == 512)
        var deepest = [UInt8](repeating: 0x91, count: limit - 1) + [0x90]
        #expect(throws: Never.self) { try MessagePack.decode(deepest) }
        deepest = [UInt8](repeating: 0x91, count: limit) + [0xc0]
        #expect(throws: Never.self) { try MessagePack.decode(deepest) }
        #expect(throws: MessagePackError.tooDeep(offset: limit)) {
            try MessagePack.decode([UInt8](repeating: 0x91, count: limit) + [0x90])
        }
        #expect(throws: MessagePackError.tooDeep(offset: limit)) {
            try MessagePack.decode([UInt8](repeating: 0x91, count: 100_000))
        }
        #expect(throws: MessagePackError.tooDeep(offset: 2 * limit)) {
            try MessagePack.decode([UInt8](repeating: 0x81, count: 100_000).flatMap { [$0, 0xc0] })
        }
    }

    @Test("decode(_:from:) reads one value of a stream")
    func prefix() throws {
        let stream: [UInt8] = [0x01, 0xa1, 0x61, 0x92, 0xc0, 0xc3, 0xff]
        var offset = 0
        var values: [MessagePackValue] = []
        while offset < stream.count {
            let (value, next) = try MessagePack.decode(stream, from: offset)
            values.append(value)
            offset = next
        }
        #expect(values == [1, "a", [nil, true], -1])
        #expect(offset == stream.count)
        #expect(throws: MessagePackError.truncated(offset: 7)) { try MessagePack.decode(stream, from: 7) }
    }

    @Test("error messages are one line and say where")
    func messages() {
        let errors: [MessagePackError] = [
            .truncated(offset: 3), .reservedByte(offset: 4), .invalidUTF8(offset: 5), .tooDeep(offset: 512),
            .trailingBytes(offset: 9), .invalidJSON(line: 2, column: 7, reason: "expected a value, found ']'"),
            .numberOutOfRange(line: 1, column: 2), .badTaggedValue(tag: "$bin", line: 1, column: 1, reason: "r"),
        ]
        for error in errors {
            #expect(!error.description.contains("\n"))
        }
        #expect(MessagePackError.truncated(offset: 3).description.contains("byte 3"))
        #expect(MessagePackError.reservedByte(offset: 4).description.contains("0xc1 at byte 4"))
        #expect(MessagePackError.tooDeep(offset: 512).description.contains("512"))
        #expect(
            MessagePackError.invalidJSON(line: 2, column: 7, reason: "x").description
                == "invalid JSON at line 2, column 7: x")
        #expect(MessagePackError.numberOutOfRange(line: 1, column: 2).description.hasSuffix("number out of range"))
    }

    @Test("equality: integers by value, floats by bit pattern; hashing agrees")
    func equality() {
        #expect(MessagePackValue.int(5) == .uint(5))
        #expect(MessagePackValue.uint(5) == .int(5))
        #expect(MessagePackValue.int(-5) != .uint(5))
        #expect(Set<MessagePackValue>([.int(5), .uint(5), .int(-5)]).count == 2)
        #expect(MessagePackValue.double(.nan) == .double(.nan))
        #expect(MessagePackValue.double(0) != .double(-0.0))
        #expect(MessagePackValue.float(1) != .double(1))
        #expect(MessagePackValue.string("1") != .uint(1))
        #expect(MessagePackValue.map([.init(key: "a", value: 1), .init(key: "b", value: 2)]) != ["b": 2, "a": 1])
        #expect(Set<MessagePackValue>([.double(.nan), .double(.nan), .double(0), .double(-0.0)]).count == 3)
    }

    @Test("literals and the string-key subscript")
    func literals() {
        let value: MessagePackValue = ["name": "wasm", "n": -3, "ok": true, "none": nil, "list": [1, 2.5], "name ": 0]
        #expect(value["name"] == .string("wasm"))
        #expect(value["n"] == .int(-3))
        #expect(value["ok"] == .bool(true))
        #expect(value["none"] == .some(.nil))
        #expect(value["list"] == .array([.uint(1), .double(2.5)]))
        #expect(value["missing"] == nil)
        #expect(MessagePackValue.array([])["name"] == nil)
        let duplicate: MessagePackValue = ["a": 1, "a": 2]
        #expect(duplicate["a"] == 1)
        #expect(MessagePackValue(integerLiteral: 0) == .uint(0))
    }

    @Test("stringBytes reads exactly one string in place, and nothing else")
    func stringBytes() {
        for text in [
            "", "true", "é€", String(repeating: "a", count: 31), String(repeating: "b", count: 40),
            String(repeating: "c", count: 300), String(repeating: "d", count: 70_000),
        ] {
            let packed = MessagePack.encode(.string(text))
            #expect(
                MessagePack.stringBytes(packed).map { Array($0) } == Array(text.utf8),
                "\(text.prefix(8))… (\(text.utf8.count) bytes)")
        }
        let notOneString: [[UInt8]] = [
            [], [0xc3], MessagePack.encode([1, 2]), MessagePack.encode(.binary([0x61])),
            MessagePack.encode(.string("ab")) + [0xc0],  // trailing bytes
            [0xa3, 0x61, 0x62],  // truncated
            [0xa2, 0xff, 0xfe],  // not UTF-8
            [0xd9],  // str 8 without its length
        ]
        for bytes in notOneString { #expect(MessagePack.stringBytes(bytes) == nil, "\(bytes)") }
    }
}
