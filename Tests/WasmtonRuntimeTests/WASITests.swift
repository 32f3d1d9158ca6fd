import Foundation
import Testing
import WasmtonRuntime

@Suite("WASI commands: arguments, environment, preopens, stdio")
struct WASITests {
    static func hello(_ arguments: [String] = [], sandbox: Sandbox = Sandbox(stdio: .capture)) throws -> WasmInstance {
        var sandbox = sandbox
        sandbox.arguments = ["hello"] + arguments
        return try Guests.instance("hello", sandbox: sandbox)
    }

    static func stdout(_ instance: WasmInstance) -> String {
        String(decoding: instance.takeOutput().stdout, as: UTF8.self)
    }

    @Test("hello.wasm is a WASI command")
    func describesWASI() throws {
        let module = try Guests.module("hello")
        #expect(module.usesWASI)
        #expect(module.imports.allSatisfy { $0.module == "wasi_snapshot_preview1" })
        #expect(module.exportedFunctions == ["_start"])
    }

    @Test("_start prints Hello, World! and returns normally when main returns 0")
    func helloWorld() throws {
        let instance = try Self.hello()
        // wasi-libc's _start calls proc_exit only for a nonzero status.
        #expect(try instance.call("_start") == [])
        let output = instance.takeOutput()
        #expect(String(decoding: output.stdout, as: UTF8.self) == "Hello, World!\n")
        #expect(output.stderr.isEmpty)
        // takeOutput drains what it returned.
        let again = instance.takeOutput()
        #expect(again.stdout.isEmpty && again.stderr.isEmpty)
    }

    @Test("arguments after the program name are printed one per line")
    func arguments() throws {
        let instance = try Self.hello(["first", "second arg", "ünïcode"])
        try instance.call("_start")
        #expect(Self.stdout(instance) == "Hello, World!\nfirst\nsecond arg\nünïcode\n")
    }

    @Test("the environment is what the sandbox grants")
    func environment() throws {
        let instance = try Self.hello(sandbox: Sandbox(environment: ["GREETING": "Bonjour"], stdio: .capture))
        try instance.call("_start")
        #expect(Self.stdout(instance) == "Hello, World!\nBonjour\n")
    }

    @Test("--exit N ends the call with .exited(code: N), after the output")
    func exitCode() throws {
        let instance = try Self.hello(["--exit", "3"])
        let error = guestError { try instance.call("_start") }
        #expect(error == .exited(code: 3))
        expectWords(error, ["exited", "code 3"])
        #expect(Self.stdout(instance) == "Hello, World!\n")
    }

