import Foundation
import Testing

// Runs the real `wasmton` executable as a subprocess, the way a user (or a shell script) does.
//
// The test target depends on the WasmtonCLI library, not on the executable, so `swift test` does
// not (re)build `.build/debug/wasmton`: whatever runs these tests must run
// `swift build --product wasmton` first. Set WASMTON_BINARY to test another build.

/// What one run of `wasmton` did.
struct CLIResult: CustomStringConvertible {
    var arguments: [String]
    var stdout: String
    var stderr: String
    /// The exit status, or the signal number when `terminatedBySignal`.
    var status: Int32
    /// The process ended by a signal (a crash, or our kill after a timeout), not by `exit`.
    var terminatedBySignal: Bool
    /// We killed it because it ran past its timeout.
    var timedOut: Bool
    var elapsed: Duration

    /// The non-empty lines of stderr.
    var stderrLines: [String] {
        stderr.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    }

    /// The lines of stdout, without the trailing empty one.
    var stdoutLines: [String] {
        var lines = stdout.components(separatedBy: "\n")
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    var description: String {
        let how =
            timedOut
            ? "timed out after \(elapsed)" : terminatedBySignal ? "killed by signal \(status)" : "exit status \(status)"
        return "wasmton \(arguments.joined(separator: " ")) → \(how)\n--- stdout ---\n\(stdout)\n--- stderr ---\n\(stderr)"
    }
}

enum CLI {
    /// The package root, found from this file's path (`<repo>/Tests/WasmtonCLITests/CLIRunner.swift`).
    static let repoRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `<repo>/guests/build/NAME` (e.g. `calc.wasm`).
    static func guest(_ name: String) -> String {
        repoRoot.appendingPathComponent("guests/build").appendingPathComponent(name).path
    }

    /// `<repo>/guests/src/NAME` (e.g. `calc.wat`).
    static func guestSource(_ name: String) -> String {
        repoRoot.appendingPathComponent("guests/src").appendingPathComponent(name).path
    }

    /// The executable under test: `$WASMTON_BINARY`, or `<repo>/.build/debug/wasmton`.
    static var binaryPath: String {
        if let override = ProcessInfo.processInfo.environment["WASMTON_BINARY"], !override.isEmpty {
            return override
        }
        return repoRoot.appendingPathComponent(".build/debug/wasmton").path
    }

    struct BinaryMissing: Error, CustomStringConvertible {
        var path: String
        var description: String {
            "the wasmton executable is missing at \(path): run `swift build --product wasmton` first "
                + "(swift test does not build it, because the test target depends on the WasmtonCLI library only)"
        }
    }

