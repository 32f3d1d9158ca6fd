import WasmtonCLI

WasmtonCommand.runFromCommandLine()
