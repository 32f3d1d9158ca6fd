public import ServiceLifecycle
import Synchronization
import UnixSignals

/// Hot reload's trigger, for every trigger that reloads (`serve` and `process`): a `Service` that
/// watches files (modules, a config file) every `interval` and SIGHUP, and tells its owner what
/// changed. What a reload does (re-read the config, load and check a module, swap it in) is the
/// owner's; the owner answers with the files to watch from then on, since a config change can
/// point at a new module file.
public struct ReloadWatcher: Service {
    /// Why ``ReloadWatcher`` woke its owner.
    public struct Change: Sendable {
        /// SIGHUP arrived: reload everything, changed or not.
        public let signalled: Bool
        /// The watched files that changed (or appeared, or went) since the last look.
        public let changed: Set<String>
    }

    private let initial: [String]
    private let interval: Duration?
    private let onChange: @Sendable (Change) async -> [String]

    /// Watches `files`; `interval` `nil` watches for SIGHUP only. `onChange` runs one at a time
    /// and returns the files to watch next.
    public init(
        files: [String], interval: Duration?, onChange: @escaping @Sendable (Change) async -> [String]
    ) {
        initial = files
        self.interval = interval
        self.onChange = onChange
    }

    /// Set by SIGHUP, taken by the watch loop.
    private final class HangUp: Sendable {
        let raised = Atomic<Bool>(false)
    }

    public func run() async throws {
        let hangUp = HangUp()
        let signals = await UnixSignalsSequence(trapping: .sighup)
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await _ in signals { hangUp.raised.store(true, ordering: .relaxed) }
                }
                group.addTask {
                    await watch(hangUp: hangUp)
                }
                await group.next()
                group.cancelAll()
            }
        }
    }

    private func watch(hangUp: HangUp) async {
        var files = initial
        var snapshots = Dictionary(files.map { ($0, FileSnapshot($0)) }, uniquingKeysWith: { first, _ in first })
        let tick = min(interval ?? .milliseconds(100), .milliseconds(100))
        var sinceCheck = Duration.zero
        while !Task.isCancelled {
            try? await Task.sleep(for: tick)
            sinceCheck += tick
            let signalled = hangUp.raised.exchange(false, ordering: .relaxed)
            guard signalled || (interval.map { sinceCheck >= $0 } ?? false) else { continue }
            sinceCheck = .zero
            var changed: Set<String> = []
            for file in files where FileSnapshot(file) != snapshots[file] { changed.insert(file) }
            guard signalled || !changed.isEmpty else { continue }
            files = await onChange(Change(signalled: signalled, changed: changed))
            // Files first seen now are taken as they are: the owner has just loaded them.
            snapshots = Dictionary(files.map { ($0, FileSnapshot($0)) }, uniquingKeysWith: { first, _ in first })
        }
    }
}
