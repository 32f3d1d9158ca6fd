import Foundation
import WasmtonContracts

/// One line of a JSON-lines input: `{"key": …, "value": …, "headers": {…}}`.
///
/// `value` is required. A string key or value is taken as its UTF-8 bytes; any other JSON is
/// passed serialized (so `{"value": {"message": "hi"}}` hands the guest `{"message":"hi"}`). A
/// `null` or absent key makes a keyless record. Header values are strings, or arrays of strings
/// for a name that repeats.
struct JSONLineRecord {
    var key: [UInt8]?
    var value: [UInt8]
    var headers: [StreamTask.Header] = []

    struct Malformed: Error {
        var reason: String
    }

    init(line: ArraySlice<UInt8>) throws(Malformed) {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(line), options: [.fragmentsAllowed])
        } catch {
            throw Malformed(reason: "not valid JSON")
        }
        guard let fields = object as? [String: Any] else {
            throw Malformed(reason: "expected a JSON object with \"value\" (and optional \"key\", \"headers\")")
        }
        if let unknown = fields.keys.first(where: { !["key", "value", "headers"].contains($0) }) {
            throw Malformed(reason: "unknown field \"\(unknown)\" (expected \"key\", \"value\", \"headers\")")
        }
        guard let value = fields["value"] else { throw Malformed(reason: "missing \"value\"") }
        self.value = try Self.bytes(value)
        if let key = fields["key"], !(key is NSNull) { self.key = try Self.bytes(key) }
        if let headers = fields["headers"] {
            guard let map = headers as? [String: Any] else {
                throw Malformed(reason: "\"headers\" must be an object of names to strings")
            }
            for name in map.keys.sorted() {
                let values = (map[name] as? [Any]) ?? [map[name]!]
                for value in values {
                    guard let text = value as? String else {
                        throw Malformed(reason: "header \"\(name)\" must be a string or an array of strings")
                    }
                    self.headers.append(.init(name: name, value: Array(text.utf8)))
                }
            }
        }
    }

    private static func bytes(_ json: Any) throws(Malformed) -> [UInt8] {
        if let text = json as? String { return Array(text.utf8) }
        do {
            return Array(try JSONSerialization.data(withJSONObject: json, options: [.fragmentsAllowed, .withoutEscapingSlashes]))
        } catch {
            throw Malformed(reason: "value cannot be serialized")
        }
    }
}
