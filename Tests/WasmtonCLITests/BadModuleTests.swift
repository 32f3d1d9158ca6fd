import Foundation
import Testing

/// A module file that no command can load, and what its error must mention.
struct BadModule: Sendable, CustomTestStringConvertible {
    var name: String
    /// The file's bytes; nil: the file does not exist. A directory when `isDirectory`.
    var bytes: [UInt8]?
    var isDirectory = false
    var mentions: [String]

    var testDescription: String { name }

    static let header: [UInt8] = [0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00]

    /// The bad inputs of issue 2: missing file, not Wasm, empty, truncated, invalid.
    static var all: [BadModule] {
        var cases: [BadModule] = [
            BadModule(name: "missing.wasm", bytes: nil, mentions: ["missing.wasm", "no such file"]),
            BadModule(name: "directory.wasm", bytes: nil, isDirectory: true, mentions: ["directory.wasm"]),
            BadModule(
                name: "notes.txt", bytes: Array("hello, this is not wasm\n".utf8),
                mentions: ["notes.txt", "not a WebAssembly module"]),
            BadModule(
                name: "elf.wasm", bytes: [0x7F, 0x45, 0x4C, 0x46, 0x02, 0x01, 0x01, 0x00],
                mentions: ["elf.wasm", "not a WebAssembly module", "7f 45 4c 46"]),
            BadModule(name: "empty.wasm", bytes: [], mentions: ["empty.wasm", "empty"]),
            BadModule(name: "magic-only.wasm", bytes: Array(header.prefix(4)), mentions: ["magic-only.wasm"]),
            BadModule(
                name: "version-2.wasm", bytes: [0x00, 0x61, 0x73, 0x6D, 0x02, 0x00, 0x00, 0x00],
                mentions: ["version-2.wasm", "invalid module"]),
            // A section id no proposal uses.
            BadModule(
                name: "bad-section-id.wasm", bytes: header + [0x7F, 0x00],
                mentions: ["bad-section-id.wasm", "invalid module", "offset"]),
            // A function declared () -> i32 whose body returns nothing: decodes, fails validation.
            BadModule(
                name: "type-mismatch.wasm",
                bytes: header + [
                    0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7F,  // type section: () -> i32
                    0x03, 0x02, 0x01, 0x00,  // function section: func 0 has type 0
                    0x0A, 0x04, 0x01, 0x02, 0x00, 0x0B,  // code section: body with no locals, just `end`
                ],
                mentions: ["type-mismatch.wasm", "invalid module", "code section", "offset"]),
            // A function section that promises 2 functions and a code section with 1 body.
            BadModule(
                name: "count-mismatch.wasm",
                bytes: header + [
                    0x01, 0x04, 0x01, 0x60, 0x00, 0x00,  // type section: () -> ()
                    0x03, 0x03, 0x02, 0x00, 0x00,  // function section: 2 functions
                    0x0A, 0x04, 0x01, 0x02, 0x00, 0x0B,  // code section: 1 body
                ],
                mentions: ["count-mismatch.wasm", "invalid module"]),
        ]
        cases += truncatedKitchenSink
        return cases
    }

    /// kitchen_sink.wasm cut inside a section (offsets from `wasm-objdump -h`): the error names
    /// the section and an offset.
    static var truncatedKitchenSink: [BadModule] {
        let path = CLI.guest("kitchen_sink.wasm")
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        let bytes = [UInt8](data)
        let cuts: [(Int, String)] = [
            (9, "type"),  // the type section's id, then nothing
            (0x20, "type"),  // Type 0x0a..0x65
            (0x80, "function"),  // Function 0x74..0xa9
            (0x100, "export"),  // Export 0xc8..0x1e7
            (0x2000, "code"),  // Code 0x1fc..0x47d6
            (0x4800, "data"),  // Data 0x47d9..0x4900
        ]
        return cuts.map { cut, section in
            BadModule(
                name: "kitchen_sink-cut-at-0x\(String(cut, radix: 16)).wasm", bytes: Array(bytes.prefix(cut)),
                mentions: ["truncated", section, "offset 0x"])
        }
    }

