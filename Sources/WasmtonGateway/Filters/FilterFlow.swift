/// How far one direction (request or response) of an exchange has got through its filters.
///
/// Positions count filters in the order this direction visits them: first to last for the
/// request, last to first for the response. Headers stop at the first filter that pauses them,
/// and body bytes reach a filter only once every filter before it let the headers go, as in
/// Envoy's filter manager; so the headers leave the chain only when all filters passed them.
struct FilterFlow: Sendable {
    /// Filters whose headers callback has run.
    var headersCalled = 0
    /// Filters that let the headers go on (at once, or later from a body callback).
    var headersPassed = 0
    /// The body bytes each filter is holding (it answered Pause to a body callback), by position.
    var held: [Int: [UInt8]] = [:]
}
