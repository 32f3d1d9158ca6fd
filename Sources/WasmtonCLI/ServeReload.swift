import ArgumentParser
import Logging
import Synchronization
import WasmtonGateway
import WasmtonRuntime

/// What `serve` does when its ``ReloadWatcher`` wakes it: reloads a module whose file changed,
/// and every module on SIGHUP. With `--config`, a change to the config file (or SIGHUP) re-reads
/// it, and a module whose path changed is loaded from its new path. The new module is loaded,
/// validated and warmed before it replaces the old one; one that fails leaves the old one
/// serving and logs why.
struct ServeReload: Sendable {
    let gateway: Gateway
    let runtime: WasmRuntime
    /// Served name → file.
    let modules: [String: String]
    let configPath: String?
    let logger: Logger

    /// The watcher to run beside the gateway; `interval` `nil` reloads on SIGHUP only.
    func watcher(interval: Duration?) -> ReloadWatcher {
        let paths = Mutex(modules)
        return ReloadWatcher(files: files(modules), interval: interval) { change in
            var current = paths.withLock { $0 }
            var moved: Set<String> = []
            if change.signalled { logger.notice("SIGHUP: reloading every module") }
            if let configPath, change.signalled || change.changed.contains(configPath),
                let reread = rereadConfig(configPath)
            {
                for (name, path) in reread where current[name] != path {
                    current[name] = path
                    moved.insert(name)
                }
            }
            for (name, path) in current.sorted(by: { $0.key < $1.key })
            where change.signalled || change.changed.contains(path) || moved.contains(name) {
                await reload(name, from: path)
            }
            paths.withLock { $0 = current }
            return files(current)
        }
    }

    private func files(_ modules: [String: String]) -> [String] {
        modules.values.sorted() + (configPath.map { [$0] } ?? [])
    }

    private func reload(_ name: String, from path: String) async {
        do {
            let module = try runtime.load(path: path)
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
            let command = try ServeCommand.configured(by: try ConfigFile.load(path))
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
            let message = ConfigCommandLine.message(for: error, of: ServeCommand.self)
            logger.error("config reload failed; nothing changed", metadata: ["error": "\(message)"])
            return nil
        }
    }
}
