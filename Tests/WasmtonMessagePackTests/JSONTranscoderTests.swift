import Testing

@testable import WasmtonMessagePack

/// `MessagePack.fromJSON` writes everyday JSON straight to bytes (`JSONTranscoder`) and the rest
/// through `MessagePackValue`: both ways must give the same bytes, or the same error.
@Suite("JSON → MessagePack bytes")
struct JSONTranscoderTests {
    /// Shapes the direct path takes: what clients of the gateway send.
    static let direct: [String] = [
        #"{"name":"foo"}"#, #" { "name" : "foo" , "n" : -12 } "#, "[]", "{}", "[1,2,3]", "true", "false", "null",
        "0", "-0", "127", "128", "255", "256", "65535", "65536", "4294967296", "-1", "-32", "-33", "-128", "-129",
        "-32768", "-32769", "-2147483649", "999999999999999999", "-999999999999999999",
        #"{"a":{"b":{"c":[true,false,null,"x"]}}}"#, #""""#, #"{"":""}"#, #"{"a$":1}"#,
        "[" + Array(repeating: "1", count: 15).joined(separator: ",") + "]",
        "\"" + String(repeating: "a", count: 31) + "\"", "\"" + String(repeating: "a", count: 32) + "\"",
        "\"" + String(repeating: "a", count: 255) + "\"",
        String(repeating: "[", count: 32) + String(repeating: "]", count: 32),
        "\t\r\n [ 1 ,\t2 ]\n",
    ]

    /// Shapes left to `JSONReader`, valid or not.
    static let indirect: [String] = [
        "[" + Array(repeating: "1", count: 16).joined(separator: ",") + "]",
        "{" + (0..<16).map { #""k\#($0)":\#($0)"# }.joined(separator: ",") + "}",
        "\"" + String(repeating: "a", count: 256) + "\"",
        String(repeating: "[", count: 33) + String(repeating: "]", count: 33),
        "1234567890123456789", "18446744073709551615", "-9223372036854775808", "99999999999999999999999",
        "1.5", "1e3", "-0.0", "1E-2", #""a\"b""#, #""\u00e9""#, "\"é\"", #""tab\#tin""#, "\"\u{7f}\"",
        #"{"$bin":"AQ=="}"#, #"{"$f32":1.5}"#, #"{"$map":[[1,2]]}"#, #"{"$unknown":1}"#,
        // Invalid JSON: both ways throw the reader's error.
        "", " ", "[", "[1,]", "[1 2]", #"{"a" 1}"#, #"{"a":}"#, "{1:2}", "01", "-", "--1", "+1", "tru", "truex",
        "nul", "[1]]", "1 2", #""open"#, "\"a\u{1}b\"", "[true,]", #"{"a":1,}"#, ".5", "1.", "1e",
    ]

    @Test("everyday JSON is written directly, as the same bytes as through a value", arguments: direct)
    func directShapes(json: String) throws {
        let bytes = Array(json.utf8)
        let direct = try #require(JSONTranscoder.messagePack(bytes), "not taken directly: \(json)")
        #expect(direct == MessagePack.encode(try MessagePackValue.fromJSON(bytes)))
        #expect(try MessagePack.fromJSON(bytes) == direct)
    }

    @Test("other JSON goes through a value, with the same bytes or the same error", arguments: indirect)
    func otherShapes(json: String) {
        let bytes = Array(json.utf8)
        #expect(JSONTranscoder.messagePack(bytes) == nil, "taken directly: \(json)")
        let throughValue = Result { () throws(MessagePackError) in MessagePack.encode(try MessagePackValue.fromJSON(bytes)) }
        let converted = Result { () throws(MessagePackError) in try MessagePack.fromJSON(bytes) }
        switch (throughValue, converted) {
        case (.success(let expected), .success(let got)): #expect(got == expected)
        case (.failure(let expected), .failure(let got)): #expect(got == expected)
        default: Issue.record("\(json): \(throughValue) through a value, \(converted) converted")
        }
    }

    @Test("random flat objects: both ways agree byte for byte")
    func randomObjects() throws {
        var rng = SplitMix64(seed: 0x5EED)
        let pieces = [#""x""#, "0", "-7", "300", "true", "null", "[]", #"{"k":[1,"v"]}"#, #""$""#, "70000", "-40000"]
        for _ in 0..<2_000 {
            let count = Int(rng.next() % 18)
            let members = (0..<count).map { index in
                let space = rng.next() % 3 == 0 ? " " : ""
                return #"\#(space)"m\#(index)"\#(space):\#(space)\#(pieces[Int(rng.next() % UInt64(pieces.count))])"#
            }
            let bytes = Array(("{" + members.joined(separator: ",") + "}").utf8)
            let expected = MessagePack.encode(try MessagePackValue.fromJSON(bytes))
            #expect(try MessagePack.fromJSON(bytes) == expected)
            if count <= 15 { #expect(JSONTranscoder.messagePack(bytes) == expected) }
        }
    }
}
