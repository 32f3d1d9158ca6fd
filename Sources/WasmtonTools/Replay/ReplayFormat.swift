/// Number formatting shared by the report renderers.
enum ReplayFormat {
    /// A change in percent with its sign and one decimal: `+12.5%`, `-3.0%`, `n/a` when unknown.
    static func percent(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "n/a" }
        let tenths = (value * 10).rounded() / 10
        let text = tenths == tenths.rounded() ? "\(Int(tenths)).0" : "\(tenths)"
        return (tenths >= 0 ? "+" : "") + text + "%"
    }

    /// A count, in digits.
    static func count(_ value: UInt64) -> String {
        String(value)
    }

    /// Nanoseconds in the largest unit that keeps the number at 1 or more: `812 ns`, `41.2 µs`,
    /// `3.10 ms`, `1.20 s`.
    static func duration(_ nanoseconds: UInt64) -> String {
        let value = Double(nanoseconds)
        switch nanoseconds {
        case ..<1_000: return "\(nanoseconds) ns"
        case ..<1_000_000: return fixed(value / 1e3) + " µs"
        case ..<1_000_000_000: return fixed(value / 1e6) + " ms"
        default: return fixed(value / 1e9) + " s"
        }
    }

    /// Three significant digits for values from 1 to 999.
    private static func fixed(_ value: Double) -> String {
        let decimals = value >= 100 ? 0 : value >= 10 ? 1 : 2
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let rounded = (value * scale).rounded() / scale
        guard decimals > 0 else { return "\(Int(rounded))" }
        let whole = Int(rounded)
        let fraction = Int(((rounded - Double(whole)) * scale).rounded())
        var digits = String(fraction)
        while digits.count < decimals { digits = "0" + digits }
        return "\(whole).\(digits)"
    }

    /// Text padded with spaces on the left to `width`.
    static func right(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }

    /// Text padded with spaces on the right to `width`.
    static func left(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
}
