/// The order in which a partition's state changes take effect, kept by the coordinator: a
/// record's outputs are delivered, then its state change goes to the changelog (Kafka) and is
/// delivered, then it is applied to the local store, and only then the record completes (and its
/// offset may be committed). Changes ready at the same time are applied in one transaction.
final class PartitionStateLedger {
    let store: PartitionStateStore
    let changelog: StateChangelog?
    let metrics: StateMetrics
    /// Changes of records whose outputs are not all delivered yet.
    private var awaitingOutputs: [Int64: [PartitionStateStore.Change]] = [:]
    /// Changes sent to the changelog and not yet delivered.
    private var awaitingChangelog: [Int64: [PartitionStateStore.Change]] = [:]
    /// Changes whose outputs were delivered, to send to the changelog.
    private(set) var toLog: [(offset: Int64, changes: [PartitionStateStore.Change])] = []
    /// Changes ready to apply locally, and the records that complete with them.
    private var ready: [(offset: Int64, changes: [PartitionStateStore.Change])] = []

    init(store: PartitionStateStore, changelog: StateChangelog?, metrics: StateMetrics) {
        self.store = store
        self.changelog = changelog
        self.metrics = metrics
        metrics.keys.record(store.keyCount)
        metrics.bytes.record(store.storedBytes)
    }

    /// Holds the changes of the record at `offset` until its outputs are delivered.
    func hold(_ changes: [PartitionStateStore.Change], for offset: Int64) {
        awaitingOutputs[offset] = changes
    }

    /// The record at `offset` finished its current step; true when its state still has a step to
    /// go (the record must not complete yet).
    func stepFinished(_ offset: Int64) -> Bool {
        if let changes = awaitingOutputs.removeValue(forKey: offset) {
            if changelog != nil { toLog.append((offset, changes)) } else { ready.append((offset, changes)) }
            return true
        }
        if let changes = awaitingChangelog.removeValue(forKey: offset) {
            ready.append((offset, changes))
            return true
        }
        return false
    }

    /// The changes to send to the changelog now; each then waits for its delivery.
    func takeToLog() -> [(offset: Int64, changes: [PartitionStateStore.Change])] {
        defer { toLog.removeAll() }
        for (offset, changes) in toLog { awaitingChangelog[offset] = changes }
        return toLog
    }

    /// Applies every ready change in one transaction and returns the offsets that may complete.
    func applyReady() throws(StateStoreError) -> [Int64] {
        guard !ready.isEmpty else { return [] }
        let batch = ready
        ready.removeAll()
        try store.apply(batch.flatMap(\.changes))
        metrics.keys.record(store.keyCount)
        metrics.bytes.record(store.storedBytes)
        return batch.map(\.offset)
    }
}
