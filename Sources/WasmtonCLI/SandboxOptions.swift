import ArgumentParser
import Foundation
import WasmtonGateway
import WasmtonRuntime

/// The sandbox options every command that runs guest code takes, named as in wasmtime.
struct SandboxOptions: ParsableArguments, ConfigurableOptions {
    @Option(
        name: .customLong("dir"),
        help: ArgumentHelp("Grant the guest a host directory: HOST[::GUEST].", valueName: "HOST[::GUEST]"))
    var directories: [String] = []

    @Option(
        name: .customLong("env"),
        help: ArgumentHelp(
            "Set a guest environment variable (NAME=VALUE, or NAME to pass the host's).", valueName: "NAME[=VALUE]"))
    var environment: [String] = []

    @Option(
        help: ArgumentHelp(
            "The engine that runs guests: wasmkit (an interpreter, nothing to install) or wasmtime (compiles with Cranelift; needs Wasmtime 50's C library: WASMTON_WASMTIME_LIB, .deps/ or the system path).",
            valueName: "wasmkit|wasmtime"))
    var engine: String = "wasmkit"

    @Option(
        name: .customLong("module-cache"),
        help: ArgumentHelp(
            "Where --engine wasmtime keeps compiled modules between runs ($XDG_CACHE_HOME/wasmton/modules, or ~/.cache/wasmton/modules); 'off' compiles every time.",
            valueName: "DIR|off"))
    var moduleCache: String?

    @Option(help: ArgumentHelp("Fuel per call: about one unit per executed Wasm instruction.", valueName: "N"))
    var fuel: UInt64?

    @Option(help: ArgumentHelp("Wall-clock limit per call, e.g. 2, 0.5, 250ms, 1m.", valueName: "SECONDS"))
    var timeout: String?

    @Option(
        name: .customLong("max-memory"),
        help: ArgumentHelp("Largest linear memory, e.g. 1048576, 64K, 16M, 1G.", valueName: "BYTES"))
    var maxMemory: String?

    @Option(
        name: .customLong("allow-connect"),
        help: ArgumentHelp(
            "Let the guest open TCP connections to HOST:PORT (a name, an IPv4 address, a CIDR block or *; a port, LOW-HIGH or *). Repeatable; prefix MODULE= to allow it for one module only. Without it the guest has no network.",
            valueName: "[MODULE=]HOST:PORT"))
    var allowConnect: [String] = []

    @Option(
        name: .customLong("max-sockets"),
        help: ArgumentHelp("Most sockets one instance may hold open at once.", valueName: "N"))
    var maxSockets: Int = NetworkPolicy().maxSockets

    @Option(
        name: .customLong("connect-timeout"),
        help: ArgumentHelp("Longest a guest's connect may take, e.g. 5, 500ms.", valueName: "SECONDS"))
    var connectTimeout: String = "5"

    @Option(
        name: .customLong("socket-timeout"),
        help: ArgumentHelp("Longest one socket read, write or poll may wait, e.g. 30, 2s.", valueName: "SECONDS"))
    var socketTimeout: String = "30"

    static var configFields: [String: ConfigField<Self>] {
        [
            "dir": .list(\.directories), "env": .list(\.environment), "engine": .value(\.engine),
            "module-cache": .optional(\.moduleCache), "fuel": .optional(\.fuel), "timeout": .optional(\.timeout),
            "max-memory": .optional(\.maxMemory), "allow-connect": .list(\.allowConnect, check: Self.checkRule),
            "max-sockets": .value(\.maxSockets), "connect-timeout": .value(\.connectTimeout),
            "socket-timeout": .value(\.socketTimeout),
        ]
    }

    /// Fails on an `--allow-connect` rule that does not parse (whichever module it names).
    static func checkRule(_ entry: String) throws(CLIError) {
        _ = try policy(allowing: [split(entry).rule])
    }

    /// An `--allow-connect` entry: the module its `MODULE=` prefix names, if any, and the rule.
    private static func split(_ entry: String) -> (module: String?, rule: String) {
        guard let equals = entry.firstIndex(of: "="), !entry[..<equals].contains(":") else { return (nil, entry) }
        return (String(entry[..<equals]), String(entry[entry.index(after: equals)...]))
    }

    private static func policy(allowing rules: [String]) throws(CLIError) -> NetworkPolicy {
        do throws(NetworkPolicyError) {
            return try NetworkPolicy(allowing: rules)
        } catch {
            throw .option("allow-connect", error.description)
        }
    }

