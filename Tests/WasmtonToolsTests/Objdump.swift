import Foundation
import Testing

/// Runs Debian's `wasm-objdump` (package `wabt`) for the differential tests, and finds the
/// example modules. A missing `wasm-objdump` fails the tests that need it instead of skipping them.
enum Objdump {
    /// The repository root, found from this file's path (`Tests/WasmtonToolsTests/Objdump.swift`).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Every `guests/build/*.wasm`, by file name.
    static let exampleModules: [String] = {
        let directory = root.appendingPathComponent("guests/build")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".wasm") }.sorted()
    }()

    static func path(ofExample name: String) -> String {
        root.appendingPathComponent("guests/build").appendingPathComponent(name).path
    }

    /// `wasm-objdump` on the `PATH`, or `nil`.
    static let executable: URL? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent("wasm-objdump")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }()

    /// The output of `wasm-objdump FLAG FILE`, run in the file's directory so that the header
    /// names the file as `wasm-objdump` would when run next to it. Records an issue (a failure)
    /// and returns `nil` when the tool is missing or fails.
    static func run(_ flag: String, _ file: String, sourceLocation: SourceLocation = #_sourceLocation) -> String? {
        guard let executable else {
            Issue.record(
                "wasm-objdump is not installed: run `sudo apt-get install wabt` (the differential tests need it)",
                sourceLocation: sourceLocation)
            return nil
        }
        let url = URL(fileURLWithPath: file)
        let process = Process()
        process.executableURL = executable
        process.arguments = [flag, url.lastPathComponent]
        process.currentDirectoryURL = url.deletingLastPathComponent()
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            Issue.record("cannot run wasm-objdump: \(error)", sourceLocation: sourceLocation)
            return nil
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            Issue.record("wasm-objdump \(flag) \(file) exited with \(process.terminationStatus)", sourceLocation: sourceLocation)
            return nil
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// One line of `wasm-objdump -h`.
    struct Section: Equatable, CustomStringConvertible {
        var name: String
        var start: Int
        var end: Int
        var size: Int
        /// `count: N`, or for the Start section `start: N`.
        var count: Int?
        var customName: String?

        var description: String {
            "\(name) start=\(start) end=\(end) size=\(size) count=\(count.map(String.init) ?? "-")"
                + (customName.map { " \"\($0)\"" } ?? "")
        }
    }

    /// Parses the section lines of `wasm-objdump -h` output:
    /// `     Type start=0x0000000a end=0x00000011 (size=0x00000007) count: 1`.
    static func sections(fromHeaders output: String) -> [Section] {
        output.split(separator: "\n").compactMap { line -> Section? in
            let words = line.split(separator: " ", omittingEmptySubsequences: true)
            guard words.count >= 4, words[1].hasPrefix("start=0x"), words[2].hasPrefix("end=0x") else { return nil }
            func hex(_ word: Substring, after prefix: String) -> Int? {
                Int(word.dropFirst(prefix.count).prefix { $0.isHexDigit }, radix: 16)
            }
            guard let start = hex(words[1], after: "start=0x"), let end = hex(words[2], after: "end=0x"),
                let size = hex(words[3], after: "(size=0x")
            else { return nil }
            var section = Section(name: String(words[0]), start: start, end: end, size: size)
            let rest = words.dropFirst(4).joined(separator: " ")
            if rest.hasPrefix("count: ") || rest.hasPrefix("start: ") {
                section.count = Int(rest.dropFirst(7))
            } else if rest.hasPrefix("\"") && rest.hasSuffix("\"") {
                section.customName = String(rest.dropFirst().dropLast())
            }
            return section
        }
    }

    /// The lines of one section's block in `wasm-objdump -x` output (`Export[3]:` and its ` - ` lines).
    static func detailLines(_ output: String, section: String) -> [String] {
        var lines: [String] = []
        var inside = false
        for line in output.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix(" ") {
                if inside { lines.append(String(line)) }
            } else {
                inside = line.hasPrefix(section + "[") || line == section + ":"
            }
        }
        return lines
    }
}
