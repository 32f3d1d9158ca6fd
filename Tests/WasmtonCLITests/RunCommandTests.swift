import Foundation
import Testing

@Suite("wasmton run")
final class RunCommandTests {
    static let hello = CLI.guest("hello.wasm")
    let scratch: TemporaryDirectory

    init() throws {
        scratch = try TemporaryDirectory()
    }

    deinit {
        scratch.remove()
    }

    @Test("hello.wasm prints Hello, World! and exits 0")
    func hello() throws {
        let result = try CLI.run(["run", Self.hello])
        expectSuccess(result)
        #expect(result.stdout == "Hello, World!\n")
    }

    @Test(
        "arguments after the module reach the guest's argv, one per line",
        arguments: [
            ["--", "one", "two words", "three"],
            ["one", "two words", "three"],
        ])
    func arguments(passed: [String]) throws {
        let result = try CLI.run(["run", Self.hello] + passed)
        expectSuccess(result)
        #expect(result.stdoutLines == ["Hello, World!", "one", "two words", "three"], "\(result)")
    }

    @Test("arguments that look like wasmton options still go to the guest after --")
    func optionLikeArguments() throws {
        let result = try CLI.run(["run", Self.hello, "--", "--env", "X=1", "--fuel", "-5"])
        expectSuccess(result)
        #expect(result.stdoutLines == ["Hello, World!", "--env", "X=1", "--fuel", "-5"], "\(result)")
    }

    @Test("--env GREETING=hi sets the guest's environment")
    func environment() throws {
        let result = try CLI.run(["run", "--env", "GREETING=hi", Self.hello])
        expectSuccess(result)
        #expect(result.stdoutLines == ["Hello, World!", "hi"], "\(result)")
    }

    @Test("--env VALUE with '=' inside keeps everything after the first '='")
    func environmentValueWithEquals() throws {
        let result = try CLI.run(["run", "--env", "GREETING=a=b", Self.hello])
        expectSuccess(result)
        #expect(result.stdoutLines == ["Hello, World!", "a=b"], "\(result)")
    }

    @Test("--env NAME passes the host's value; without --env the host's environment stays out")
    func hostEnvironment() throws {
        let passed = try CLI.run(["run", "--env", "GREETING", Self.hello], environment: ["GREETING": "from the host"])
        expectSuccess(passed)
        #expect(passed.stdoutLines == ["Hello, World!", "from the host"], "\(passed)")

        let isolated = try CLI.run(["run", Self.hello], environment: ["GREETING": "from the host"])
        expectSuccess(isolated)
        #expect(isolated.stdoutLines == ["Hello, World!"], "the guest must not see the host's environment\n\(isolated)")
    }

    @Test("stdin reaches the guest: --upper echoes it in upper case")
    func stdin() throws {
        let result = try CLI.run(["run", Self.hello, "--", "--upper"], stdin: Data("hello, wasm\nsecond line\n".utf8))
        expectSuccess(result)
        #expect(result.stdout == "Hello, World!\nHELLO, WASM\nSECOND LINE\n")
    }

    @Test("a large stdin passes through whole")
    func largeStdin() throws {
        let line = "the quick brown fox jumps over the lazy dog 0123456789\n"
        let input = String(repeating: line, count: 5_000)  // ~280 KB, more than any pipe buffer
        let result = try CLI.run(["run", Self.hello, "--", "--upper"], stdin: Data(input.utf8))
        expectSuccess(result)
        #expect(result.stdout == "Hello, World!\n" + input.uppercased())
    }

    @Test("--dir HOST::/data lets the guest read /data/f.txt")
    func preopenedDirectory() throws {
        try scratch.write("f.txt", "file contents\nline 2\n")
        let result = try CLI.run(["run", "--dir", "\(scratch.path)::/data", Self.hello, "--", "--cat", "/data/f.txt"])
        expectSuccess(result)
        #expect(result.stdout == "Hello, World!\nfile contents\nline 2\n")
    }

    @Test("--dir HOST (no ::GUEST) maps the directory under its own path")
    func preopenedDirectorySamePath() throws {
        let file = try scratch.write("g.txt", "same path\n")
        let result = try CLI.run(["run", "--dir", scratch.path, Self.hello, "--", "--cat", file])
        expectSuccess(result)
        #expect(result.stdout == "Hello, World!\nsame path\n")
    }

    @Test("without --dir the guest cannot open the file: it reports it and exits nonzero")
    func noPreopenedDirectory() throws {
        try scratch.write("f.txt", "secret\n")
        let result = try CLI.run(["run", Self.hello, "--", "--cat", "/data/f.txt"])
        expectExited(result)
        #expect(result.status == 1, "hello exits 1 when it cannot read the file\n\(result)")
        #expect(!result.stdout.contains("secret"), "\(result)")
        #expect(result.stderr.contains("/data/f.txt"), "the guest's own perror line\n\(result)")
        #expect(!result.stderr.contains("error: "), "a guest's exit code is not a host error\n\(result)")
    }

