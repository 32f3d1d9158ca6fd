public import Logging
import Synchronization

/// Runs a PollTask processor over a stream of records with Decaton's processing model: per-key
/// serial processing in offset order with concurrency inside a partition, out-of-order commit,
/// back-pressure, retries and dead letters, and a graceful shutdown.
///
/// `run` blocks the calling thread (the coordinator) until the source is exhausted or
/// ``shutdown()`` is called from any thread; guest code runs on threads of the engine's own.
public final class StreamEngine: Sendable {
    public let settings: StreamSettings
    public let factory: ProcessorFactory
    let logger: Logger
    private let stopRequested = Atomic<Bool>(false)
    /// Changes asked for while running, taken by the coordinator at its next turn.
    private let changes = Mutex<Changes>(Changes())

    struct Changes {
        var properties: DynamicStreamProperties?
        var factory: ProcessorFactory?
    }

    /// Checks `settings`; the processor module is instantiated once here, so a module that does
    /// not fit the PollTask contract fails before any record is consumed.
    public init(settings: StreamSettings, factory: ProcessorFactory, logger: Logger) throws(StreamError) {
        self.settings = try settings.validated()
        self.factory = factory
        self.logger = logger
        try Self.check(factory)
    }

    /// Consumes `source` until it is exhausted or ``shutdown()`` is called, then finishes or hands
    /// back in-flight work, commits, and leaves. Failed records go to `sink` (retry and
    /// dead-letter topics), and so do the records processors emit.
    public func run(source: some RecordSource, sink: some RecordSink) throws(StreamError) -> StreamSummary {
        let coordinator = StreamCoordinator(engine: self, source: source, sink: sink)
        return try coordinator.run()
    }

    /// Asks `run` to stop; safe from any thread, including a signal handler's queue.
    public func shutdown() {
        stopRequested.store(true, ordering: .releasing)
    }

    var isStopRequested: Bool { stopRequested.load(ordering: .acquiring) }

    /// Applies new dynamic properties to the running engine (see ``DynamicStreamProperties``);
    /// safe from any thread. Throws, changing nothing, for properties that are not valid.
    public func update(_ properties: DynamicStreamProperties) throws(StreamError) {
        _ = try properties.applied(to: settings).validated()
        changes.withLock { $0.properties = properties }
    }

    /// Runs new processor code without a restart: `factory`'s module is instantiated once here
    /// (so one that does not fit the contract throws and changes nothing); each partition
    /// switches once its sub-partitions have finished the tasks they hold.
    public func reload(_ factory: ProcessorFactory) throws(StreamError) {
        try Self.check(factory)
        changes.withLock { $0.factory = factory }
    }

    /// The changes asked for since the last call.
    func takeChanges() -> Changes? {
        changes.withLock { changes in
            guard changes.properties != nil || changes.factory != nil else { return nil }
            defer { changes = Changes() }
            return changes
        }
    }

    private static func check(_ factory: ProcessorFactory) throws(StreamError) {
        do {
            try factory.make().close()
        } catch {
            throw .processor(
                "\(factory.module.name) is not a PollTask processor (one that exports memory and run): \(error.description)")
        }
    }
}
