/// One record header: a name and an opaque byte value (Kafka allows repeated names).
public struct KafkaHeader: Sendable, Equatable {
    /// The header name.
    public var name: String
    /// The header value; a null value on the wire reads back as an empty array.
    public var value: [UInt8]

    /// A header named `name` carrying `value`.
    public init(name: String, value: [UInt8]) {
        self.name = name
        self.value = value
    }
}
