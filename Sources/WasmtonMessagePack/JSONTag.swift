/// The reserved keys of the single-key JSON objects that stand for MessagePack values JSON
/// cannot hold (see `MessagePackValue.fromJSON(_:)`).
enum JSONTag: String, CaseIterable {
    /// `{"$bin":"<base64>"}`: binary.
    case binary = "$bin"
    /// `{"$ext":{"type":N,"data":"<base64>"}}`: an extension value.
    case `extension` = "$ext"
    /// `{"$f32":1.5}` or `{"$f32":"NaN"}`: a float 32.
    case float32 = "$f32"
    /// `{"$f64":"NaN"|"Infinity"|"-Infinity"}`: a non-finite float 64.
    case float64 = "$f64"
    /// `{"$map":[[key,value],…]}`: a map with a key that is not a string.
    case map = "$map"

    /// The spellings of the non-finite floats, as JavaScript's `String(x)` writes them.
    static let notANumber = "NaN"
    static let infinity = "Infinity"
    static let negativeInfinity = "-Infinity"
}
