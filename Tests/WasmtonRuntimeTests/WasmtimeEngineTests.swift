import Foundation
import Testing
import WasmtonRuntime
import WasmtonTestSupport

/// What only the Wasmtime engine has: loading its library, and its compiled-module cache. The
/// cache tests run in the Wasmtime pass of the suites (`WASMTON_TEST_ENGINE=wasmtime`).
@Suite("Wasmtime engine")
struct WasmtimeEngineTests {
    @Test("a library path that names no file is .notFound, with the way to get one")
    func missingLibrary() {
        #expect(throws: WasmtimeLibraryError.notFound(searched: ["/nonexistent/libwasmtime.so"])) {
            try WasmtimeLibrary.load(path: "/nonexistent/libwasmtime.so")
        }
        let text = WasmtimeLibraryError.notFound(searched: ["/x.so"]).description
        #expect(text.contains("scripts/install-wasmtime.sh") && text.contains("WASMTON_WASMTIME_LIB"))
    }

    @Test("a library that is not Wasmtime 50's C API is .wrongVersion naming the missing function")
    func wrongLibrary() {
        do {
            _ = try WasmtimeLibrary.load(path: "libc.so.6")
            Issue.record("libc loaded as Wasmtime")
        } catch {
            guard case .wrongVersion(let path, let reason) = error else {
                Issue.record("expected .wrongVersion, got \(error)")
                return
            }
            #expect(path == "libc.so.6")
            #expect(reason.contains("wasm_config_new"))
            #expect(error.description.contains("Wasmtime 50"))
        }
    }

    /// A runtime on the engine under test that caches compiled modules in `directory`.
    static func runtime(cache directory: String) -> WasmRuntime {
        WasmRuntime.forTests(configuration: .init(fuelMetering: false, moduleCacheDirectory: directory))
    }

    static let wat = #"(module (func (export "answer") (result i32) (i32.const 42)))"#

    static func entries(_ directory: URL) throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "cwasm" }
    }

    @Test(
        "a compiled module is cached, read back by the next runtime, and a corrupt entry is rebuilt",
        .enabled(if: TestEngine.isWasmtime))
    func moduleCache() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = Self.runtime(cache: directory.path)
        #expect(try first.instantiate(first.load(bytes: Array(Self.wat.utf8), name: "answer")).call("answer") == [.i32(42)])
        let written = try Self.entries(directory)
        #expect(written.count == 1)
        let original = try Data(contentsOf: written[0])

        // A second runtime (a restart) reads the entry and leaves it as it was.
        let second = Self.runtime(cache: directory.path)
        #expect(try second.instantiate(second.load(bytes: Array(Self.wat.utf8), name: "answer")).call("answer") == [.i32(42)])
        #expect(try Data(contentsOf: written[0]) == original)

        // Flip bytes in the payload: the checksum no longer matches, so it is rebuilt, not run.
        var corrupt = original
        for index in stride(from: corrupt.count - 64, to: corrupt.count, by: 7) { corrupt[index] ^= 0xA5 }
        try corrupt.write(to: written[0])
        let third = Self.runtime(cache: directory.path)
        #expect(try third.instantiate(third.load(bytes: Array(Self.wat.utf8), name: "answer")).call("answer") == [.i32(42)])
        #expect(try Data(contentsOf: written[0]) == original)

        // A truncated entry too.
        try original.prefix(20).write(to: written[0])
        let fourth = Self.runtime(cache: directory.path)
        #expect(try fourth.instantiate(fourth.load(bytes: Array(Self.wat.utf8), name: "answer")).call("answer") == [.i32(42)])
        #expect(try Data(contentsOf: written[0]) == original)
    }

    @Test("a cache directory that cannot be written leaves modules compiled in memory", .enabled(if: TestEngine.isWasmtime))
    func unwritableCache() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("a-file")
        try Data("x".utf8).write(to: file)
        let runtime = Self.runtime(cache: file.path + "/cache")
        #expect(try runtime.instantiate(runtime.load(bytes: Array(Self.wat.utf8), name: "answer")).call("answer") == [.i32(42)])
    }

    @Test(
        "a runtime made uninterruptible runs calls, refuses a sandbox with a timeout and declines time slices",
        .enabled(if: TestEngine.isWasmtime))
    func uninterruptible() throws {
        let runtime = WasmRuntime.forTests(configuration: .init(fuelMetering: false, interruptible: false))
        let module = try runtime.load(bytes: Array(Self.wat.utf8), name: "answer")
        let instance = try runtime.instantiate(module)
        #expect(try instance.call("answer") == [.i32(42)])
        // Nothing could cut a slice short: the call is declined before it starts.
        #expect(try instance.call("answer", [], slice: .seconds(1)) == nil)
        #expect(!runtime.runsInSlices(module))
        do {
            _ = try runtime.instantiate(module, sandbox: Sandbox(limits: Limits(timeout: .milliseconds(300))))
            Issue.record("a timeout was accepted by a runtime that cannot interrupt calls")
        } catch {
            #expect("\(error)".contains("interruptible"))
        }
    }
}
