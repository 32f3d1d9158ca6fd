import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import UnixSignals
import WasmtonGateway
import WasmtonRuntime

/// Hot reload for `serve`: reloads a module when its file changes (checked every `interval`),
/// and every module on SIGHUP. With `--config`, a change to the config file (or SIGHUP) re-reads
/// it, and a module whose path changed is loaded from its new path. The new module is loaded,
/// validated and warmed before it replaces the old one; one that fails leaves the old one
/// serving and logs why.
struct ModuleWatcher: Service {
    let gateway: Gateway
    let runtime: WasmRuntime
    /// Served name → file.
    let modules: [String: String]
    let configPath: String?
    /// How often files are checked; `nil`: only on SIGHUP.
    let interval: Duration?
    let logger: Logger

    /// Set by SIGHUP, taken by the watch loop.
    private final class HangUp: Sendable {
        let raised = Atomic<Bool>(false)
    }

    func run() async throws {
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
        var paths = modules
        var stamps = paths.mapValues(FileStamp.init)
        var configStamp = configPath.map(FileStamp.init)
        let tick = min(interval ?? .milliseconds(200), .milliseconds(200))
        var sinceCheck = Duration.zero
        while !Task.isCancelled {
            try? await Task.sleep(for: tick)
            sinceCheck += tick
            let signalled = hangUp.raised.exchange(false, ordering: .relaxed)
            guard signalled || (interval.map { sinceCheck >= $0 } ?? false) else { continue }
            sinceCheck = .zero
            if signalled { logger.notice("SIGHUP: reloading every module") }
            if let configPath, signalled || FileStamp(configPath) != configStamp {
                configStamp = FileStamp(configPath)
                if let reread = rereadConfig(configPath) {
                    for (name, path) in reread where paths[name] != path {
                        paths[name] = path
                        stamps[name] = nil  // reload from the new path
                    }
                }
            }
            for (name, path) in paths.sorted(by: { $0.key < $1.key }) {
                let stamp = FileStamp(path)
                guard signalled || stamp != stamps[name] else { continue }
                stamps[name] = stamp
                await reload(name, from: path)
            }
        }
    }

    private func reload(_ name: String, from path: String) async {
        let module: WasmModule
        do {
            module = try runtime.load(path: path)
        } catch {
            logger.error(
                "reload failed; still serving the previous version",
                metadata: ["module": "\(name)", "path": "\(path)", "error": "\(error)"])
            return
        }
        do {
            try await gateway.reload(name, with: module)
        } catch {
            logger.error(
                "reload failed; still serving the previous version",
                metadata: ["module": "\(name)", "path": "\(path)", "error": "\(error)"])
        }
    }

    /// The modules the config file now names for `serve` (name → path), or `nil` after logging
    /// why it cannot be used. Modules added or removed there need a restart.
    private func rereadConfig(_ path: String) -> [String: String]? {
        do {
            let arguments = try ConfigFile.load(path).serveArguments()
            let command = try ServeCommand.parse(arguments.arguments)
            var served: [String: String] = [:]
            for argument in command.modules {
                let (name, path) = ServedModule.nameAndPath(argument)
                served[name] = path
            }
            let added = Set(served.keys).subtracting(modules.keys)
            let removed = Set(modules.keys).subtracting(served.keys)
            if !added.isEmpty || !removed.isEmpty {
                logger.warning(
                    "config: adding or removing modules needs a restart",
                    metadata: ["added": "\(added.sorted())", "removed": "\(removed.sorted())"])
            }
            logger.notice("config re-read: module files reload now; other settings apply at the next restart")
            return served.filter { modules[$0.key] != nil }
        } catch {
            let message = (error as? ConfigError)?.description ?? ServeCommand.message(for: error)
            logger.error("config reload failed; nothing changed", metadata: ["error": "\(message)"])
            return nil
        }
    }
}
