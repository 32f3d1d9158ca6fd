internal import CWasmtime
import Foundation
import Synchronization

/// Wasmtime's C library, loaded at run time so that building Wasmton never needs it.
///
/// ``load(path:)`` looks where a user or the project's scripts put it: `WASMTON_WASMTIME_LIB`,
/// then a `.deps/` directory (the current one, or one above the `wasmton` executable), then the
/// system library path. The library of PyPI's `wasmtime` wheel (`_libwasmtime.so`) and the
/// `libwasmtime.so` of Wasmtime's c-api release both work; version 50 is what Wasmton is built
/// against.
public final class WasmtimeLibrary: Sendable {
    /// The major version whose C API Wasmton declares.
    public static let supportedVersion = "50"
    /// What a user types to get the library.
    public static let installHint =
        "install it with scripts/install-wasmtime.sh (PyPI's wasmtime==50.0.1 wheel into .deps/), or set WASMTON_WASMTIME_LIB to a libwasmtime.so of Wasmtime 50"

    /// The file it was loaded from.
    public let path: String
    /// The resolved functions; valid for the life of the process. `nonisolated(unsafe)`: the
    /// table is written once by `cwasmtime_load` before this object exists and only read after.
    nonisolated(unsafe) let api: UnsafePointer<cwasmtime_api>

    private init(path: String, api: UnsafePointer<cwasmtime_api>) {
        self.path = path
        self.api = api
    }

    private static let loaded = Mutex<[String: WasmtimeLibrary]>([:])

    /// Loads the library at `path`, or the first one found in the places listed above. Loading
    /// the same file again returns the same library.
    public static func load(path: String? = nil) throws(WasmtimeLibraryError) -> WasmtimeLibrary {
        // A path the user named (argument or WASMTON_WASMTIME_LIB) is the only one tried.
        let explicit = path ?? ProcessInfo.processInfo.environment["WASMTON_WASMTIME_LIB"].flatMap { $0.isEmpty ? nil : $0 }
        let candidates = explicit.map { [$0] } ?? searchPaths()
        var reasons: [String] = []
        for candidate in candidates {
            if let library = loaded.withLock({ $0[candidate] }) { return library }
            if candidate.contains("/") && !FileManager.default.fileExists(atPath: candidate) {
                if explicit != nil { throw .notFound(searched: [candidate]) }
                continue
            }
            var message = [CChar](repeating: 0, count: 512)
            guard let api = cwasmtime_load(candidate, &message, message.count) else {
                let reason = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                if reason.contains("has no function") { throw .wrongVersion(path: candidate, reason: reason) }
                reasons.append(reason)
                continue
            }
            let library = WasmtimeLibrary(path: candidate, api: api)
            return loaded.withLock { loaded in
                if let existing = loaded[candidate] { return existing }
                loaded[candidate] = library
                return library
            }
        }
        if let explicit, let reason = reasons.first { throw .unloadable(path: explicit, reason: reason) }
        throw .notFound(searched: candidates)
    }

    /// Where ``load(path:)`` looks, in order, when no path is named.
    static func searchPaths() -> [String] {
        var paths: [String] = []
        var roots = [FileManager.default.currentDirectoryPath]
        var directory = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath()
            .deletingLastPathComponent()
        for _ in 0..<4 {
            roots.append(directory.path)
            directory.deleteLastPathComponent()
        }
        for root in roots {
            let deps = root + "/.deps"
            paths.append(deps + "/libwasmtime.so")
            if let wheel = try? FileManager.default.contentsOfDirectory(atPath: deps + "/wasmtime-py/wasmtime") {
                for platform in wheel.sorted() {
                    let candidate = "\(deps)/wasmtime-py/wasmtime/\(platform)/_libwasmtime.so"
                    if FileManager.default.fileExists(atPath: candidate) { paths.append(candidate) }
                }
            }
        }
        paths.append("libwasmtime.so")
        var seen = Set<String>()
        return paths.filter { seen.insert($0).inserted }
    }
}

/// Why Wasmtime's library could not be used.
public enum WasmtimeLibraryError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No library in any of the places looked at.
    case notFound(searched: [String])
    /// A file that `dlopen` refused.
    case unloadable(path: String, reason: String)
    /// A library that lacks a function of Wasmtime 50's C API.
    case wrongVersion(path: String, reason: String)

    public var description: String {
        switch self {
        case .notFound(let searched):
            let place = searched.count == 1 ? " at \(searched[0])" : ""
            return
                "--engine wasmtime: Wasmtime's C library (libwasmtime.so) was not found\(place); \(WasmtimeLibrary.installHint)"
        case .unloadable(let path, let reason):
            return "--engine wasmtime: cannot load \(path): \(reason)"
        case .wrongVersion(let path, let reason):
            return
                "--engine wasmtime: \(path) is not Wasmtime \(WasmtimeLibrary.supportedVersion)'s C API (\(reason)); \(WasmtimeLibrary.installHint)"
        }
    }
}
