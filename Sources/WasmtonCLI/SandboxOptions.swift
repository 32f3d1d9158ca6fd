import ArgumentParser
import Foundation
import WasmtonRuntime

/// The sandbox options every command that runs guest code takes, named as in wasmtime.
struct SandboxOptions: ParsableArguments {
    @Option(
        name: .customLong("dir"),
        help: ArgumentHelp("Grant the guest a host directory: HOST[::GUEST].", valueName: "HOST[::GUEST]"))
    var directories: [String] = []

    @Option(
        name: .customLong("env"),
        help: ArgumentHelp(
            "Set a guest environment variable (NAME=VALUE, or NAME to pass the host's).", valueName: "NAME[=VALUE]"))
    var environment: [String] = []

    @Option(help: ArgumentHelp("Fuel per call: about one unit per executed Wasm instruction.", valueName: "N"))
    var fuel: UInt64?

    @Option(help: ArgumentHelp("Wall-clock limit per call, e.g. 2, 0.5, 250ms, 1m.", valueName: "SECONDS"))
    var timeout: String?

    @Option(
        name: .customLong("max-memory"),
        help: ArgumentHelp("Largest linear memory, e.g. 1048576, 64K, 16M, 1G.", valueName: "BYTES"))
    var maxMemory: String?

    /// The sandbox these options describe, for a guest whose `argv` is `arguments`.
    func sandbox(arguments: [String], stdio: Stdio) throws(CLIError) -> Sandbox {
        var environment: [String: String] = [:]
        for entry in self.environment {
            if let equals = entry.firstIndex(of: "=") {
                environment[String(entry[..<equals])] = String(entry[entry.index(after: equals)...])
            } else if let value = ProcessInfo.processInfo.environment[entry] {
                environment[entry] = value
            }
        }
        var limits = Limits(fuel: fuel)
        if let timeout {
            guard let duration = Self.parseDuration(timeout), duration > .zero else {
                throw .usage("--timeout '\(timeout)' is not a positive duration (examples: 2, 0.5, 250ms, 1m)")
            }
            limits.timeout = duration
        }
        if let maxMemory {
            guard let bytes = Self.parseBytes(maxMemory) else {
                throw .usage("--max-memory '\(maxMemory)' is not a size in bytes (examples: 1048576, 64K, 16M, 1G)")
            }
            guard bytes >= 65_536 || bytes == 0 else {
                throw .usage("--max-memory \(maxMemory) is smaller than one 64 KiB Wasm page")
            }
            limits.maxMemoryBytes = bytes
        }
        return Sandbox(
            arguments: arguments, environment: environment,
            directories: directories.map(DirectoryGrant.init(parsing:)), stdio: stdio, limits: limits)
    }

    /// A runtime with fuel metering only when a limit needs it (metering costs speed).
    func runtime() -> WasmRuntime {
        WasmRuntime(configuration: .init(fuelMetering: fuel != nil || timeout != nil))
    }

    static func parseDuration(_ text: String) -> Duration? {
        let units: [(String, Double)] = [("ms", 0.001), ("us", 0.000_001), ("s", 1), ("m", 60)]
        var number = Substring(text)
        var scale = 1.0
        for (suffix, unit) in units where text.hasSuffix(suffix) {
            number = number.dropLast(suffix.count)
            scale = unit
            break
        }
        guard let value = Double(number) else { return nil }
        let nanoseconds = value * scale * 1e9
        // Longer than a year is surely a typo; it also keeps the conversion below in range.
        guard nanoseconds.isFinite, nanoseconds < 365 * 86_400 * 1e9 else { return nil }
        return .nanoseconds(Int64(nanoseconds))
    }

    static func parseBytes(_ text: String) -> Int? {
        let scales: [Character: Int] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30]
        var digits = text.uppercased()
        if digits.hasSuffix("IB") { digits.removeLast(2) } else if digits.hasSuffix("B") { digits.removeLast() }
        var scale = 1
        if let last = digits.last, let unit = scales[last] {
            scale = unit
            digits.removeLast()
        }
        guard let value = Int(digits), value >= 0 else { return nil }
        let (product, overflow) = value.multipliedReportingOverflow(by: scale)
        return overflow ? nil : product
    }
}
