/// An ordered list of HTTP header fields, as proxy-wasm filters read and edit them: names are
/// lowercase (HTTP/2 style, pseudo-headers such as `:path` included), a name may repeat.
public struct HeaderList: Sendable, Equatable {
    public private(set) var fields: [Field]

    /// One header field.
    public struct Field: Sendable, Equatable {
        public var name: String
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public init(_ pairs: [(String, String)] = []) {
        fields = pairs.map { Field(name: Self.lowercase($0.0), value: $0.1) }
    }

    public var pairs: [(String, String)] { fields.map { ($0.name, $0.value) } }

    /// The first value of `name`.
    public subscript(name: String) -> String? {
        let key = Self.lowercase(name)
        return fields.first { $0.name == key }?.value
    }

    /// Adds a field after the existing ones.
    public mutating func add(_ name: String, _ value: String) {
        fields.append(Field(name: Self.lowercase(name), value: value))
    }

    /// Adds a field whose name is known to be lowercase already (Swift HTTP Types' canonical
    /// names are), without checking it again.
    public mutating func add(lowercased name: String, _ value: String) {
        fields.append(Field(name: name, value: value))
    }

    /// Sets `name` to the single value `value`, in place of any it had.
    public mutating func replace(_ name: String, _ value: String) {
        let key = Self.lowercase(name)
        guard let first = fields.firstIndex(where: { $0.name == key }) else {
            fields.append(Field(name: key, value: value))
            return
        }
        fields[first].value = value
        var index = first + 1
        while index < fields.count {
            if fields[index].name == key { fields.remove(at: index) } else { index += 1 }
        }
    }

    /// `name` in lowercase: itself when it is ASCII without capitals, as the names the host and
    /// most filters pass are (no new string then); ASCII with capitals lowered byte by byte, as
    /// the names upstream servers send are (`Content-Type`), without Unicode case mapping.
    package static func lowercase(_ name: String) -> String {
        var name = name
        let lowered: String?? = name.withUTF8 { bytes in
            var capitals = false
            for byte in bytes {
                if byte >= 0x80 { return .some(nil) }
                if byte >= 0x41 && byte <= 0x5A { capitals = true }
            }
            guard capitals else { return nil }
            return String(unsafeUninitializedCapacity: bytes.count) { out in
                for index in bytes.indices {
                    let byte = bytes[index]
                    out[index] = byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
                }
                return bytes.count
            }
        }
        switch lowered {
        case nil: return name
        case .some(nil): return name.lowercased()
        case .some(.some(let ascii)): return ascii
        }
    }

    /// Makes room for `count` fields in all, so that adding them does not grow the list step by step.
    public mutating func reserveCapacity(_ count: Int) {
        fields.reserveCapacity(count)
    }

    /// Removes every field called `name`.
    public mutating func remove(_ name: String) {
        let key = Self.lowercase(name)
        fields.removeAll { $0.name == key }
    }
}
