/// A mistake in a config file, with the place it is at, so the message can point at the line.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    /// `FILE:LINE:COLUMN`, or just the file when the mistake has no one place.
    public var location: ConfigLocation
    public var message: String

    init(_ location: ConfigLocation, _ message: String) {
        self.location = location
        self.message = message
    }

    public var description: String { "\(location): \(message)" }
}

/// A place in a config file.
public struct ConfigLocation: Sendable, Equatable, CustomStringConvertible {
    public var file: String
    /// 1-based; 0 when unknown.
    public var line: Int
    public var column: Int

    public var description: String { line > 0 ? "\(file):\(line):\(column)" : file }
}
