import Testing
import WasmtonMessagePack

/// Every format boundary with its exact bytes: encoding picks the smallest format, decoding reads it back.
@Suite("MessagePack format boundaries")
struct FormatBoundaryTests {
    static let scalars: [(MessagePackValue, String)] = [
        (.nil, "c0"), (false, "c2"), (true, "c3"),
        (.uint(0), "00"), (.uint(127), "7f"), (.uint(128), "cc 80"), (.uint(255), "cc ff"), (.uint(256), "cd 0100"),
        (.uint(65535), "cd ffff"), (.uint(65536), "ce 00010000"), (.uint(0xffff_ffff), "ce ffffffff"),
        (.uint(0x1_0000_0000), "cf 0000000100000000"), (.uint(UInt64(Int64.max)), "cf 7fffffffffffffff"),
        (.uint(UInt64(Int64.max) + 1), "cf 8000000000000000"), (.uint(.max), "cf ffffffffffffffff"),
        (.int(-1), "ff"), (.int(-32), "e0"), (.int(-33), "d0 df"), (.int(-128), "d0 80"), (.int(-129), "d1 ff7f"),
        (.int(-32768), "d1 8000"), (.int(-32769), "d2 ffff7fff"), (.int(Int64(Int32.min)), "d2 80000000"),
        (.int(Int64(Int32.min) - 1), "d3 ffffffff7fffffff"), (.int(.min), "d3 8000000000000000"),
        (.float(1.5), "ca 3fc00000"), (.float(-0.0), "ca 80000000"), (.float(.infinity), "ca 7f800000"),
        (.double(1.5), "cb 3ff8000000000000"), (.double(-0.0), "cb 8000000000000000"),
        (.double(.nan), "cb 7ff8000000000000"), (.double(.leastNonzeroMagnitude), "cb 0000000000000001"),
        (.string(""), "a0"), (.string("a"), "a1 61"), (.string("é"), "a2 c3a9"), (.binary([]), "c4 00"),
        (.binary([1, 2]), "c4 02 0102"), (.array([]), "90"), (.map([]), "80"),
        ([1, "a"], "92 01 a161"), (["a": [nil]], "81 a161 91c0"), ([[1, 2]: -1], "81 920102 ff"),
        (.extension(type: 1, data: []), "c7 00 01"), (.extension(type: -1, data: [0, 0, 0, 0]), "d6 ff 00000000"),
        (.extension(type: -128, data: [7]), "d4 80 07"),
    ]

    @Test("scalars and small values", arguments: scalars)
    func scalar(value: MessagePackValue, hex: String) throws {
        let bytes = Hex.decode(hex)
        #expect(Hex.encode(MessagePack.encode(value)) == Hex.encode(bytes))
        #expect(try MessagePack.decode(bytes) == value)
    }

    @Test("a non-negative .int encodes as the equal .uint")
    func nonNegativeInt() throws {
        #expect(MessagePack.encode(.int(5)) == [0x05])
        #expect(MessagePack.encode(.int(200)) == [0xcc, 0xc8])
        #expect(MessagePack.encode(.int(Int64.max)) == Hex.decode("cf 7fffffffffffffff"))
    }

    /// (length, expected head) for str, bin, array, map and ext.
    static let strings: [(Int, String)] = [
        (0, "a0"), (31, "bf"), (32, "d9 20"), (255, "d9 ff"), (256, "da 0100"), (65535, "da ffff"), (65536, "db 00010000"),
    ]
    static let binaries: [(Int, String)] = [
        (0, "c4 00"), (255, "c4 ff"), (256, "c5 0100"), (65535, "c5 ffff"), (65536, "c6 00010000"),
    ]
    static let arrays: [(Int, String)] = [
        (0, "90"), (15, "9f"), (16, "dc 0010"), (65535, "dc ffff"), (65536, "dd 00010000"),
    ]
    static let maps: [(Int, String)] = [
        (0, "80"), (15, "8f"), (16, "de 0010"), (65535, "de ffff"), (65536, "df 00010000"),
    ]
    static let extensions: [(Int, String)] = [
        (0, "c7 00 05"), (1, "d4 05"), (2, "d5 05"), (3, "c7 03 05"), (4, "d6 05"), (5, "c7 05 05"), (8, "d7 05"),
        (15, "c7 0f 05"), (16, "d8 05"), (17, "c7 11 05"), (255, "c7 ff 05"), (256, "c8 0100 05"),
        (65535, "c8 ffff 05"), (65536, "c9 00010000 05"),
    ]