    @Test("a preopened directory lets the guest read a file under its guest path")
    func preopen() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try "line one\nline two\n".write(to: directory.appendingPathComponent("file.txt"), atomically: true, encoding: .utf8)
        let instance = try Self.hello(
            ["--cat", "/data/file.txt"],
            sandbox: Sandbox(directories: [DirectoryGrant(hostPath: directory.path, guestPath: "/data")], stdio: .capture))
        #expect(try instance.call("_start") == [])
        #expect(Self.stdout(instance) == "Hello, World!\nline one\nline two\n")
    }

    @Test("without a grant the same read fails: exit 1 and an error on stderr")
    func noPreopen() throws {
        let instance = try Self.hello(["--cat", "/data/file.txt"])
        #expect(throws: GuestError.exited(code: 1)) { try instance.call("_start") }
        let output = instance.takeOutput()
        #expect(String(decoding: output.stdout, as: UTF8.self) == "Hello, World!\n")
        #expect(String(decoding: output.stderr, as: UTF8.self).hasPrefix("/data/file.txt: "))
    }

    @Test("a guest cannot leave its preopened directory with .. or a symlink")
    func noEscape() throws {
        let outer = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: outer) }
        let inner = outer.appendingPathComponent("inner")
        try FileManager.default.createDirectory(at: inner, withIntermediateDirectories: true)
        try "top secret\n".write(to: outer.appendingPathComponent("secret.txt"), atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(
            atPath: inner.appendingPathComponent("link.txt").path, withDestinationPath: "../secret.txt")
        let sandbox = Sandbox(directories: [DirectoryGrant(hostPath: inner.path, guestPath: "/data")], stdio: .capture)
        for path in ["/data/../secret.txt", "/data/link.txt", outer.appendingPathComponent("secret.txt").path] {
            let instance = try Self.hello(["--cat", path], sandbox: sandbox)
            #expect(throws: GuestError.exited(code: 1), "reading \(path)") { try instance.call("_start") }
            #expect(!Self.stdout(instance).contains("top secret"), "reading \(path)")
        }
    }

    @Test("a grant of a host directory that does not exist is .sandboxSetup naming it")
    func missingDirectory() throws {
        let missing = "/nonexistent/wasmton-\(UUID().uuidString)"
        let error = guestError {
            try Self.hello(sandbox: Sandbox(directories: [DirectoryGrant(hostPath: missing, guestPath: "/data")]))
        }
        guard case .sandboxSetup(let message)? = error else {
            Issue.record("expected .sandboxSetup, got \(String(describing: error))")
            return
        }
        #expect(message.contains(missing))
        #expect(error?.poisonsInstance == false)
    }

    @Test("a grant of a regular file is .sandboxSetup")
    func fileGrant() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("plain.txt")
        try "x".write(to: file, atomically: true, encoding: .utf8)
        #expect(throws: GuestError.self) {
            try Self.hello(sandbox: Sandbox(directories: [DirectoryGrant(hostPath: file.path, guestPath: "/f")]))
        }
    }

    @Test("DirectoryGrant parses wasmtime's HOST[::GUEST]")
    func grantParsing() {
        #expect(DirectoryGrant(parsing: "/srv/data::/data") == DirectoryGrant(hostPath: "/srv/data", guestPath: "/data"))
        #expect(DirectoryGrant(parsing: "/srv/data") == DirectoryGrant(hostPath: "/srv/data", guestPath: "/srv/data"))
        #expect(DirectoryGrant(hostPath: "/a").guestPath == "/a")
    }

    @Test("captured stdin is empty, so reading it does not block")
    func emptyStdin() throws {
        let instance = try Self.hello(["--upper"])
        #expect(try instance.call("_start") == [])
        #expect(Self.stdout(instance) == "Hello, World!\n")
    }

    @Test("Stdio.discard produces no output and takeOutput is empty")
    func discard() throws {
        let instance = try Self.hello(["one", "two"], sandbox: Sandbox(stdio: .discard))
        #expect(try instance.call("_start") == [])
        let output = instance.takeOutput()
        #expect(output.stdout.isEmpty)
        #expect(output.stderr.isEmpty)
        // stderr is dropped too.
        let failing = try Self.hello(["--cat", "/nope"], sandbox: Sandbox(stdio: .discard))
        #expect(throws: GuestError.exited(code: 1)) { try failing.call("_start") }
        #expect(failing.takeOutput().stderr.isEmpty)
    }

    @Test("the default sandbox discards output")
    func defaultSandbox() throws {
        #expect(Sandbox().stdio == .discard)
        #expect(Sandbox().directories.isEmpty)
        #expect(Sandbox().environment.isEmpty)
        let instance = try Guests.instance("hello")
        #expect(try instance.call("_start") == [])
        #expect(instance.takeOutput().stdout.isEmpty)
    }

    @Test("two instances capture their output separately")
    func separateCapture() throws {
        let first = try Self.hello(["first"])
        let second = try Self.hello(["second"])
        try first.call("_start")
        try second.call("_start")
        #expect(Self.stdout(second) == "Hello, World!\nsecond\n")
        #expect(Self.stdout(first) == "Hello, World!\nfirst\n")
    }

    @Test("output larger than a pipe buffer is captured whole")
    func largeOutput() throws {
        // 1,500 arguments of 60 bytes: about 90 KB of output, more than a 64 KiB pipe holds.
        let padding = String(repeating: "x", count: 50)
        let arguments = (0..<1_500).map { String(format: "line-%05d-", $0) + padding }
        let instance = try Self.hello(arguments)
        try instance.call("_start")
        let output = Self.stdout(instance)
        #expect(output.utf8.count > 65_536)
        let lines = output.split(separator: "\n")
        #expect(lines.count == 1_501)
        #expect(lines.first == "Hello, World!")
        #expect(lines.last.map(String.init) == "line-01499-" + padding)
    }

    /// A WASI module whose `say(fd)` writes "hi\n" to `fd` through `wasiModule`'s `fd_write` and
    /// returns the errno.
    static func sayer(importing wasiModule: String = "wasi_snapshot_preview1") -> String {
        """
        (module
          (import "\(wasiModule)" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
          (memory (export "memory") 1)
          (data (i32.const 100) "hi\\n")
          (func (export "say") (param $fd i32) (result i32)
            (i32.store (i32.const 0) (i32.const 100))
            (i32.store (i32.const 4) (i32.const 3))
            (call $fd_write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8))))
        """
    }

    @Test("takeOutput returns only what was written since the last take, per stream")
    func takeOutputBetweenCalls() throws {
        let instance = try Guests.runtime.instantiate(Guests.wat(Self.sayer(), name: "sayer"), sandbox: Sandbox(stdio: .capture))
        #expect(try instance.call("say", [.i32(1)]) == [.i32(0)])
        var output = instance.takeOutput()
        #expect(output.stdout == Array("hi\n".utf8))
        #expect(output.stderr == [])
        // After a take, new output starts at the beginning again: no old bytes, no zero-filled gap.
        try instance.call("say", [.i32(1)])
        try instance.call("say", [.i32(1)])
        try instance.call("say", [.i32(2)])
        output = instance.takeOutput()
        #expect(output.stdout == Array("hi\nhi\n".utf8))
        #expect(output.stderr == Array("hi\n".utf8))
        #expect(instance.takeOutput().stdout == [])
    }

    @Test("a descriptor the sandbox did not open is EBADF to the guest, not a host error")
    func badDescriptor() throws {
        let instance = try Guests.runtime.instantiate(Guests.wat(Self.sayer(), name: "sayer"), sandbox: Sandbox(stdio: .capture))
        // WASI errno 8 is EBADF; fd 3 would be the first preopen, and there are none.
        #expect(try instance.call("say", [.i32(3)]) == [.i32(8)])
        #expect(try instance.call("say", [.i32(1)]) == [.i32(0)])
    }

    @Test("takeOutput after close is empty and does not crash")
    func outputAfterClose() throws {
        let instance = try Self.hello()
        try instance.call("_start")
        instance.close()
        #expect(instance.takeOutput().stdout.isEmpty)
    }
}
