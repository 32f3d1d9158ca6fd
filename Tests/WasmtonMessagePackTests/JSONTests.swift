import Testing
import WasmtonMessagePack

/// The JSON mapping: compact writing, tagged values, RFC 8259 reading and its errors.
@Suite("MessagePack ⇄ JSON")
struct JSONTests {
    static let written: [(MessagePackValue, String)] = [
        (nil, "null"), (true, "true"), (false, "false"), (0, "0"), (.uint(.max), "18446744073709551615"),
        (.int(.min), "-9223372036854775808"), (.int(-1), "-1"),
        (.double(1), "1.0"), (.double(-0.0), "-0.0"), (.double(0.1), "0.1"), (.double(1e-5), "1e-05"),
        (.double(1e300), "1e+300"), (.double(123456.789), "123456.789"), (.double(.leastNonzeroMagnitude), "5e-324"),
        (.double(.nan), #"{"$f64":"NaN"}"#), (.double(.infinity), #"{"$f64":"Infinity"}"#),
        (.double(-.infinity), #"{"$f64":"-Infinity"}"#),
        (.float(1.5), #"{"$f32":1.5}"#), (.float(0.1), #"{"$f32":0.1}"#), (.float(.nan), #"{"$f32":"NaN"}"#),
        (.float(-.infinity), #"{"$f32":"-Infinity"}"#),
        ("", #""""#), ("x\"y\\z/\n\r\t\u{8}\u{c}\u{1}\u{1f}é😀", #""x\"y\\z/\n\r\t\b\f\u0001\u001fé😀""#),
        (.binary([]), #"{"$bin":""}"#), (.binary([1, 2, 3]), #"{"$bin":"AQID"}"#), (.binary([0xff]), #"{"$bin":"/w=="}"#),
        (.binary([0xfb, 0xef]), #"{"$bin":"++8="}"#),
        (.extension(type: -1, data: [0, 0, 0, 1]), #"{"$ext":{"type":-1,"data":"AAAAAQ=="}}"#),
        ([], "[]"), ([:], "{}"), ([1, [nil, "a"]], #"[1,[null,"a"]]"#),
        (["b": 1, "a": [true]], #"{"b":1,"a":[true]}"#),
        (["a": 1, "a": 2], #"{"a":1,"a":2}"#),
        ([1: "one", "two": 2], #"{"$map":[[1,"one"],["two",2]]}"#),
        ([[1]: [:]], #"{"$map":[[[1],{}]]}"#),
        (["$bin": "AA=="], #"{"$map":[["$bin","AA=="]]}"#),
        (["$map": []], #"{"$map":[["$map",[]]]}"#),
        (["$bin": "AA==", "x": 1], #"{"$bin":"AA==","x":1}"#),
        (["$x": 1], #"{"$x":1}"#),
    ]

    @Test("writes compact JSON, tagged where plain JSON cannot say it, and reads it back", arguments: written)
    func write(value: MessagePackValue, json: String) throws {
        #expect(value.jsonText() == json)
        #expect(value.jsonBytes() == Array(json.utf8))
        #expect(try MessagePackValue.fromJSON(json) == value)
    }

    static let read: [(String, MessagePackValue)] = [
        (" \t\r\n[ 1 , 2 ]\n", [1, 2]),
        ("-0", .uint(0)),
        ("-0.0", .double(-0.0)),
        ("0", 0), ("-1", -1), ("1E2", .double(100)), ("1e+2", .double(100)), ("2.5e-1", .double(0.25)),
        ("18446744073709551615", .uint(.max)), ("-9223372036854775808", .int(.min)),
        ("18446744073709551616.0", .double(18_446_744_073_709_551_616)),
        ("1e-400", .double(0)), ("1.7976931348623157e308", .double(.greatestFiniteMagnitude)),
        ("123456789012345678901234567890e-10", .double(12_345_678_901_234_567_890.123_456_789_0)),
        (#""\"\\\/\b\f\n\r\t\u00e9\u00E9\ud83d\ude00\u0000""#, "\"\\/\u{8}\u{c}\n\r\téé😀\u{0}"),
        (#""é😀 raw""#, "é😀 raw"),
        (#"{"a":1,"a":2,"b":{}}"#, ["a": 1, "a": 2, "b": [:]]),
        (#"{"$bin":"AQI"}"#, .binary([1, 2])),
        (#"{"$bin":"AQI="}"#, .binary([1, 2])),
        (#"{"$ext":{"data":"","type":127}}"#, .extension(type: 127, data: [])),
        (#"{"$ext":{"type":-128,"data":"Bw=="}}"#, .extension(type: -128, data: [7])),
        (#"{"$f32":1}"#, .float(1)), (#"{"$f32":-2.5e-3}"#, .float(-2.5e-3)), (#"{"$f32":"Infinity"}"#, .float(.infinity)),
        (#"{"$f32":16777217}"#, .float(16_777_216)),
        (#"{"$f64":1.5}"#, .double(1.5)), (#"{"$f64":3}"#, .double(3)), (#"{"$f64":"-Infinity"}"#, .double(-.infinity)),
        (#"{"$map":[]}"#, [:]),
        (#"{"$map":[[{"$bin":""},{"$f32":0.5}],[null,null]]}"#, [.binary([]): .float(0.5), nil: nil]),
        (#"{ "$bin" : "" , "$bin" : "" }"#, ["$bin": "", "$bin": ""]),
    ]

    @Test("reads JSON", arguments: read)
    func readJSON(json: String, value: MessagePackValue) throws {
        #expect(try MessagePackValue.fromJSON(json) == value)
    }

    @Test("$f32 reads the number's text, not a double rounded again")
    func float32FromText() throws {
        // Halfway between two floats as a double would round to even; the exact text is above halfway.
        let text = "1.00000005960464477550"
        #expect(try MessagePackValue.fromJSON(#"{"$f32":\#(text)}"#) == .float(Float(text)!))
        #expect(try MessagePackValue.fromJSON(#"{"$f32":0.1}"#) == .float(0.1))
    }

    static let errors: [(String, MessagePackError)] = [
        ("", .invalidJSON(line: 1, column: 1, reason: "unexpected end of input, expected a value")),
        ("{\n  \"a\": tru\n}", .invalidJSON(line: 2, column: 8, reason: "expected a value, found 't'")),
        (
            "[1,2",
            .invalidJSON(line: 1, column: 5, reason: "expected ',' or ']' after an array element, found the end of the input")
        ),
        ("[1,]", .invalidJSON(line: 1, column: 4, reason: "expected a value, found ']'")),
        (#"{"a" 1}"#, .invalidJSON(line: 1, column: 6, reason: "expected ':' after an object key, found '1'")),
        (#"{"a":1,}"#, .invalidJSON(line: 1, column: 8, reason: "expected a string key in double quotes, found '}'")),
        (#"{a:1}"#, .invalidJSON(line: 1, column: 2, reason: "expected a string key in double quotes, found 'a'")),
        (#"{"a":1 "b":2}"#, .invalidJSON(line: 1, column: 8, reason: "expected ',' or '}' after an object member, found '\"'")),
        ("01", .invalidJSON(line: 1, column: 1, reason: "a number cannot have leading zeros")),
        ("1 2", .invalidJSON(line: 1, column: 3, reason: "unexpected '2' after the JSON value")),
        ("-", .invalidJSON(line: 1, column: 2, reason: "expected a digit, found the end of the input")),
        ("1.", .invalidJSON(line: 1, column: 3, reason: "expected a digit after '.', found the end of the input")),
        ("1e+", .invalidJSON(line: 1, column: 4, reason: "expected a digit in the exponent, found the end of the input")),
        (".5", .invalidJSON(line: 1, column: 1, reason: "expected a value, found '.'")),
        ("+1", .invalidJSON(line: 1, column: 1, reason: "expected a value, found '+'")),
        ("NaN", .invalidJSON(line: 1, column: 1, reason: "expected a value, found 'N'")),
        ("[\"é\", x]", .invalidJSON(line: 1, column: 7, reason: "expected a value, found 'x'")),
        ("\"abc", .invalidJSON(line: 1, column: 1, reason: "unterminated string")),
        (
            "\"a\u{1}\"",
            .invalidJSON(line: 1, column: 3, reason: "control character byte 0x01 in a string (write it as an escape)")
        ),
        (
            "\n\"a\tb\"",
            .invalidJSON(line: 2, column: 3, reason: "control character byte 0x09 in a string (write it as an escape)")
        ),
        (#""\x""#, .invalidJSON(line: 1, column: 2, reason: "invalid escape '\\x'")),
        (#""\u12""#, .invalidJSON(line: 1, column: 2, reason: "a \\u escape needs four hex digits")),
        (
            #"["\ud83d"]"#,
            .invalidJSON(line: 1, column: 3, reason: "lone surrogate: a high surrogate escape must be followed by a low one")
        ),
        (
            #""\ud83d\u0041""#,
            .invalidJSON(line: 1, column: 2, reason: "lone surrogate: a high surrogate escape must be followed by a low one")
        ),
        (
            #""\ude00""#,
            .invalidJSON(line: 1, column: 2, reason: "lone surrogate: a low surrogate escape without a high one before it")
        ),
        ("18446744073709551616", .numberOutOfRange(line: 1, column: 1)),
        ("[-9223372036854775809]", .numberOutOfRange(line: 1, column: 2)),
        ("99999999999999999999999", .numberOutOfRange(line: 1, column: 1)),
        ("1e400", .numberOutOfRange(line: 1, column: 1)),
        ("-1.5e309", .numberOutOfRange(line: 1, column: 1)),
        (#" {"$f32":1e39}"#, .numberOutOfRange(line: 1, column: 10)),
        (#"{"$bin":5}"#, .badTaggedValue(tag: "$bin", line: 1, column: 1, reason: "expects a base64 string")),
        (#"[{"$bin":"A"}]"#, .badTaggedValue(tag: "$bin", line: 1, column: 2, reason: "expects a base64 string")),
        (#"{"$bin":"AQ I"}"#, .badTaggedValue(tag: "$bin", line: 1, column: 1, reason: "expects a base64 string")),
        (#"{"$bin":"AQ=I"}"#, .badTaggedValue(tag: "$bin", line: 1, column: 1, reason: "expects a base64 string")),
        (
            #"{"$ext":{"type":128,"data":""}}"#,
            .badTaggedValue(tag: "$ext", line: 1, column: 1, reason: "expects {\"type\":<-128...127>,\"data\":\"<base64>\"}")
        ),
        (
            #"{"$ext":{"type":1}}"#,
            .badTaggedValue(tag: "$ext", line: 1, column: 1, reason: "expects {\"type\":<-128...127>,\"data\":\"<base64>\"}")
        ),
        (
            #"{"$f32":"nan"}"#,
            .badTaggedValue(tag: "$f32", line: 1, column: 1, reason: "expects a number or \"NaN\", \"Infinity\", \"-Infinity\"")
        ),
        (
            #"{"$f64":{"$f32":1}}"#,
            .badTaggedValue(tag: "$f64", line: 1, column: 1, reason: "expects a number or \"NaN\", \"Infinity\", \"-Infinity\"")
        ),
        (#"{"$map":[[1]]}"#, .badTaggedValue(tag: "$map", line: 1, column: 1, reason: "expects an array of [key, value] arrays")),
        (#"{"$map":{}}"#, .badTaggedValue(tag: "$map", line: 1, column: 1, reason: "expects an array of [key, value] arrays")),
    ]

    @Test("errors point at line and column", arguments: errors)
    func error(json: String, error: MessagePackError) {
        #expect(throws: error) { try MessagePackValue.fromJSON(json) }
    }

    @Test("bytes that are not UTF-8, and a byte-order mark, are invalid JSON")
    func invalidBytes() {
        #expect(throws: MessagePackError.invalidJSON(line: 1, column: 2, reason: "the string is not valid UTF-8")) {
            try MessagePackValue.fromJSON([0x5b, 0x22, 0xff, 0x22, 0x5d])
        }
        #expect(throws: MessagePackError.invalidJSON(line: 1, column: 1, reason: "the string is not valid UTF-8")) {
            try MessagePackValue.fromJSON([0x22, 0xed, 0xa0, 0x80, 0x22])  // a surrogate encoded raw
        }
        #expect(throws: MessagePackError.invalidJSON(line: 1, column: 1, reason: "expected a value, found byte 0xef")) {
            try MessagePackValue.fromJSON([0xef, 0xbb, 0xbf, 0x31])
        }
    }

    @Test("nesting is bounded like MessagePack's, counting MessagePack levels")
    func depth() throws {
        let limit = MessagePack.maximumDepth
        let deepest = String(repeating: "[", count: limit) + String(repeating: "]", count: limit)
        #expect(try MessagePack.decode(MessagePack.fromJSON(Array(deepest.utf8))) == MessagePackValue.fromJSON(deepest))
        let tooDeep = "[" + deepest + "]"
        #expect(throws: MessagePackError.invalidJSON(line: 1, column: 1, reason: "nesting deeper than 512 levels")) {
            try MessagePackValue.fromJSON(tooDeep)
        }
        #expect(throws: MessagePackError.self) { try MessagePackValue.fromJSON(String(repeating: "[", count: 100_000)) }
        #expect(throws: MessagePackError.self) { try MessagePackValue.fromJSON(String(repeating: #"{"a":"#, count: 100_000)) }

        // Maps with non-string keys take three JSON levels each, and still count as one.
        var value: MessagePackValue = [.extension(type: 1, data: [1])]
        for _ in 1..<limit { value = [1: value] }
        let json = value.jsonBytes()
        #expect(try MessagePackValue.fromJSON(json) == value)
        #expect(try MessagePack.decode(MessagePack.encode(value)) == value)
        #expect(throws: MessagePackError.self) { try MessagePackValue.fromJSON(MessagePackValue.array([value]).jsonBytes()) }
        #expect(throws: MessagePackError.self) {
            try MessagePackValue.fromJSON(MessagePackValue.map([.init(key: 1, value: value)]).jsonBytes())
        }
    }

    @Test("MessagePack.fromJSON and toJSON convert bytes to bytes")
    func conversions() throws {
        let json = #"{"id":7,"tags":["a",{"$bin":"AQ=="}],"ratio":0.5,"t":{"$ext":{"type":-1,"data":"AAAAAA=="}}}"#
        let packed = try MessagePack.fromJSON(Array(json.utf8))
        #expect(Hex.encode(packed) == "84a2696407a4746167739" + "2a161c40101a5726174696fcb3fe0000000000000a174d6ff00000000")
        #expect(try MessagePack.toJSON(packed) == Array(json.utf8))
        #expect(throws: MessagePackError.trailingBytes(offset: 1)) { try MessagePack.toJSON([0xc0, 0xc0]) }
    }
}
