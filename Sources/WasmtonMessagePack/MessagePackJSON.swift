extension MessagePackValue {
    /// Reads JSON text (RFC 8259, UTF-8) as a MessagePack value, losslessly.
    ///
    /// This is the JSON mapping that `wasmton call --json` and the HTTP gateway use, so a JSON
    /// client (curl) can send and read any MessagePack value:
    ///
    /// | JSON | MessagePack value |
    /// |---|---|
    /// | `null`, `true`, `false` | `.nil`, `.bool` |
    /// | an integer (no fraction, no exponent) | `.uint` (0 up to 2⁶⁴−1) or `.int` (down to −2⁶³); `-0` is `.uint(0)`; beyond: error "number out of range" |
    /// | a number with a fraction or an exponent (`1.0`, `1e3`, `-0.0`) | `.double`; beyond a double's range (`1e400`): error "number out of range"; too small rounds to 0 |
    /// | a string | `.string` (escapes, `\uXXXX` surrogate pairs; lone surrogates, raw control characters and invalid UTF-8 are errors) |
    /// | an array | `.array` |
    /// | an object | `.map` with string keys, in document order, duplicate keys kept |
    /// | `{"$bin":"<base64>"}` | `.binary` (standard base64, `=` padding optional) |
    /// | `{"$ext":{"type":N,"data":"<base64>"}}` | `.extension(type: N, data:)`, N in −128...127 |
    /// | `{"$f32":1.5}`, `{"$f32":"NaN"}` | `.float` (also `"Infinity"`, `"-Infinity"`) |
    /// | `{"$f64":"NaN"}`, `{"$f64":"Infinity"}`, `{"$f64":"-Infinity"}` | `.double` (a number is accepted too) |
    /// | `{"$map":[[key,value],…]}` | `.map` with keys of any type, in order |
    ///
    /// A tag is only a tag as the single key of its object: `{"$bin":"AA==","x":1}` is a plain
    /// map. `jsonText()` writes the reverse: plain JSON wherever it can, a tagged object
    /// otherwise, and a string-keyed map whose only key is a reserved tag in `$map` form, so
    /// MessagePack → JSON → MessagePack gives back an equal value (NaN payloads aside).
    ///
    /// Throws `MessagePackError.invalidJSON` (with line and column), `.numberOutOfRange`, or
    /// `.badTaggedValue`; nesting deeper than `MessagePack.maximumDepth` MessagePack levels is
    /// invalid JSON here, as it would be invalid MessagePack.
    public static func fromJSON(_ json: [UInt8]) throws(MessagePackError) -> MessagePackValue {
        var reader = JSONReader(bytes: json)
        return try reader.read()
    }

    /// Reads JSON text as a MessagePack value; see `fromJSON(_:)` for `[UInt8]` for the mapping.
    public static func fromJSON(_ json: String) throws(MessagePackError) -> MessagePackValue {
        try fromJSON(Array(json.utf8))
    }

    /// This value as compact JSON text (no spaces), UTF-8 encoded, in the mapping of
    /// `fromJSON(_:)`, which reads it back to an equal value.
    ///
    /// A finite `.double` is written with the fewest digits that read back to the same bits, and
    /// always with a `.` or an exponent (`1.0`, `1e-05`), so it stays a double.
    public func jsonBytes() -> [UInt8] {
        var writer = JSONWriter()
        writer.write(self)
        return writer.bytes
    }

    /// This value as compact JSON text; the same as `jsonBytes()`, as a `String`.
    public func jsonText() -> String {
        String(decoding: jsonBytes(), as: UTF8.self)
    }
}
