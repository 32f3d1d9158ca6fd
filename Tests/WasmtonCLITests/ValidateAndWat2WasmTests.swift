import Foundation
import Testing

/// Every committed example module (guests/README.md).
let exampleGuests = [
    "calc.wasm", "table.wasm", "hello.wasm", "traps.wasm", "needs_import.wasm", "kitchen_sink.wasm",
    "sections.wasm", "bench.wasm", "big.wasm",
]

/// Every committed WAT source.
let exampleSources = ["calc.wat", "table.wat", "traps.wat", "needs_import.wat", "sections.wat", "bench.wat"]

@Suite("wasmton validate")
struct ValidateCommandTests {
    @Test("every example module is valid", arguments: exampleGuests)
    func validGuest(name: String) throws {
        let path = CLI.guest(name)
        let result = try CLI.run(["validate", path], timeout: .seconds(60))
        expectSuccess(result)
        #expect(result.stdout.hasPrefix("\(path): valid ("), "\(result)")
        #expect(result.stdoutLines.count == 1, "\(result)")
    }

    @Test("validate prints size, imports and exports")
    func summary() throws {
        let path = CLI.guest("calc.wasm")
        let size = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        let result = try CLI.run(["validate", path])
        expectSuccess(result)
        #expect(result.stdout == "\(path): valid (\(size) bytes, 0 imports, 3 exports)\n")
    }

    @Test("every example WAT source is valid", arguments: exampleSources)
    func validSource(name: String) throws {
        let path = CLI.guestSource(name)
        let result = try CLI.run(["validate", path])
        expectSuccess(result)
        #expect(result.stdout.hasPrefix("\(path): valid ("), "\(result)")
    }

    @Test("a module that decodes but does not validate: exit status 1, naming the code section")
    func invalid() throws {
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        let path = try scratch.write(
            "invalid.wasm",
            bytes: BadModule.header + [
                0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7F,
                0x03, 0x02, 0x01, 0x00,
                0x0A, 0x04, 0x01, 0x02, 0x00, 0x0B,
            ])
        let result = try CLI.run(["validate", path])
        expectError(result, status: 1, mentioning: ["invalid.wasm", "invalid module", "code section", "offset 0x"])
        #expect(result.stdout.isEmpty)
    }
}

@Suite("wasmton wat2wasm")
final class Wat2WasmCommandTests {
    let scratch: TemporaryDirectory

    init() throws {
        scratch = try TemporaryDirectory()
    }

    deinit {
        scratch.remove()
    }

    /// Well-formed text whose function returns nothing where it promises an i32.
    static let illTypedWAT = #"(module (func (export "f") (result i32)))"#

    @Test("wat2wasm -o writes a module that validate accepts and invoke runs")
    func assemble() throws {
        let output = scratch.file("calc.wasm")
        let result = try CLI.run(["wat2wasm", CLI.guestSource("calc.wat"), "-o", output])
        expectSuccess(result)
        #expect(result.stdout.isEmpty, "\(result)")
        let bytes = try #require(FileManager.default.contents(atPath: output), "no output file")
        #expect(Array(bytes.prefix(8)) == BadModule.header)

        let validate = try CLI.run(["validate", output])
        expectSuccess(validate)
        #expect(validate.stdout.hasPrefix("\(output): valid ("))

        let invoke = try CLI.run(["invoke", output, "add", "1", "2"])
        expectSuccess(invoke)
        #expect(invoke.stdout == "3\n")
    }

    @Test("every example WAT source assembles and validates", arguments: exampleSources)
    func assembleExamples(name: String) throws {
        let output = scratch.file(name.replacingOccurrences(of: ".wat", with: ".wasm"))
        expectSuccess(try CLI.run(["wat2wasm", CLI.guestSource(name), "--output", output]))
        expectSuccess(try CLI.run(["validate", output]))
    }

    @Test("table.wat assembled by wat2wasm still dispatches through its table")
    func assembleTable() throws {
        let output = scratch.file("table.wasm")
        expectSuccess(try CLI.run(["wat2wasm", CLI.guestSource("table.wat"), "-o", output]))
        let result = try CLI.run(["invoke", output, "callByIndex", "0", "56", "34"])
        expectSuccess(result)
        #expect(result.stdout == "90\n")
    }

    @Test("without -o the output goes next to the input, with .wasm")
    func defaultOutput() throws {
        let input = try scratch.write("mine.wat", try String(contentsOfFile: CLI.guestSource("calc.wat"), encoding: .utf8))
        expectSuccess(try CLI.run(["wat2wasm", input]))
        let output = scratch.file("mine.wasm")
        #expect(FileManager.default.fileExists(atPath: output))
        let result = try CLI.run(["invoke", output, "subtract", "5", "7"])
        expectSuccess(result)
        #expect(result.stdout == "-2\n")
    }

    @Test("bad WAT: one error line with FILE:LINE:COLUMN, exit status 1, no output written")
    func badText() throws {
        let input = try scratch.write(
            "broken.wat",
            """
            (module
              (func (export "f") (result i32)
                i32.const 1
                i32.frobnicate))

            """)
        let output = scratch.file("broken.wasm")
        let result = try CLI.run(["wat2wasm", input, "-o", output])
        expectError(result, status: 1, mentioning: ["broken.wat:4:", "invalid WebAssembly text"])
        #expect(
            (result.stderrLines.last ?? "").range(of: #"broken\.wat:4:\d+: "#, options: .regularExpression) != nil,
            "\(result)")
        #expect(!FileManager.default.fileExists(atPath: output), "a failed wat2wasm must not leave an output file")
    }

    @Test("unbalanced parentheses are reported with a position")
    func unbalanced() throws {
        let input = try scratch.write("open.wat", "(module\n  (func\n")
        let result = try CLI.run(["wat2wasm", input, "-o", scratch.file("open.wasm")])
        expectError(result, status: 1, mentioning: ["open.wat:"])
    }

    @Test("well-formed but ill-typed WAT is rejected by default, exit status 1")
    func illTyped() throws {
        let input = try scratch.write("ill.wat", Self.illTypedWAT)
        let output = scratch.file("ill.wasm")
        let result = try CLI.run(["wat2wasm", input, "-o", output])
        expectError(result, status: 1, mentioning: ["ill.wat"])
        #expect(!FileManager.default.fileExists(atPath: output))
    }

    @Test("--no-validate writes ill-typed WAT anyway; validate then rejects the module")
    func noValidate() throws {
        let input = try scratch.write("ill.wat", Self.illTypedWAT)
        let output = scratch.file("ill.wasm")
        expectSuccess(try CLI.run(["wat2wasm", input, "-o", output, "--no-validate"]))
        #expect(FileManager.default.fileExists(atPath: output))
        let result = try CLI.run(["validate", output])
        expectError(result, status: 1, mentioning: ["ill.wasm", "invalid module", "code section"])
    }

    @Test("a missing input file: one error line, exit status 1")
    func missingInput() throws {
        let result = try CLI.run(["wat2wasm", scratch.file("nope.wat"), "-o", scratch.file("nope.wasm")])
        expectError(result, status: 1, mentioning: ["nope.wat", "no such file"])
    }

    @Test("an output path that cannot be written: one error line, exit status 1")
    func unwritableOutput() throws {
        let output = scratch.file("no-such-dir/calc.wasm")
        let result = try CLI.run(["wat2wasm", CLI.guestSource("calc.wat"), "-o", output])
        expectError(result, status: 1, mentioning: ["no-such-dir/calc.wasm", "cannot write"])
    }
}
