import WasmtonCLI

/// The `wasmton` executable: everything lives in the WasmtonCLI library.
@main
enum WasmtonMain {
    static func main() async {
        await WasmtonCommand.runFromCommandLine()
    }
}
