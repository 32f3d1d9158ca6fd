import ArgumentParser
import Foundation
import WasmtonContracts
import WasmtonGateway
import WasmtonRuntime
import WasmtonStreams
import WasmtonTools

/// A failure the CLI reports as one line on stderr, with the exit status the user can script on.
///
/// Exit statuses: 1 for a bad module or bad input, 2 for bad usage, 134 when the guest failed
/// (trap, fuel, deadline, memory limit), as wasmtime does; `run` passes on the guest's own exit code.
enum CLIError: Error, CustomStringConvertible {
    case module(ModuleError)
    case inspect(InspectError)
    case guest(GuestError)
    case usage(String)
    /// A bad value of one option (named without `--`): kept apart from ``usage(_:)`` so that,
    /// when the value came from a config file, the message can name the file's key and line.
    case option(String, String)
    /// `--engine wasmtime` without a usable Wasmtime library.
    case engine(WasmtimeLibraryError)
    case io(String)
    case stream(StreamError)
    /// A waPC call that failed (the guest's own error, a trap, a start-up failure).
    case wapc(WapcError)
    /// The gateway could not start.
    case gateway(GatewayConfigurationError)
    /// Records of a finite input that failed every attempt.
    case failedRecords(Int)
    /// A config file that cannot be used as it is.
    case config(ConfigError)
    /// `check-config` found this many problems (each already printed).
    case configProblems(Int)
    /// Host-call links (`--link`) that cannot start.
    case link(WapcLinkError)
    /// `replay` or `capture` could not read or write its records.
    case replay(ReplayError)

    var description: String {
        switch self {
        case .module(let error): return error.description
        case .inspect(let error): return error.description
        case .guest(let error): return error.description
        case .usage(let message), .option(_, let message): return message
        case .engine(let error): return error.description
        case .io(let message): return message
        case .stream(let error): return error.description
        case .wapc(let error): return error.description
        case .gateway(let error): return error.description
        case .failedRecords(let count):
            return "\(count) record\(count == 1 ? "" : "s") failed every attempt (dead-lettered; see the log above)"
        case .config(let error): return error.description
        case .configProblems(let count): return "\(count) problem\(count == 1 ? "" : "s") in the config file"
        case .link(let error): return error.description
        case .replay(let error): return error.description
        }
    }

    var exitCode: Int32 {
        switch self {
        case .module, .inspect, .io, .stream, .gateway, .engine: return 1
        case .wapc(let error):
            switch error {
            case .guestError, .notAWapcModule: return 1
            case .guestFailed(_, let failure), .startupFailed(_, let failure): return CLIError.guest(failure).exitCode
            }
        case .failedRecords: return 134
        case .link(let error):
            if case .moduleFailed = error { return 1 }
            return 2
        case .usage, .option, .config, .configProblems, .replay: return 2
        case .guest(let error):
            switch error {
            case .trap, .outOfFuel, .deadlineExceeded, .memoryLimitExceeded, .memoryAccessOutOfBounds, .hostFunctionFailed:
                return 134
            case .exited(let code):
                return code
            default:
                return 1
            }
        }
    }
}

/// Runs a command's `validate()` checks: a failure is a usage error (exit status 2) that
/// ArgumentParser reports, for the command line and for `check-config` alike.
func validating(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as CLIError {
        throw ValidationError(error.description)
    }
}

/// Runs a command body, printing any failure as `error: …` and exiting with its status, or with
/// `status` for every failure (`replay`, whose 1 means "the modules differ").
func reportingFailures(status: Int32? = nil, _ body: () throws -> Void) throws {
    do {
        try body()
    } catch {
        try failIfKnown(error, status: status)
    }
}

/// ``reportingFailures(status:_:)`` for an asynchronous command body (the triggers).
func reportingFailures(status: Int32? = nil, _ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch {
        try failIfKnown(error, status: status)
    }
}

/// Prints and exits for the errors Wasmton describes itself; rethrows the rest (ArgumentParser's
/// own, which its caller reports).
private func failIfKnown(_ error: any Error, status: Int32?) throws {
    switch error {
    case let error as CLIError: fail(error, status: status)
    case let error as ModuleError: fail(.module(error), status: status)
    case let error as GuestError: fail(.guest(error), status: status)
    default: throw error
    }
}

private func fail(_ error: CLIError, status: Int32?) -> Never {
    FileHandle.standardOutput.synchronizeFile()
    FileHandle.standardError.write(Data("error: \(ConfigCommandLine.locate(error))\n".utf8))
    exit(status ?? error.exitCode)
}
