import Foundation
import Testing

/// Exit status for a guest that failed: a trap, exhausted fuel or deadline, the memory limit
/// (as wasmtime exits after a trap).
let guestFailureStatus: Int32 = 134

/// What ArgumentParser exits with for its own usage errors (unknown option, missing argument,
/// a value that does not parse as the option's type): `ExitCode.validationFailure`, EX_USAGE.
let argumentParserUsageStatus: Int32 = 2

/// What Wasmton's own usage errors (an option value it checks itself) exit with.
let usageStatus: Int32 = 2

@Suite("Guest failures: traps, fuel, deadline, memory limit")
struct GuestFailureTests {
    static let traps = CLI.guest("traps.wasm")

    @Test(
        "each trap is named in one error line, exit status 134",
        arguments: [
            (["unreachable"], ["unreachable"]),
            (["oob_load"], ["out of bounds memory"]),
            (["div_zero"], ["divide by zero"]),
            (["div_s", "1", "0"], ["divide by zero"]),
            (["int_overflow"], ["integer overflow"]),
            (["div_s", "-2147483648", "-1"], ["integer overflow"]),
            (["stack_overflow"], ["call stack exhausted"]),
            (["indirect_null"], ["indirect call", "null"]),
            (["indirect_mismatch"], ["indirect call", "type mismatch"]),
        ])
    func trap(call: [String], mentions: [String]) throws {
        let result = try CLI.run(["invoke", Self.traps] + call, timeout: .seconds(60))
        expectError(result, status: guestFailureStatus, mentioning: ["trap", "'\(call[0])'"] + mentions)
        #expect(result.stdout.isEmpty, "\(result)")
    }

    // MARK: Fuel

    @Test("--fuel 1000 stops infinite_loop: out of fuel, exit status 134")
    func fuelExhausted() throws {
        let result = try CLI.run(["invoke", "--fuel", "1000", Self.traps, "infinite_loop"])
        expectError(result, status: guestFailureStatus, mentioning: ["fuel", "1000", "infinite_loop"])
    }

    @Test("--fuel 1000 is plenty for ok → 42")
    func fuelEnough() throws {
        let result = try CLI.run(["invoke", "--fuel", "1000", Self.traps, "ok"])
        expectSuccess(result)
        #expect(result.stdout == "42\n")
    }

    @Test("--fuel 10 runs out inside hello's _start")
    func fuelInRun() throws {
        let result = try CLI.run(["run", "--fuel", "10", CLI.guest("hello.wasm")])
        expectError(result, status: guestFailureStatus, mentioning: ["fuel"])
    }

    // MARK: Deadline

    @Test(
        "--timeout stops infinite_loop within the deadline: exit status 134, well under 10 s",
        arguments: ["300ms", "0.3", "0.3s"])
    func deadline(timeout: String) throws {
        let result = try CLI.run(["invoke", "--timeout", timeout, Self.traps, "infinite_loop"], timeout: .seconds(30))
        expectError(result, status: guestFailureStatus, mentioning: ["deadline", "300 ms", "infinite_loop"])
        #expect(result.elapsed < .seconds(10), "took \(result.elapsed)")
    }

    @Test("--timeout with a huge --fuel: the deadline is what stops the loop")
    func deadlineTighterThanFuel() throws {
        let result = try CLI.run(
            ["invoke", "--timeout", "300ms", "--fuel", "1000000000000", Self.traps, "infinite_loop"])
        expectError(result, status: guestFailureStatus, mentioning: ["deadline"])
        #expect(result.elapsed < .seconds(10), "took \(result.elapsed)")
    }

    @Test("--timeout does not stop a call that finishes in time")
    func deadlineNotReached() throws {
        let result = try CLI.run(["invoke", "--timeout", "5s", Self.traps, "ok"])
        expectSuccess(result)
        #expect(result.stdout == "42\n")
    }

