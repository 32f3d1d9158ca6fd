public import WasmtonContracts
public import WasmtonRuntime
public import WasmtonStreams

/// Runs records through one PollTask processor the way the stream engine's workers do: one
/// instance reused from record to record, a new one after a failure, or a fresh one for every
/// record when the factory isolates tasks. Nothing leaves the process: emitted records are
/// returned, not produced. Not safe to share between threads.
public final class PollTaskReplayer {
    /// Makes the processors, with the sandbox and limits they run under.
    public let factory: ProcessorFactory
    private var processor: PollTaskProcessor?

    /// A replayer over `factory`'s processors; nothing is instantiated until ``check()`` or the first record.
    public init(factory: ProcessorFactory) {
        self.factory = factory
    }

    deinit {
        processor?.close()
    }

    /// Makes the first instance now, so that a module that is not a PollTask processor (no
    /// `run`, no `memory`, an import the host lacks) is reported before any record is replayed.
    /// A failure while instantiating that production would meet per record (a trap in
    /// `_initialize`, a limit) is left to the records' outcomes.
    public func check() throws(GuestError) {
        guard processor == nil else { return }
        do throws(GuestError) {
            let made = try factory.make()
            // An isolated task pays for its own instance: keep none for the first record.
            if factory.isolateTasks { made.close() } else { processor = made }
        } catch {
            if !error.poisonsInstance { throw error }
        }
    }

    /// Processes `task` and says what happened. A failure to instantiate is an outcome too
    /// (``ReplayOutcome/failed(_:)`` or the limit it hit), as it would fail the record in production.
    public func replay(_ task: StreamTask) -> ReplayObservation {
        var start = ReplayClock.now()
        let current: PollTaskProcessor
        do throws(GuestError) {
            if let processor {
                current = processor
            } else {
                current = try factory.make()
            }
        } catch {
            return ReplayObservation(outcome: ReplayOutcome(failure: error), nanoseconds: ReplayClock.now() &- start)
        }
        // A reused instance's making is not the record's cost; an isolated task pays for its own.
        if !factory.isolateTasks { start = ReplayClock.now() }
        let fuelBefore = current.instance.fuelConsumed
        let observation: ReplayObservation
        do {
            let result = try current.process(task)
            let end = ReplayClock.now()
            observation = ReplayObservation(
                outcome: ReplayOutcome(status: result.status),
                outputs: result.outputs.map { ReplayObservation.Output(key: $0.key, value: $0.value) },
                fuel: Self.fuel(current, since: fuelBefore), nanoseconds: end &- start)
            if factory.isolateTasks {
                current.close()
                processor = nil
            } else {
                processor = current
            }
        } catch {
            let end = ReplayClock.now()
            observation = ReplayObservation(
                outcome: ReplayOutcome(failure: error), fuel: Self.fuel(current, since: fuelBefore), nanoseconds: end &- start)
            // As in production: a failed call may leave the instance inconsistent; start afresh.
            current.close()
            processor = nil
        }
        return observation
    }

    /// Releases the instance.
    public func close() {
        processor?.close()
        processor = nil
    }

    private static func fuel(_ processor: PollTaskProcessor, since before: UInt64?) -> UInt64? {
        guard let before, let after = processor.instance.fuelConsumed else { return nil }
        return after &- before
    }
}
