import Metrics

/// The state metrics of one partition's store, labelled with topic and partition like the
/// stream metrics: keys and bytes held, and how its last restore from the changelog went.
struct StateMetrics {
    let keys: Gauge
    let bytes: Gauge
    let restoreSeconds: Gauge
    let restoreRate: Gauge
    let restoredRecords: Counter

    init(_ partition: TopicPartition) {
        let dimensions = [("topic", partition.topic), ("partition", String(partition.partition))]
        keys = Gauge(label: "wasmton_state_keys", dimensions: dimensions)
        bytes = Gauge(label: "wasmton_state_bytes", dimensions: dimensions)
        restoreSeconds = Gauge(label: "wasmton_state_restore_seconds", dimensions: dimensions)
        restoreRate = Gauge(label: "wasmton_state_restore_records_per_second", dimensions: dimensions)
        restoredRecords = Counter(label: "wasmton_state_restored_records_total", dimensions: dimensions)
    }
}
