/// Runs every input through the baseline (when there is one) and then the candidate, one input
/// at a time, and builds the report. Reports progress to `progress` at most every `interval`
/// nanoseconds; only the caller prints.
public struct Replayer {
    /// The modules every input runs through.
    public var modules: ReplayModules
    /// Replay only the captured waPC requests addressed to this served module (`nil`: all).
    public var onlyModule: String?
    /// Called with the inputs done so far and the expected total, when known.
    public var progress: ((_ done: Int, _ total: Int?) -> Void)?
    /// The least time between two progress reports, in nanoseconds.
    public var progressInterval: UInt64 = 200_000_000

    /// A replayer of `modules`, reporting progress to `progress` if given.
    public init(modules: ReplayModules, onlyModule: String? = nil, progress: ((_ done: Int, _ total: Int?) -> Void)? = nil) {
        self.modules = modules
        self.onlyModule = onlyModule
        self.progress = progress
    }

    /// Replays all of `input` into `builder`; fails on the first input that cannot be read, or
    /// on an input of the wrong kind for the modules.
    public func run(_ input: any ReplayInput, into builder: inout ReplayReportBuilder) throws(ReplayError) {
        var index = 0
        var lastProgress = ReplayClock.now()
        while let item = try input.next() {
            index += 1
            switch (item, modules) {
            case (.record(let record), .pollTask(let candidate, let baseline)):
                let task = record.task
                let old = baseline?.replay(task)
                let new = candidate.replay(task)
                builder.add(
                    .record(topic: task.topic, partition: task.partition, offset: task.offset, key: task.key),
                    candidate: new, baseline: old)
            case (.request(let request), .wapc(let candidate, let baseline)):
                if let onlyModule, request.module != onlyModule { continue }
                let old = baseline?.replay(operation: request.operation, payload: request.payload)
                let new = candidate.replay(operation: request.operation, payload: request.payload)
                builder.add(
                    .request(index: index, module: request.module, operation: request.operation), candidate: new,
                    baseline: old)
            case (.record, .wapc):
                throw .mismatch("the input holds stream records, but the modules are replayed as waPC modules (drop --wapc)")
            case (.request, .pollTask):
                throw .mismatch("the input holds waPC requests: replay it with waPC modules (--wapc)")
            }
            if let progress {
                let now = ReplayClock.now()
                if now &- lastProgress >= progressInterval {
                    lastProgress = now
                    progress(builder.count, input.expectedCount)
                }
            }
        }
        progress?(builder.count, input.expectedCount)
    }
}
