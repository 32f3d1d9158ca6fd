import ArgumentParser

/// The `wasmton` command line.
public struct WasmtonCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "wasmton")
    public init() {}
}
