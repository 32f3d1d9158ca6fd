/// Where a replay's inputs come from: a capture file, a `--input` file or a Kafka range.
public protocol ReplayInput: AnyObject {
    /// How many inputs there will be, when known up front (for progress and ETA).
    var expectedCount: Int? { get }
    /// The next input, or `nil` when there are no more.
    func next() throws(ReplayError) -> ReplayItem?
}