    /// Encodes `value`, checks the head and total size, and decodes it back.
    private func check(_ value: MessagePackValue, head: String, payload: Int) throws {
        let bytes = MessagePack.encode(value)
        let headBytes = Hex.decode(head)
        #expect(Array(bytes.prefix(headBytes.count)) == headBytes)
        #expect(bytes.count == headBytes.count + payload)
        #expect(try MessagePack.decode(bytes) == value)
    }

    @Test("str lengths (bytes)", arguments: strings)
    func string(length: Int, head: String) throws {
        try check(.string(String(repeating: "x", count: length)), head: head, payload: length)
    }

    @Test("str length counts UTF-8 bytes, not characters")
    func stringBytes() throws {
        try check(.string(String(repeating: "é", count: 16)), head: "d9 20", payload: 32)
        try check(.string(String(repeating: "é", count: 15) + "x"), head: "bf", payload: 31)
    }

    @Test("bin lengths", arguments: binaries)
    func binary(length: Int, head: String) throws {
        try check(.binary([UInt8](repeating: 0xab, count: length)), head: head, payload: length)
    }

    @Test("array counts", arguments: arrays)
    func array(count: Int, head: String) throws {
        try check(.array([MessagePackValue](repeating: .nil, count: count)), head: head, payload: count)
    }

    @Test("map counts", arguments: maps)
    func map(count: Int, head: String) throws {
        let pairs = (0..<count).map { MessagePackValue.Pair(key: .uint(UInt64($0 % 128)), value: .nil) }
        try check(.map(pairs), head: head, payload: 2 * count)
    }

    @Test("ext sizes: fixext 1/2/4/8/16, else ext 8/16/32", arguments: extensions)
    func `extension`(size: Int, head: String) throws {
        try check(.extension(type: 5, data: [UInt8](repeating: 0x42, count: size)), head: head, payload: size)
    }

    @Test("every wider wire form decodes to the same normalized value")
    func widerForms() throws {
        let cases: [(String, MessagePackValue)] = [
            ("cc 05", 5), ("cd 0005", 5), ("ce 00000005", 5), ("cf 0000000000000005", 5),
            ("d0 05", 5), ("d1 0005", 5), ("d2 00000005", 5), ("d3 0000000000000005", 5),
            ("d0 ff", -1), ("d1 ffff", -1), ("d2 ffffffff", -1), ("d3 ffffffffffffffff", -1),
            ("d3 7fffffffffffffff", .uint(UInt64(Int64.max))),
            ("d9 01 61", "a"), ("da 0001 61", "a"), ("db 00000001 61", "a"),
            ("c5 0001 07", .binary([7])), ("c6 00000001 07", .binary([7])),
            ("dc 0001 c0", [nil]), ("dd 00000001 c0", [nil]), ("de 0001 c0c0", [nil: nil]), ("df 00000001 c0c0", [nil: nil]),
            ("c7 01 05 07", .extension(type: 5, data: [7])), ("c8 0001 05 07", .extension(type: 5, data: [7])),
            ("c9 00000001 05 07", .extension(type: 5, data: [7])),
        ]
        for (hex, value) in cases {
            let decoded = try MessagePack.decode(Hex.decode(hex))
            #expect(decoded == value, "\(hex)")
            if case .int(let number) = decoded { #expect(number < 0, "\(hex) should decode as .uint") }
        }
    }
}
