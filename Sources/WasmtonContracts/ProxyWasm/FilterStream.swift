import Synchronization

/// One HTTP exchange as a chain of proxy-wasm filters sees it: headers, bodies and trailers each
/// way, the properties filters can read, and the local response a filter may send instead of
/// letting the request through.
///
/// The gateway fills the request side, runs the request callbacks, then fills the response side
/// and runs the response callbacks; filters edit it in between through the host functions.
public final class FilterStream: Sendable {
    /// An answer a filter sent itself (`proxy_send_local_response`), short-circuiting the chain.
    public struct LocalResponse: Sendable, Equatable {
        public var status: Int
        public var details: String
        public var body: [UInt8]
        public var headers: HeaderList
    }

    /// What a filter can see and change.
    public struct Contents: Sendable {
        public var requestHeaders = HeaderList()
        public var requestBody: [UInt8] = []
        public var requestTrailers = HeaderList()
        public var responseHeaders = HeaderList()
        public var responseBody: [UInt8] = []
        public var responseTrailers = HeaderList()
        public var localResponse: LocalResponse?
        /// Properties by dotted path, as proxy-wasm encodes them: those a filter set
        /// (`proxy_set_property`) and any the host adds. They take precedence over ``request``'s.
        public var properties: [String: [UInt8]] = [:]
        /// The request's own properties (`request.*`, `source.*`), encoded when read.
        public var request: RequestProperties?
        /// The response's status code, once the response headers are in (`response.code`).
        public var responseCode: Int?

        /// The property at the dotted `key`: one set in ``properties``, else the request's or
        /// the response's own; `nil` when there is none.
        public func property(_ key: String) -> [UInt8]? {
            if !properties.isEmpty, let value = properties[key] { return value }
            if key == "response.code" { return responseCode.map { FilterStream.property(Int64($0)) } }
            return request?.value(for: key)
        }
    }

    private let contents: Mutex<Contents>

    /// A stream for a request with `headers` (pseudo-headers `:method`, `:path`, `:authority`,
    /// `:scheme` included), the request's own properties (`request`) and any others
    /// (`properties`, which take precedence).
    public init(requestHeaders: HeaderList, request: RequestProperties? = nil, properties: [String: [UInt8]] = [:]) {
        var contents = Contents()
        contents.requestHeaders = requestHeaders
        contents.request = request
        contents.properties = properties
        self.contents = Mutex(contents)
    }

    /// Reads or edits the stream.
    public func withContents<R>(_ body: (inout Contents) throws -> R) rethrows -> R {
        try contents.withLock { try body(&$0) }
    }

    /// The request headers as they are now.
    public var requestHeaders: HeaderList { contents.withLock { $0.requestHeaders } }
    /// The response headers as they are now.
    public var responseHeaders: HeaderList { contents.withLock { $0.responseHeaders } }
    /// The local response a filter sent, if any.
    public var localResponse: LocalResponse? { contents.withLock { $0.localResponse } }

    /// A property's value as proxy-wasm passes it: text as its UTF-8 bytes.
    public static func property(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// A property's value as proxy-wasm passes it: an integer as 8 little-endian bytes.
    public static func property(_ number: Int64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: UInt64(bitPattern: number) >> (8 * UInt64($0))) }
    }
}
