/// One waPC request as `serve --capture` keeps it: the served module it was addressed to, the
/// operation and the payload the guest received (after the gateway's JSON-to-MessagePack step).
public struct CapturedRequest: Sendable, Equatable {
    /// The served module's name (`/v1/{module}/…`).
    public var module: String
    /// The waPC operation.
    public var operation: String
    /// The payload bytes handed to `__guest_call`.
    public var payload: [UInt8]
    /// When the request arrived, in milliseconds since 1970.
    public var timestampMilliseconds: Int64?

    /// A request with its timestamp.
    public init(module: String, operation: String, payload: [UInt8], timestampMilliseconds: Int64? = nil) {
        self.module = module
        self.operation = operation
        self.payload = payload
        self.timestampMilliseconds = timestampMilliseconds
    }
}
