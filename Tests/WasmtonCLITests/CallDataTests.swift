import Foundation
import Testing
import WasmtonTestSupport

/// `wasmton call --data`: raw payloads, sent as they are; and waPC and command guests whose WASI
/// imports are `wasi_unstable`, on the engine under test.
@Suite("call --data and wasi_unstable guests")
struct CallDataTests {
    /// `--engine NAME` for the engine under test (``TestEngine``).
    static let engine = ["--engine", TestEngine.current.name]

    @Test("--data TEXT reaches the guest unconverted; --raw prints the answer as it is")
    func text() throws {
        let result = try CLI.run(["call", CLI.guest("wapc_echo.wasm"), "echo", "--data", "plain {not json}", "--raw"])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout == "plain {not json}", "\(result)")
    }

    @Test("--data @FILE sends the file's bytes, --data - sends stdin")
    func fileAndStdin() throws {
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        // Not MessagePack (true, then trailing bytes), not JSON: only --data can send these.
        let bytes: [UInt8] = [0xc3, 0xa9, 0x00, 0x41, 0x0a, 0x7f]
        let file = try scratch.write("payload.bin", bytes: bytes)
        let fromFile = try CLI.run(["call", CLI.guest("wapc_echo.wasm"), "echo", "--data", "@\(file)", "--raw"])
        #expect(fromFile.status == 0, "\(fromFile)")
        #expect(fromFile.stdout == String(decoding: bytes, as: UTF8.self), "\(fromFile)")
        let fromStdin = try CLI.run(
            ["call", CLI.guest("wapc_echo.wasm"), "echo", "--data", "-", "--raw"], stdin: Data("piped\nbytes".utf8))
        #expect(fromStdin.status == 0, "\(fromStdin)")
        #expect(fromStdin.stdout == "piped\nbytes", "\(fromStdin)")
    }

    @Test("without --raw a raw answer that is not MessagePack is printed as bytes, with a note on stderr")
    func notMessagePack() throws {
        let result = try CLI.run(["call", CLI.guest("wapc_echo.wasm"), "echo", "--data", "\u{1}"])
        #expect(result.status == 0, "\(result)")
        // 0x01 is MessagePack for 1.
        #expect(result.stdout == "1\n", "\(result)")
        let text = try CLI.run(["call", CLI.guest("wapc_echo.wasm"), "echo", "--data", "hello"])
        #expect(text.status == 0, "\(text)")
        #expect(text.stdout == "hello", "\(text)")
        #expect(text.stderr.contains("the result is not MessagePack"), "\(text)")
    }

    @Test("--data with --json or --msgpack is a usage error; a missing @FILE is named")
    func usage() throws {
        for other in [["--json", "1"], ["--msgpack", "-"]] {
            let result = try CLI.run(["call", CLI.guest("wapc_echo.wasm"), "echo", "--data", "x"] + other)
            #expect(result.status == 2, "\(result)")
            #expect(
                result.stderrLines.last == "error: give one payload: --json, --msgpack or --data, not several", "\(result)")
        }
        let missing = try CLI.run(["call", CLI.guest("wapc_echo.wasm"), "echo", "--data", "@/no/such/payload"])
        #expect(missing.status == 1, "\(missing)")
        #expect(missing.stderrLines.last?.contains("--data /no/such/payload") == true, "\(missing)")
    }

    @Test("a waPC guest importing wasi_unstable answers call: _start, then echo and print through fd_write")
    func wapcGuest() throws {
        let echo = try CLI.run(
            ["call", CLI.guest("wapc_wasi_unstable.wasm"), "echo", "--data", "snapshot 0", "--raw"] + Self.engine)
        #expect(echo.status == 0, "\(echo)")
        #expect(echo.stdout == "snapshot 0", "\(echo)")
        let print = try CLI.run(
            ["call", CLI.guest("wapc_wasi_unstable.wasm"), "print", "--data", "to stdout\n", "--raw"] + Self.engine)
        #expect(print.status == 0, "\(print)")
        #expect(print.stdout == "to stdout\n", "\(print)")
    }

    @Test("run: wasi_unstable_probe.wasm passes its layout checks in a --dir")
    func runProbe() throws {
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        let result = try CLI.run(
            ["run", "--dir", "\(scratch.path)::/data"] + Self.engine + [CLI.guest("wasi_unstable_probe.wasm")])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout == "wasi_unstable_probe: ok\n", "\(result)")
    }
}
