import Metrics

/// The metrics of one partition, in Decaton's vocabulary, labelled with topic and partition.
/// They go to whatever `MetricsSystem` backend the application bootstrapped (Prometheus in the CLI).
struct PartitionMetrics {
    let processed: Counter
    let discarded: Counter
    let error: Counter
    let retried: Counter
    let deadLettered: Counter
    let processDuration: Timer
    let pending: Gauge
    let paused: Gauge
    let committedOffset: Gauge
    let consumedOffset: Gauge
    /// The partition's sub-partitions (its concurrency), which a dynamic property can change.
    let subPartitions: Gauge

    init(_ partition: TopicPartition) {
        let dimensions = [("topic", partition.topic), ("partition", String(partition.partition))]
        processed = Counter(label: "wasmton_tasks_processed_total", dimensions: dimensions)
        discarded = Counter(label: "wasmton_tasks_discarded_total", dimensions: dimensions)
        error = Counter(label: "wasmton_tasks_error_total", dimensions: dimensions)
        retried = Counter(label: "wasmton_tasks_retried_total", dimensions: dimensions)
        deadLettered = Counter(label: "wasmton_tasks_dead_lettered_total", dimensions: dimensions)
        processDuration = Timer(
            label: "wasmton_task_process_duration_seconds", dimensions: dimensions, preferredDisplayUnit: .seconds)
        pending = Gauge(label: "wasmton_tasks_pending", dimensions: dimensions)
        paused = Gauge(label: "wasmton_partition_paused", dimensions: dimensions)
        committedOffset = Gauge(label: "wasmton_offset_committed", dimensions: dimensions)
        consumedOffset = Gauge(label: "wasmton_offset_consumed", dimensions: dimensions)
        subPartitions = Gauge(label: "wasmton_partition_sub_partitions", dimensions: dimensions)
    }
}
