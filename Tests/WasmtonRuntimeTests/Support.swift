import Foundation
import Synchronization
import Testing
import WasmtonRuntime
import WasmtonTestSupport

/// Finds the example guests and holds what most tests share.
enum Guests {
    /// The repository root, found from this file's path (`Tests/WasmtonRuntimeTests/Support.swift`).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// `guests/build/NAME.wasm`.
    static func path(_ name: String) -> String {
        root.appendingPathComponent("guests/build/\(name).wasm").path
    }

    /// The bytes of `guests/build/NAME.wasm`.
    static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path(name))))
    }

    /// One runtime for tests that do not look at the module cache, so fuel calibration runs once.
    static let runtime = WasmRuntime.forTests()

    /// Loads `guests/build/NAME.wasm` into the shared runtime.
    static func module(_ name: String) throws -> WasmModule {
        try runtime.load(path: path(name))
    }

    /// Instantiates `guests/build/NAME.wasm` in the shared runtime.
    static func instance(
        _ name: String, sandbox: Sandbox = Sandbox(), hostFunctions: [HostFunction] = []
    ) throws -> WasmInstance {
        try runtime.instantiate(module(name), sandbox: sandbox, hostFunctions: hostFunctions)
    }

    /// Loads WebAssembly text into the shared runtime.
    static func wat(_ text: String, name: String = "inline") throws -> WasmModule {
        try runtime.load(bytes: Array(text.utf8), name: name)
    }
}

/// A fresh temporary directory, removed by `cleanup`.
func makeTemporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("wasmton-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Runs `body(0..<count)` on `count` new threads (guest code runs on threads Wasmton owns, never
/// on Swift concurrency's cooperative pool) and returns their results in index order.
func onThreads<T: Sendable>(_ count: Int, _ body: @escaping @Sendable (Int) -> T) async -> [T] {
    let results = Collector<T>()
    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        let group = DispatchGroup()
        for index in 0..<count {
            group.enter()
            let thread = Thread {
                results.put(index, body(index))
                group.leave()
            }
            thread.stackSize = 4 << 20
            thread.start()
        }
        group.notify(queue: .global()) { continuation.resume() }
    }
    return results.ordered(count)
}

/// Runs `body` on one new thread and returns its result.
func onThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await onThreads(1) { _ in body() }[0]
}

final class Collector<T: Sendable>: Sendable {
    private let values = Mutex<[Int: T]>([:])

    func put(_ index: Int, _ value: T) {
        values.withLock { $0[index] = value }
    }

    func ordered(_ count: Int) -> [T] {
        values.withLock { dictionary in (0..<count).map { dictionary[$0]! } }
    }

    /// Adds `value` after the ones already collected.
    func append(_ value: T) {
        values.withLock { $0[$0.count] = value }
    }

    var count: Int { values.withLock { $0.count } }

    /// Everything collected, in index order.
    var all: [T] { ordered(count) }
}

/// The `GuestError` a call threw, `nil` if it returned; records an issue for any other error.
func guestError<R>(
    sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> R
) -> GuestError? {
    do {
        _ = try body()
        return nil
    } catch let error as GuestError {
        return error
    } catch {
        Issue.record("expected a GuestError, got \(type(of: error)): \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// The `ModuleError` a load threw, `nil` if it succeeded; records an issue for any other error.
func moduleError<R>(
    sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> R
) -> ModuleError? {
    do {
        _ = try body()
        return nil
    } catch let error as ModuleError {
        return error
    } catch {
        Issue.record("expected a ModuleError, got \(type(of: error)): \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Lets `count` threads start something at the same moment.
final class Barrier: Sendable {
    private let arrived = Mutex(0)
    private let count: Int

    init(count: Int) {
        self.count = count
    }

    func arriveAndWait() {
        arrived.withLock { $0 += 1 }
        while arrived.withLock({ $0 }) < count { usleep(100) }
    }
}

/// Expects `value`'s one-line description (what the CLI prints) to contain each of `words`.
func expectWords(
    _ value: (any CustomStringConvertible)?, _ words: [String], sourceLocation: SourceLocation = #_sourceLocation
) {
    guard let value else {
        Issue.record("expected an error mentioning \(words), got none", sourceLocation: sourceLocation)
        return
    }
    let text = value.description
    for word in words where !text.contains(word) {
        Issue.record("\"\(text)\" does not mention \"\(word)\"", sourceLocation: sourceLocation)
    }
}
