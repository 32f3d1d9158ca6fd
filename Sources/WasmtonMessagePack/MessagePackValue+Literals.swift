// Literal conformances, so tests and callers can write `["name": "x", "tags": [1, -2, nil]]`
// for a MessagePackValue.

extension MessagePackValue: ExpressibleByNilLiteral {
    /// `nil` as a literal is the MessagePack nil value.
    public init(nilLiteral: ()) {
        self = .nil
    }
}

extension MessagePackValue: ExpressibleByBooleanLiteral {
    /// `true` and `false` as literals are `.bool`.
    public init(booleanLiteral value: Bool) {
        self = .bool(value)
    }
}

extension MessagePackValue: ExpressibleByIntegerLiteral {
    /// An integer literal is `.uint` when non-negative and `.int` when negative, as decoding makes it.
    public init(integerLiteral value: Int64) {
        self = value >= 0 ? .uint(UInt64(value)) : .int(value)
    }
}

extension MessagePackValue: ExpressibleByFloatLiteral {
    /// A floating-point literal is a `.double`; write `.float(…)` for a float 32.
    public init(floatLiteral value: Double) {
        self = .double(value)
    }
}

extension MessagePackValue: ExpressibleByStringLiteral {
    /// A string literal is a `.string`.
    public init(stringLiteral value: String) {
        self = .string(value)
    }
}

extension MessagePackValue: ExpressibleByArrayLiteral {
    /// An array literal is an `.array` of its elements.
    public init(arrayLiteral elements: MessagePackValue...) {
        self = .array(elements)
    }
}

extension MessagePackValue: ExpressibleByDictionaryLiteral {
    /// A dictionary literal is a `.map` whose pairs keep the literal's order.
    public init(dictionaryLiteral elements: (MessagePackValue, MessagePackValue)...) {
        self = .map(elements.map { Pair(key: $0.0, value: $0.1) })
    }
}
