import ArgumentParser
import WasmtonRuntime

/// `wasmton validate FILE`: parse and validate every function body, without running anything.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate", abstract: "Check that a module (.wasm or .wat) is valid WebAssembly.")

    @Argument(help: "The module to validate.")
    var file: String

    func run() throws {
        try reportingFailures {
            let module = try WasmRuntime(configuration: .init(fuelMetering: false)).load(path: file)
            print(
                "\(file): valid (\(module.bytes.count) bytes, \(module.imports.count) imports, \(module.exports.count) exports)")
        }
    }
}