    /// Creates the file in `directory` and returns its path.
    func create(in directory: TemporaryDirectory) throws -> String {
        let path = directory.file(name)
        if isDirectory {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } else if let bytes {
            try directory.write(name, bytes: bytes)
        }
        return path
    }
}

@Suite("Bad modules: one error line, exit status 1, for every command that reads a module")
final class BadModuleTests {
    let scratch: TemporaryDirectory

    init() throws {
        scratch = try TemporaryDirectory()
    }

    deinit {
        scratch.remove()
    }

    @Test("kitchen_sink.wasm is where the truncation cases come from")
    func kitchenSinkPresent() throws {
        #expect(BadModule.truncatedKitchenSink.count == 6, "guests/build/kitchen_sink.wasm is missing")
        expectSuccess(try CLI.run(["validate", CLI.guest("kitchen_sink.wasm")]))
    }

    @Test("validate", arguments: BadModule.all)
    func validate(module: BadModule) throws {
        let path = try module.create(in: scratch)
        let result = try CLI.run(["validate", path])
        expectError(result, status: 1, mentioning: module.mentions)
        #expect(result.stdout.isEmpty, "\(result)")
    }

    @Test("invoke", arguments: BadModule.all)
    func invoke(module: BadModule) throws {
        let path = try module.create(in: scratch)
        let result = try CLI.run(["invoke", path, "run", "1"])
        expectError(result, status: 1, mentioning: module.mentions)
        #expect(result.stdout.isEmpty, "\(result)")
    }

    @Test("run", arguments: BadModule.all)
    func run(module: BadModule) throws {
        let path = try module.create(in: scratch)
        let result = try CLI.run(["run", path, "--", "arg"])
        expectError(result, status: 1, mentioning: module.mentions)
        #expect(result.stdout.isEmpty, "\(result)")
    }

    @Test("truncation anywhere in kitchen_sink.wasm is an error line, never a crash", arguments: 0..<16)
    func truncatedEverywhere(slice: Int) throws {
        // 16 evenly spread cuts through the whole file, header and custom sections included.
        let data = try #require(FileManager.default.contents(atPath: CLI.guest("kitchen_sink.wasm")))
        let cut = 1 + slice * (data.count - 2) / 15
        guard cut != 8 else { return }  // magic + version alone is a valid empty module
        let path = try scratch.write("cut-\(cut).wasm", bytes: Array(data.prefix(cut)))
        let result = try CLI.run(["validate", path])
        expectError(result, status: 1, mentioning: ["cut-\(cut).wasm"])
    }

    @Test("a .wat file that does not assemble: the error gives FILE:LINE:COLUMN")
    func badText() throws {
        let path = try scratch.write(
            "bad.wat",
            """
            (module
              (func $f
                i32.bogus))

            """)
        for command in [["validate", path], ["invoke", path, "f"], ["run", path]] {
            let result = try CLI.run(command)
            expectError(result, status: 1, mentioning: ["bad.wat:3:"])
            let line = result.stderrLines.last ?? ""
            #expect(
                line.range(of: #"bad\.wat:\d+:\d+: "#, options: .regularExpression) != nil,
                "expected FILE:LINE:COLUMN\n\(result)")
        }
    }

    @Test("text that is recognised by its content, whatever the extension")
    func textWithOtherExtension() throws {
        let path = try scratch.write("calc.txt", try String(contentsOfFile: CLI.guestSource("calc.wat"), encoding: .utf8))
        let result = try CLI.run(["invoke", path, "multiply", "6", "7"])
        expectSuccess(result)
        #expect(result.stdout == "42\n")
    }

    @Test("an unreadable file: one error line, exit status 1")
    func unreadable() throws {
        guard getuid() != 0 else { return }  // root reads everything
        let path = try scratch.write("locked.wasm", bytes: BadModule.header)
        try FileManager.default.setAttributes([.posixPermissions: 0o000], ofItemAtPath: path)
        let result = try CLI.run(["validate", path])
        expectError(result, status: 1, mentioning: ["locked.wasm"])
    }
}
