public import ArgumentParser

/// The `wasmton` command line: module tools now, triggers (`process`, `serve`) as they land.
public struct WasmtonCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "wasmton",
        abstract: "A server-side WebAssembly host: run sandboxed Wasm modules and inspect them.",
        version: "0.1.0",
        subcommands: [
            InspectCommand.self, ValidateCommand.self, Wat2WasmCommand.self, InvokeCommand.self, RunCommand.self,
        ]
    )

    public init() {}
}