    @Test("the guest cannot read outside the granted directory")
    func noEscapeFromPreopen() throws {
        let inner = scratch.url.appendingPathComponent("inner")
        try FileManager.default.createDirectory(at: inner, withIntermediateDirectories: true)
        try scratch.write("outside.txt", "secret\n")
        let result = try CLI.run(
            ["run", "--dir", "\(inner.path)::/data", Self.hello, "--", "--cat", "/data/../outside.txt"])
        expectExited(result)
        #expect(result.status != 0, "\(result)")
        #expect(!result.stdout.contains("secret"), "\(result)")
    }

    @Test("--dir naming a directory that does not exist: one error line, exit status 1")
    func missingPreopenedDirectory() throws {
        let missing = scratch.file("no-such-dir")
        let result = try CLI.run(["run", "--dir", "\(missing)::/data", Self.hello])
        expectError(result, status: 1, mentioning: ["no-such-dir"])
        #expect(result.stdout.isEmpty, "the guest must not run\n\(result)")
    }

    @Test("the process exits with the guest's exit code, and says nothing itself", arguments: [0, 1, 7, 42, 255])
    func exitCode(code: Int) throws {
        let result = try CLI.run(["run", Self.hello, "--", "--exit", String(code)])
        expectExited(result)
        #expect(result.status == Int32(code), "\(result)")
        #expect(result.stdout == "Hello, World!\n")
        #expect(result.stderr.isEmpty, "\(result)")
    }

    @Test("run on a module without _start: one error line naming _start, nonzero exit")
    func noStart() throws {
        let result = try CLI.run(["run", CLI.guest("calc.wasm")])
        // Observed: 2 (the command reports it as a usage error, pointing to `wasmton invoke`);
        // 1 (bad input) would do as well.
        #expect([1, 2].contains(result.status), "\(result)")
        expectError(result, status: result.status, mentioning: ["_start", "invoke", "add"])
    }

    @Test("run accepts WebAssembly text")
    func runText() throws {
        let module = try scratch.write("empty.wat", #"(module (func (export "_start")))"#)
        let result = try CLI.run(["run", module])
        expectSuccess(result)
        #expect(result.stdout.isEmpty)
    }

    @Test("a trap in _start: one error line naming it, exit status 134")
    func trapInStart() throws {
        let module = try scratch.write("trap.wat", #"(module (func (export "_start") unreachable))"#)
        let result = try CLI.run(["run", module])
        expectError(result, status: 134, mentioning: ["unreachable"])
    }

    @Test("a command that imports what the host lacks names the import")
    func missingImportInRun() throws {
        let module = try scratch.write(
            "needs.wat",
            #"(module (import "env" "missing_function" (func (param i32) (result i32))) (func (export "_start")))"#)
        let result = try CLI.run(["run", module])
        expectError(result, status: 1, mentioning: ["env.missing_function"])
    }

    /// BUG (found by this test): a WASI import with the wrong type is classified from WasmKit's
    /// "incompatible import type" text with an empty module and name, so the line reads
    /// `error: import . does not match the host's: …`.
    @Test("a WASI import with the wrong type names the import in the error")
    func incompatibleWASIImport() throws {
        let module = try scratch.write(
            "bad-wasi.wat",
            #"(module (import "wasi_snapshot_preview1" "fd_write" (func (param i32))) (func (export "_start")))"#)
        let result = try CLI.run(["run", module])
        expectError(result, status: 1, mentioning: ["wasi_snapshot_preview1.fd_write"])
        let line = result.stderrLines.last ?? ""
        #expect(line.hasPrefix("error: import wasi_snapshot_preview1.fd_write "), "\(result)")
    }

    @Test("a WASI function the host does not have is named")
    func unknownWASIImport() throws {
        let module = try scratch.write(
            "unknown-wasi.wat",
            #"(module (import "wasi_snapshot_preview1" "no_such_call" (func)) (func (export "_start")))"#)
        let result = try CLI.run(["run", module])
        expectError(result, status: 1, mentioning: ["wasi_snapshot_preview1.no_such_call"])
    }

    @Test("run on a reactor (kitchen_sink: _initialize, no _start) says it is not a command")
    func reactor() throws {
        let result = try CLI.run(["run", CLI.guest("kitchen_sink.wasm")])
        #expect([1, 2].contains(result.status), "\(result)")
        expectError(result, status: result.status, mentioning: ["_start"])
    }
}
