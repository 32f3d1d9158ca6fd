import Foundation
import Testing
import WasmtonRuntime

@Suite("WASI snapshot 0 (wasi_unstable): the same functions with snapshot 0's layouts")
struct WASIUnstableTests {
    /// A sandbox with `directory` preopened as fd 3, output captured.
    static func sandbox(_ directory: URL) -> Sandbox {
        Sandbox(directories: [DirectoryGrant(hostPath: directory.path, guestPath: "/data")], stdio: .capture)
    }

    @Test("wasi_unstable_probe.wasm passes its layout checks: whence, filestat, poll_oneoff, dirent")
    func probe() throws {
        let module = try Guests.module("wasi_unstable_probe")
        #expect(module.usesWASI)
        #expect(module.imports.allSatisfy { $0.module == "wasi_unstable" })
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let instance = try Guests.runtime.instantiate(module, sandbox: Self.sandbox(directory))
        let error = guestError { try instance.call("_start") }
        let output = instance.takeOutput()
        #expect(error == nil, "\(String(decoding: output.stdout, as: UTF8.self))")
        #expect(String(decoding: output.stdout, as: UTF8.self) == "wasi_unstable_probe: ok\n")
        let written = try String(contentsOf: directory.appendingPathComponent("probe.txt"), encoding: .utf8)
        #expect(written == "0123456789abc")
    }

    /// A module whose `say(fd)` writes "hi\n" to `fd` through `wasi_unstable` and returns the errno.
    static let sayer = WASITests.sayer(importing: "wasi_unstable")

    @Test("fd_write reaches the sandbox's stdout and stderr; an unopened descriptor is EBADF")
    func write() throws {
        let instance = try Guests.runtime.instantiate(
            Guests.wat(Self.sayer, name: "unstable-sayer"), sandbox: Sandbox(stdio: .capture))
        #expect(try instance.call("say", [.i32(1)]) == [.i32(0)])
        #expect(try instance.call("say", [.i32(2)]) == [.i32(0)])
        #expect(try instance.call("say", [.i32(3)]) == [.i32(8)])
        let output = instance.takeOutput()
        #expect(output.stdout == Array("hi\n".utf8))
        #expect(output.stderr == Array("hi\n".utf8))
    }

    /// A module whose `stat(fd, buffer)` calls `wasi_unstable.fd_filestat_get`.
    static let stat = """
        (module
          (import "wasi_unstable" "fd_filestat_get" (func $stat (param i32 i32) (result i32)))
          (memory (export "memory") 1)
          (func (export "stat") (param i32 i32) (result i32) (call $stat (local.get 0) (local.get 1))))
        """

    @Test("a filestat that would not fit in memory fails the call with a memory error, not the host")
    func filestatOutOfBounds() throws {
        let instance = try Guests.runtime.instantiate(Guests.wat(Self.stat, name: "unstable-stat"))
        // 56 bytes fit at 65,480, and on stdout the call succeeds there.
        #expect(try instance.call("stat", [.i32(1), .i32(65_480)]) == [.i32(0)])
        let error = guestError { try instance.call("stat", [.i32(1), .i32(65_500)]) }
        guard case .memoryAccessOutOfBounds(let address, _, _)? = error else {
            Issue.record("expected .memoryAccessOutOfBounds, got \(String(describing: error))")
            return
        }
        #expect(address == 65_500)
    }

    @Test("a wasi_unstable import with the wrong type is .incompatibleImport naming it")
    func wrongType() throws {
        let module = try Guests.wat(#"(module (import "wasi_unstable" "fd_write" (func (param i32))))"#, name: "bad-unstable")
        let error = guestError { try Guests.runtime.instantiate(module) }
        guard case .incompatibleImport(let importModule, let name, _)? = error else {
            Issue.record("expected .incompatibleImport, got \(String(describing: error))")
            return
        }
        #expect(importModule == "wasi_unstable")
        #expect(name == "fd_write")
        expectWords(error, ["wasi_unstable.fd_write"])
    }

    @Test("a function snapshot 0 does not have (sock_accept came with preview 1) is .missingImport")
    func unknownFunction() throws {
        let module = try Guests.wat(
            #"(module (import "wasi_unstable" "sock_accept" (func (param i32 i32 i32) (result i32))))"#,
            name: "odd-unstable")
        let error = guestError { try Guests.runtime.instantiate(module) }
        guard case .missingImport(let importModule, let name, _)? = error else {
            Issue.record("expected .missingImport, got \(String(describing: error))")
            return
        }
        #expect(importModule == "wasi_unstable")
        #expect(name == "sock_accept")
    }

    @Test("time slices treat wasi_unstable as preview 1: the clock runs in one, fd_write does not")
    func slices() throws {
        let clock = try Guests.wat(
            #"(module (import "wasi_unstable" "clock_time_get" (func (param i32 i64 i32) (result i32))) (memory (export "memory") 1))"#,
            name: "unstable-clock")
        #expect(clock.runsInSlices)
        let writer = try Guests.wat(Self.sayer, name: "unstable-sayer")
        #expect(!writer.runsInSlices)
    }

    @Test("in a time slice the clock runs, and fd_write is refused before it writes")
    func sliceCalls() throws {
        let clock = try Guests.runtime.instantiate(
            Guests.wat(
                """
                (module
                  (import "wasi_unstable" "clock_time_get" (func $now (param i32 i64 i32) (result i32)))
                  (memory (export "memory") 1)
                  (func (export "now") (result i32) (call $now (i32.const 0) (i64.const 1) (i32.const 0))))
                """, name: "unstable-now"))
        #expect(try clock.call("now", slice: .seconds(5)) == [.i32(0)])
        let writer = try Guests.runtime.instantiate(
            Guests.wat(Self.sayer, name: "unstable-sayer"), sandbox: Sandbox(stdio: .capture))
        #expect(try writer.call("say", [.i32(1)], slice: .seconds(5)) == nil)
        #expect(writer.takeOutput().stdout.isEmpty)
    }

    @Test("a module importing both WASI modules shares one descriptor table")
    func bothModules() throws {
        let text = """
            (module
              (import "wasi_snapshot_preview1" "fd_close" (func $close (param i32) (result i32)))
              (import "wasi_unstable" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
              (memory (export "memory") 1)
              (data (i32.const 100) "hi")
              (func (export "run") (result i32)
                (i32.store (i32.const 0) (i32.const 100))
                (i32.store (i32.const 4) (i32.const 2))
                (drop (call $close (i32.const 2)))
                (call $write (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 8))))
            """
        let instance = try Guests.runtime.instantiate(Guests.wat(text, name: "both-wasi"), sandbox: Sandbox(stdio: .capture))
        // stderr closed through preview 1 is closed for snapshot 0 too: EBADF.
        #expect(try instance.call("run") == [.i32(8)])
    }
}
