extension Duration {
    /// The duration in seconds, for clocks and APIs that take a `Double` (or milliseconds).
    package var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
