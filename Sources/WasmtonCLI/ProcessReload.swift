import ArgumentParser
import Logging
import Synchronization
import WasmtonRuntime
import WasmtonStreams

/// What `process` does when its ``ReloadWatcher`` wakes it (SIGHUP, a change to the module's
/// file or to `--config`): from the config file it takes the dynamic properties (partition
/// concurrency, rate limit, ignored keys, max pending records), which the engine applies without
/// a restart, and the module's path; new processor code is instantiated once before the engine
/// switches to it. Anything that fails leaves the engine as it was and is logged.
struct ProcessReload: Sendable {
    var engine: StreamEngine
    var runtime: WasmRuntime
    var sandbox: Sandbox
    var isolateTasks: Bool
    var modulePath: String
    var configPath: String?
    var stream: String?
    var logger: Logger

    /// The watcher to run beside the stream; `interval` `nil` reloads on SIGHUP only.
    func watcher(interval: Duration?) -> ReloadWatcher {
        let current = Mutex(modulePath)
        return ReloadWatcher(files: files(modulePath), interval: interval) { change in
            var path = current.withLock { $0 }
            var moved = false
            if change.signalled { logger.notice("SIGHUP: reloading the processor and the config") }
            if let configPath, change.signalled || change.changed.contains(configPath), let reread = reread(configPath) {
                do {
                    try engine.update(reread.properties)
                } catch {
                    logger.error("config reload failed; nothing changed", metadata: ["error": "\(error)"])
                }
                if reread.module != path {
                    path = reread.module
                    moved = true
                }
            }
            if change.signalled || moved || change.changed.contains(path) { reload(path) }
            current.withLock { $0 = path }
            return files(path)
        }
    }

    private func files(_ module: String) -> [String] {
        [module] + (configPath.map { [$0] } ?? [])
    }

    private func reload(_ path: String) {
        do {
            let module = try runtime.load(path: path)
            try engine.reload(ProcessorFactory(runtime: runtime, module: module, sandbox: sandbox, isolateTasks: isolateTasks))
        } catch {
            logger.error(
                "reload failed; still running the previous processor", metadata: ["path": "\(path)", "error": "\(error)"])
        }
    }

    /// The stream's dynamic properties and module path as the config file now says.
    private func reread(_ path: String) -> (properties: DynamicStreamProperties, module: String)? {
        do {
            let command = try ProcessCommand.configured(by: try ConfigFile.load(path), stream.map { ["--stream", $0] } ?? [])
            let settings = try command.processing.settings(for: try StreamInput(file: command.file, kafka: command.kafka))
            return (DynamicStreamProperties(settings), try command.processor())
        } catch {
            let message = ConfigCommandLine.message(for: error, of: ProcessCommand.self)
            logger.error("config reload failed; nothing changed", metadata: ["error": "\(message)"])
            return nil
        }
    }
}
