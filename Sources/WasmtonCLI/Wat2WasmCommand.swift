import ArgumentParser
import Foundation
import WasmtonRuntime

/// `wasmton wat2wasm IN.wat -o OUT.wasm`: assemble WebAssembly text.
struct Wat2WasmCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wat2wasm", abstract: "Assemble WebAssembly text (.wat) into a binary module.")

    @Argument(help: "The WebAssembly text file.")
    var input: String

    @Option(name: .shortAndLong, help: "Where to write the binary (default: the input with .wasm).")
    var output: String?

    @Flag(help: "Only assemble; do not validate the result.")
    var noValidate = false

    func run() throws {
        try reportingFailures {
            let bytes = try ModuleFile.read(path: input)
            if !noValidate {
                _ = try WasmRuntime(configuration: .init(fuelMetering: false)).load(bytes: bytes, name: input)
            }
            let destination = output ?? (input.hasSuffix(".wat") ? String(input.dropLast(4)) : input) + ".wasm"
            do {
                try Data(bytes).write(to: URL(fileURLWithPath: destination))
            } catch {
                throw CLIError.io("\(destination): cannot write: \(error.localizedDescription)")
            }
        }
    }
}
