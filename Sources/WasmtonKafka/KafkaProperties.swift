/// librdkafka properties in the order given (a later entry for the same key wins), like kcat's `-X`.
public typealias KafkaProperties = [(key: String, value: String)]

/// Helpers for librdkafka properties given as `key=value` strings (kcat's and our CLI's `-X`).
public enum KafkaProperty {
    /// Splits `key=value` at the first `=`; the value may be empty or contain `=`, the key may not be empty.
    public static func parse(_ assignment: String) throws(KafkaError) -> (key: String, value: String) {
        guard let equals = assignment.firstIndex(of: "=") else {
            throw .configuration(key: assignment, message: "expected key=value")
        }
        let key = String(assignment[..<equals]).trimmingWhitespace()
        guard !key.isEmpty else {
            throw .configuration(key: "", message: "empty property name in '\(assignment)'")
        }
        return (key: key, value: String(assignment[assignment.index(after: equals)...]))
    }

    /// Parses every `key=value` string, keeping their order.
    public static func parse(all assignments: [String]) throws(KafkaError) -> KafkaProperties {
        var result: KafkaProperties = []
        for assignment in assignments {
            result.append(try parse(assignment))
        }
        return result
    }

    /// The value the last entry for `key` gives, if any (later entries win, as in librdkafka).
    public static func value(of key: String, in properties: KafkaProperties) -> String? {
        properties.last(where: { $0.key == key })?.value
    }
}

extension String {
    /// The string without leading and trailing spaces and tabs (no Foundation needed).
    fileprivate func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}