    /// Runs `wasmton ARGUMENTS…` with `stdin` as its standard input (empty when nil), the test
    /// process's environment plus `environment` (a nil value removes a variable), in
    /// `directory`, and kills it after `timeout`. Never hangs, never throws for a failing command.
    static func run(
        _ arguments: [String],
        stdin: Data? = nil,
        environment: [String: String?] = [:],
        directory: URL? = nil,
        timeout: Duration = .seconds(30),
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> CLIResult {
        let binary = binaryPath
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw BinaryMissing(path: binary)
        }

        // Output goes to files, not pipes: no reader threads, no deadlock on a full pipe, and no
        // pipe ends leaking into other tests' children that would keep an EOF from arriving.
        let scratch = try TemporaryDirectory(prefix: "wasmton-run")
        defer { scratch.remove() }
        let stdoutURL = scratch.url.appendingPathComponent("stdout")
        let stderrURL = scratch.url.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        let stdoutHandle = try FileHandle(forWritingTo: stdoutURL)
        let stderrHandle = try FileHandle(forWritingTo: stderrURL)
        defer {
            try? stdoutHandle.close()
            try? stderrHandle.close()
        }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.standardOutput = stdoutHandle
        process.standardError = stderrHandle
        var stdinHandle: FileHandle?
        if let stdin {
            let stdinURL = scratch.url.appendingPathComponent("stdin")
            _ = FileManager.default.createFile(atPath: stdinURL.path, contents: stdin)
            stdinHandle = try FileHandle(forReadingFrom: stdinURL)
            process.standardInput = stdinHandle
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        defer { try? stdinHandle?.close() }
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment {
            env[key] = value
        }
        process.environment = env
        if let directory { process.currentDirectoryURL = directory }

        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        let start = ContinuousClock.now
        try process.run()
        var timedOut = false
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        if finished.wait(timeout: .now() + seconds) == .timedOut {
            timedOut = true
            process.terminate()  // SIGTERM
            if finished.wait(timeout: .now() + 2) == .timedOut {
                kill(process.processIdentifier, SIGKILL)
                finished.wait()
            }
        }
        let elapsed = ContinuousClock.now - start

        let result = CLIResult(
            arguments: arguments,
            stdout: (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? "<stdout is not UTF-8>",
            stderr: (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "<stderr is not UTF-8>",
            status: process.terminationStatus,
            terminatedBySignal: process.terminationReason == .uncaughtSignal,
            timedOut: timedOut,
            elapsed: elapsed)
        if timedOut {
            Issue.record("wasmton hung: killed after \(timeout)\n\(result)", sourceLocation: sourceLocation)
        }
        return result
    }
}

// MARK: - Expectations

/// The process ended by itself with `exit`: no hang, no crash signal.
func expectExited(_ result: CLIResult, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(!result.timedOut, "hung\n\(result)", sourceLocation: sourceLocation)
    #expect(!result.terminatedBySignal, "crashed with signal \(result.status)\n\(result)", sourceLocation: sourceLocation)
}

/// A successful run: exit status 0 and nothing on stderr.
func expectSuccess(_ result: CLIResult, sourceLocation: SourceLocation = #_sourceLocation) {
    expectExited(result, sourceLocation: sourceLocation)
    #expect(result.status == 0, "\(result)", sourceLocation: sourceLocation)
    #expect(result.stderr.isEmpty, "unexpected stderr\n\(result)", sourceLocation: sourceLocation)
}

/// The shape every Wasmton error has: the process exits (no signal, no hang) with `status`, and
/// stderr is exactly one line starting with `error: ` that mentions each of `mentions`
/// (case-insensitively), with no stack trace or Swift runtime message.
///
/// `guestStderr` allows other stderr lines before the error (what a guest run with inherited
/// stdio printed itself); the last line must then be the error.
func expectError(
    _ result: CLIResult,
    status: Int32,
    mentioning mentions: [String] = [],
    guestStderr: Bool = false,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    guard !result.timedOut, !result.terminatedBySignal else {
        // One issue for a hang or a crash, not one per expectation below.
        expectExited(result, sourceLocation: sourceLocation)
        return
    }
    #expect(result.status == status, "expected exit status \(status)\n\(result)", sourceLocation: sourceLocation)
    let lines = result.stderrLines
    if guestStderr {
        #expect(!lines.isEmpty, "expected an error line\n\(result)", sourceLocation: sourceLocation)
    } else {
        #expect(lines.count == 1, "expected exactly one stderr line\n\(result)", sourceLocation: sourceLocation)
    }
    let line = lines.last ?? ""
    #expect(line.hasPrefix("error: "), "stderr must be `error: …`\n\(result)", sourceLocation: sourceLocation)
    for forbidden in ["Fatal error", "Stack dump", "Current stack trace", "Backtrace", "SIGABRT", "Illegal instruction"] {
        #expect(!result.stderr.contains(forbidden), "crash output on stderr\n\(result)", sourceLocation: sourceLocation)
    }
    for mention in mentions {
        #expect(
            line.localizedCaseInsensitiveContains(mention), "the error should mention “\(mention)”\n\(result)",
            sourceLocation: sourceLocation)
    }
}

// MARK: - Temporary files

/// A fresh directory under the system temporary directory, removed by `remove()`.
struct TemporaryDirectory {
    let url: URL

    init(prefix: String = "wasmton-cli-tests") throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(prefix)-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    var path: String { url.path }

    /// Writes `text` to `name` inside the directory and returns its path.
    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let file = url.appendingPathComponent(name)
        try Data(text.utf8).write(to: file)
        return file.path
    }

    /// Writes `bytes` to `name` inside the directory and returns its path.
    @discardableResult
    func write(_ name: String, bytes: [UInt8]) throws -> String {
        let file = url.appendingPathComponent(name)
        try Data(bytes).write(to: file)
        return file.path
    }

    func file(_ name: String) -> String {
        url.appendingPathComponent(name).path
    }

    func remove() {
        try? FileManager.default.removeItem(at: url)
    }
}
