import ArgumentParser
import WasmtonRuntime

/// `wasmton inspect FILE`: the section table, details, disassembly or JSON of a module.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect", abstract: "Show a module's sections (like wasm-objdump -h), details (-x) or code (-d).")

    @Argument(help: "The module (.wasm or .wat).")
    var file: String

    func run() throws {}
}
