public import WasmtonContracts

/// What the filter chain decided for one event of an exchange (headers, or a chunk of body).
public enum FilterStep: Sendable, Equatable {
    /// Nothing goes on yet: a filter holds the headers or is buffering the body
    /// (proxy-wasm's Pause, Envoy's StopIteration and StopIterationAndBuffer).
    case held
    /// The headers (if they have not gone yet) and these body bytes go on.
    case forward([UInt8])
    /// A filter answered itself (`proxy_send_local_response`): send this instead.
    case respond(FilterStream.LocalResponse)
}
