import ArgumentParser
import Foundation
import Logging
import Synchronization
import WasmtonRuntime
import WasmtonStreams

/// Hot reload for `process`, on its own thread beside the engine: SIGHUP, a change to the
/// module's file, or a change to `--config` (checked every `interval`) reloads. From the config
/// file it takes the dynamic properties (partition concurrency, rate limit, ignored keys, max
/// pending records), which the engine applies without a restart, and the module's path; new
/// processor code is instantiated once before the engine switches to it. Anything that fails
/// leaves the engine as it was and is logged.
final class StreamWatcher {
    /// What the watch thread and the signal handler share.
    private final class Flags: Sendable {
        let stopped = Atomic<Bool>(false)
        let raised = Atomic<Bool>(false)
    }

    private let flags = Flags()
    private let hangUp: any DispatchSourceSignal

    struct Setup: Sendable {
        var engine: StreamEngine
        var runtime: WasmRuntime
        var sandbox: Sandbox
        var isolateTasks: Bool
        var modulePath: String
        var configPath: String?
        var stream: String?
        /// `nil`: only on SIGHUP.
        var interval: Duration?
        var logger: Logger
    }

    init(_ setup: Setup) {
        signal(SIGHUP, SIG_IGN)
        hangUp = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        hangUp.setEventHandler { [flags] in flags.raised.store(true, ordering: .relaxed) }
        hangUp.resume()
        let worker = Thread { [flags] in Self.watch(setup, flags) }
        worker.name = "wasmton-reload"
        worker.start()
    }

    func stop() {
        flags.stopped.store(true, ordering: .relaxed)
        hangUp.cancel()
    }

    private static func watch(_ setup: Setup, _ flags: Flags) {
        var modulePath = setup.modulePath
        var moduleStamp = FileStamp(modulePath)
        var configStamp = setup.configPath.map(FileStamp.init)
        let tick = 0.1
        var sinceCheck = 0.0
        let interval = setup.interval.map { Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18 }
        while !flags.stopped.load(ordering: .relaxed) {
            Thread.sleep(forTimeInterval: tick)
            sinceCheck += tick
            let signalled = flags.raised.exchange(false, ordering: .relaxed)
            guard signalled || (interval.map { sinceCheck >= $0 } ?? false) else { continue }
            sinceCheck = 0
            if signalled { setup.logger.notice("SIGHUP: reloading the processor and the config") }
            if let path = setup.configPath, signalled || FileStamp(path) != configStamp {
                configStamp = FileStamp(path)
                if let reread = reread(path, setup) {
                    do {
                        try setup.engine.update(reread.properties)
                    } catch {
                        setup.logger.error("config reload failed; nothing changed", metadata: ["error": "\(error)"])
                    }
                    if reread.module != modulePath {
                        modulePath = reread.module
                        moduleStamp = FileStamp("")  // load from the new path below
                    }
                }
            }
            let stamp = FileStamp(modulePath)
            guard signalled || stamp != moduleStamp else { continue }
            moduleStamp = stamp
            reload(modulePath, setup)
        }
    }

    private static func reload(_ path: String, _ setup: Setup) {
        do {
            let module = try setup.runtime.load(path: path)
            try setup.engine.reload(
                ProcessorFactory(runtime: setup.runtime, module: module, sandbox: setup.sandbox, isolateTasks: setup.isolateTasks)
            )
        } catch {
            setup.logger.error(
                "reload failed; still running the previous processor", metadata: ["path": "\(path)", "error": "\(error)"])
        }
    }

    /// The stream's dynamic properties and module path as the config file now says.
    private static func reread(_ path: String, _ setup: Setup) -> (properties: DynamicStreamProperties, module: String)? {
        do {
            let arguments = try ConfigFile.load(path).processArguments(stream: setup.stream)
            let command = try ProcessCommand.parse(arguments.arguments)
            let settings = try command.processing.settings(for: try StreamInput(file: command.file, kafka: command.kafka))
            return (DynamicStreamProperties(settings), command.module)
        } catch {
            let message = (error as? ConfigError)?.description ?? ProcessCommand.message(for: error)
            setup.logger.error("config reload failed; nothing changed", metadata: ["error": "\(message)"])
            return nil
        }
    }
}
