import WasmtonCLI

WasmtonCommand.main()
