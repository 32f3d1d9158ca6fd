/// Why a Kafka operation failed; every case carries librdkafka's own wording where there is one.
public enum KafkaError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A librdkafka property (`-X key=value`) was rejected, or a `key=value` string was malformed.
    case configuration(key: String, message: String)
    /// The client could not be created (rd_kafka_new failed).
    case client(String)
    /// Subscribing to topics failed.
    case subscribe(String)
    /// Committing offsets (or reading committed offsets) failed.
    case commit(String)
    /// A record could not be enqueued or was not delivered.
    case produce(String)
    /// An admin request (create topic, watermarks) failed.
    case admin(String)
    /// librdkafka raised a fatal error: the client is unusable and must be closed and recreated.
    case fatal(String)
    /// A non-fatal error librdkafka reported and retries on its own (broker down, connection lost,
    /// a consume error on one partition); informational, reported through `onError`.
    case transient(String)
    /// An operation did not finish within its time limit.
    case timedOut(String)
    /// The client was closed before or during the call.
    case closed

    /// One line saying what failed and what to check.
    public var description: String {
        switch self {
        case .configuration(let key, let message):
            return "librdkafka property '\(key)': \(message)"
        case .client(let message):
            return "cannot create Kafka client: \(message) (check the -X properties)"
        case .subscribe(let message):
            return "Kafka subscribe failed: \(message)"
        case .commit(let message):
            return "Kafka offset commit failed: \(message)"
        case .produce(let message):
            return "Kafka produce failed: \(message)"
        case .admin(let message):
            return "Kafka admin request failed: \(message)"
        case .fatal(let message):
            return "fatal Kafka client error (the client must be recreated): \(message)"
        case .transient(let message):
            return "Kafka client error (librdkafka retries): \(message)"
        case .timedOut(let message):
            return "Kafka operation timed out: \(message) (is the broker reachable?)"
        case .closed:
            return "the Kafka client is closed"
        }
    }
}