    /// The network policy for the module called `module`: the unprefixed `--allow-connect` rules
    /// and those prefixed with its name. `modules` lists every module the command runs, so a
    /// prefix naming none of them is reported instead of silently ignored.
    func networkPolicy(module: String, modules: [String]) throws(CLIError) -> NetworkPolicy {
        var rules: [String] = []
        for entry in allowConnect {
            let (prefix, rule) = Self.split(entry)
            guard let name = prefix else {
                rules.append(rule)
                continue
            }
            guard modules.contains(name) else {
                throw .option(
                    "allow-connect",
                    "--allow-connect \(entry) names module '\(name)', but the modules here are: \(modules.joined(separator: ", "))"
                )
            }
            if name == module { rules.append(rule) }
        }
        var policy = try Self.policy(allowing: rules)
        guard maxSockets >= 1 else { throw .option("max-sockets", "--max-sockets must be at least 1") }
        policy.maxSockets = maxSockets
        policy.connectTimeout = try Self.positiveDuration(connectTimeout, option: "--connect-timeout")
        policy.ioTimeout = try Self.positiveDuration(socketTimeout, option: "--socket-timeout")
        policy.moduleLabel = module
        return policy
    }

    /// `--socket-timeout`, parsed: also the bound of a request the host makes for a guest (an
    /// HTTP host-call link), connecting included.
    func socketTimeoutDuration() throws(CLIError) -> Duration {
        try Self.positiveDuration(socketTimeout, option: "--socket-timeout")
    }

    private static func positiveDuration(_ text: String, option: String) throws(CLIError) -> Duration {
        guard let duration = parseDuration(text), duration > .zero else {
            throw .option(
                String(option.dropFirst(2)), "\(option) '\(text)' is not a positive duration (examples: 2, 0.5, 250ms, 1m)")
        }
        return duration
    }

    /// The sandbox these options describe, for a guest whose `argv` is `arguments`, running the
    /// module at `modulePath` (whose name picks its `--allow-connect MODULE=` rules). Without a
    /// path (a command serving several modules) the network stays closed; see ``networkPolicy(module:modules:)``.
    /// `otherModules` are the other modules the command runs (linked ones), which
    /// `--allow-connect MODULE=` rules may name too.
    func sandbox(
        arguments: [String], stdio: Stdio, modulePath: String?, otherModules: [String] = []
    ) throws(CLIError)
        -> Sandbox
    {
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
                throw .option("timeout", "--timeout '\(timeout)' is not a positive duration (examples: 2, 0.5, 250ms, 1m)")
            }
            limits.timeout = duration
        }
        if let maxMemory {
            guard let bytes = Self.parseBytes(maxMemory) else {
                throw .option(
                    "max-memory", "--max-memory '\(maxMemory)' is not a size in bytes (examples: 1048576, 64K, 16M, 1G)")
            }
            guard bytes >= 65_536 || bytes == 0 else {
                throw .option("max-memory", "--max-memory \(maxMemory) is smaller than one 64 KiB Wasm page")
            }
            limits.maxMemoryBytes = bytes
        }
        return Sandbox(
            arguments: arguments, environment: environment,
            directories: directories.map(DirectoryGrant.init(parsing:)), stdio: stdio, limits: limits,
            network: try modulePath.map { path throws(CLIError) in
                let module = ServedModule.nameAndPath(path).name
                return try networkPolicy(module: module, modules: [module] + otherModules)
            } ?? NetworkPolicy())
    }

    /// A runtime on the chosen engine, with fuel metering only when something needs it (metering
    /// costs speed): a `--fuel` limit; on WasmKit also a `--timeout`, or `always` for commands
    /// that cut calls into time slices or set deadlines of their own. Wasmtime does both by its
    /// epoch clock, without fuel, and its epoch checks are compiled in only for those (a
    /// `--timeout`, or `always`): they cost tight loops 15–40%.
    /// `countingFuel` turns metering on for both engines, for commands that report the fuel
    /// calls burned (`replay`).
    func runtime(meteringOnWasmKit always: Bool = false, countingFuel: Bool = false) throws(CLIError) -> WasmRuntime {
        switch engine {
        case "wasmkit":
            return WasmRuntime(configuration: .init(fuelMetering: countingFuel || always || fuel != nil || timeout != nil))
        case "wasmtime":
            do throws(WasmtimeLibraryError) {
                let library = try WasmtimeLibrary.load()
                return WasmRuntime(
                    configuration: .init(
                        fuelMetering: countingFuel || fuel != nil, engine: .wasmtime(library),
                        moduleCacheDirectory: moduleCacheDirectory, interruptible: always || timeout != nil))
            } catch {
                throw .engine(error)
            }
        default:
            throw .option("engine", "--engine '\(engine)' is not an engine: use wasmkit or wasmtime")
        }
    }

    /// `--module-cache`, or the user's cache directory; `nil` for `off`.
    private var moduleCacheDirectory: String? {
        if let moduleCache { return moduleCache == "off" ? nil : moduleCache }
        let environment = ProcessInfo.processInfo.environment
        if let cache = environment["XDG_CACHE_HOME"], !cache.isEmpty { return cache + "/wasmton/modules" }
        guard let home = environment["HOME"], !home.isEmpty else { return nil }
        return home + "/.cache/wasmton/modules"
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