    @Test("run --timeout stops a command whose _start never returns")
    func deadlineInRun() throws {
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        let module = try scratch.write(
            "spin.wat", #"(module (func (export "_start") (loop $l (br $l))))"#)
        let result = try CLI.run(["run", "--timeout", "300ms", module])
        expectError(result, status: guestFailureStatus, mentioning: ["deadline"])
        #expect(result.elapsed < .seconds(10), "took \(result.elapsed)")
    }

    @Test("--timeout and --fuel also bound a start function that never returns (instantiation)")
    func limitsCoverStartFunction() throws {
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        let module = try scratch.write(
            "start-loop.wat", #"(module (func $s (loop $l (br $l))) (start $s) (func (export "f")))"#)
        let timed = try CLI.run(["invoke", "--timeout", "300ms", module, "f"])
        expectError(timed, status: guestFailureStatus, mentioning: ["deadline"])
        #expect(timed.elapsed < .seconds(10), "took \(timed.elapsed)")
        let fueled = try CLI.run(["invoke", "--fuel", "1000", module, "f"])
        expectError(fueled, status: guestFailureStatus, mentioning: ["fuel"])
    }

    @Test("a trap in the start function is reported like any trap")
    func trapInStartFunction() throws {
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        let module = try scratch.write(
            "start-trap.wat", #"(module (func $s unreachable) (start $s) (func (export "f")))"#)
        let result = try CLI.run(["invoke", module, "f"])
        expectError(result, status: guestFailureStatus, mentioning: ["unreachable"])
    }

    // MARK: Memory limit

    /// The documented behaviour (MemoryLimiter, Limits.maxMemoryBytes): a `memory.grow` past the
    /// limit is denied and returns -1 to the guest, as Wasm requires; the call only fails if the
    /// guest then traps. memory_bomb grows one page at a time until grow fails and returns the
    /// final size: 1 MiB = 16 pages.
    @Test("--max-memory 1M: memory_bomb's growth stops at 16 pages and it returns 16")
    func memoryBomb() throws {
        let result = try CLI.run(["invoke", "--max-memory", "1M", Self.traps, "memory_bomb"])
        expectSuccess(result)
        #expect(result.stdout == "16\n")
    }

    @Test(
        "--max-memory: memory.grow within the limit succeeds, past it returns -1",
        arguments: [
            ("1M", "15", "1"),  // 1 + 15 = 16 pages = 1 MiB: allowed, returns the old size
            ("1M", "16", "-1"),  // 17 pages: denied
            ("1048576", "15", "1"),
            ("64K", "1", "-1"),
            ("2MiB", "31", "1"),
        ])
    func grow(limit: String, pages: String, output: String) throws {
        let result = try CLI.run(["invoke", "--max-memory", limit, Self.traps, "grow", pages])
        expectSuccess(result)
        #expect(result.stdout == "\(output)\n")
    }

    @Test("--max-memory below a module's initial memory fails at instantiation: memory limit, 134")
    func initialMemoryOverLimit() throws {
        // hello.wasm starts with 2 pages (128 KiB).
        let result = try CLI.run(["run", "--max-memory", "64K", CLI.guest("hello.wasm")])
        expectError(result, status: guestFailureStatus, mentioning: ["memory limit"])
        #expect(result.stdout.isEmpty, "\(result)")
    }

    // MARK: Bad limit values

    @Test(
        "a --timeout that is not a positive duration is a usage error (exit status 2)",
        arguments: ["abc", "0", "10xs", "ms", "nan", "0ms"])
    func badTimeout(value: String) throws {
        let result = try CLI.run(["invoke", "--timeout", value, CLI.guest("calc.wasm"), "add", "1", "2"])
        expectError(result, status: usageStatus, mentioning: ["--timeout", value])
        #expect(result.stdout.isEmpty, "\(result)")
    }

    /// BUG (found by this test): `SandboxOptions.parseDuration` computes
    /// `Int64(value * scale * 1e9)`, which traps ("Double value cannot be converted to Int64")
    /// when the duration is more than ~292 years in nanoseconds, or when the product overflows to
    /// infinity: the process dies with SIGILL and a Swift backtrace instead of an error line.
    @Test(
        "a huge --timeout never crashes: it is either accepted or a usage error",
        arguments: ["10000000000", "1e20", "1e300", "1e9m", "1e300ms"])
    func hugeTimeout(value: String) throws {
        let result = try CLI.run(["invoke", "--timeout", value, CLI.guest("calc.wasm"), "add", "1", "2"])
        try #require(
            !result.terminatedBySignal && !result.timedOut,
            "wasmton crashed: \(result.stderrLines.first ?? "")\n\(result)")
        #expect([0, usageStatus].contains(result.status), "\(result)")
        if result.status == 0 {
            #expect(result.stdout == "3\n", "\(result)")
        } else {
            expectError(result, status: usageStatus, mentioning: ["--timeout", value])
        }
    }

    @Test("a bad --timeout is a usage error for run too")
    func badTimeoutRun() throws {
        let result = try CLI.run(["run", "--timeout", "abc", CLI.guest("hello.wasm")])
        expectError(result, status: usageStatus, mentioning: ["--timeout", "abc"])
        #expect(result.stdout.isEmpty, "the guest must not run with a bad limit\n\(result)")
    }

    @Test(
        "a --max-memory that is not a size, or less than a page, is a usage error (exit status 2)",
        arguments: ["lots", "1000", "1.5M", "12Q"])
    func badMaxMemory(value: String) throws {
        let result = try CLI.run(["invoke", "--max-memory", value, CLI.guest("calc.wasm"), "add", "1", "2"])
        expectError(result, status: usageStatus, mentioning: ["--max-memory", value])
    }
}

/// ArgumentParser's own errors: what really happens, pinned so a change is noticed.
@Suite("Usage errors reported by ArgumentParser")
struct ArgumentParserUsageTests {
    @Test(
        "ArgumentParser usage errors exit with 2 and print one `error:` line",
        arguments: [
            ["invoke", "--fuel", "abc", "calc.wasm", "add"],
            ["invoke", "--fuel", "-5", "calc.wasm", "add"],
            ["invoke"],
            ["invoke", "calc.wasm"],
            ["run"],
            ["validate"],
            ["wat2wasm"],
            ["frobnicate"],
            ["validate", "--frobnicate", "calc.wasm"],
        ])
    func usage(arguments: [String]) throws {
        let result = try CLI.run(arguments)
        expectExited(result)
        #expect(result.status == argumentParserUsageStatus, "\(result)")
        #expect(result.stderrLines.first?.lowercased().hasPrefix("error: ") == true, "\(result)")
        #expect(!result.stderr.contains("Fatal error"), "\(result)")
    }

    @Test("--version prints the version, --help the subcommands")
    func versionAndHelp() throws {
        let version = try CLI.run(["--version"])
        expectSuccess(version)
        #expect(version.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty == false)

        let help = try CLI.run(["--help"])
        expectSuccess(help)
        for command in ["inspect", "validate", "wat2wasm", "invoke", "run"] {
            #expect(help.stdout.contains(command), "\(help)")
        }
    }

    @Test(
        "every command that runs guest code takes the sandbox options",
        arguments: ["invoke", "run"])
    func sandboxOptionsInHelp(command: String) throws {
        let help = try CLI.run([command, "--help"])
        expectSuccess(help)
        for option in ["--dir", "--env", "--fuel", "--timeout", "--max-memory"] {
            #expect(help.stdout.contains(option), "\(help)")
        }
    }
}
