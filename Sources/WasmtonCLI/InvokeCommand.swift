import ArgumentParser
import Foundation
import WasmtonRuntime

/// `wasmton invoke FILE FUNC ARG…`: call one export and print its results, like `wasmtime --invoke`.
struct InvokeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "invoke",
        abstract: "Call an exported function with i32/i64/f32/f64 arguments and print its results.",
        discussion: "Reactors (modules exporting _initialize) are initialized first. Each result is printed on its own line.")

    @OptionGroup var sandbox: SandboxOptions

    @Argument(help: "The module (.wasm or .wat).")
    var file: String

    @Argument(help: "The exported function to call.")
    var function: String

    @Argument(parsing: .allUnrecognized, help: "The arguments, parsed by the function's parameter types.")
    var arguments: [String] = []

    func run() throws {
        try reportingFailures {
            var arguments = self.arguments
            if arguments.first == "--" { arguments.removeFirst() }
            let name = URL(fileURLWithPath: file).lastPathComponent
            let guestSandbox = try sandbox.sandbox(arguments: [name], stdio: .inherit, modulePath: file)
            // Denied network access is logged; it goes to stderr, never into the guest's stdout.
            StandardErrorLogging.bootstrap(level: .warning)
            let runtime = try sandbox.runtime()
            let module = try runtime.load(path: file)
            let signature = try module.requireFunction(function)
            guard signature.parameters.count == arguments.count else {
                throw GuestError.argumentCount(function: function, expected: signature, given: arguments.count)
            }
            var values: [WasmValue] = []
            for (index, text) in arguments.enumerated() {
                guard let value = WasmValue(parsing: text, as: signature.parameters[index]) else {
                    throw GuestError.argumentType(
                        function: function, index: index, expected: signature.parameters[index], given: text)
                }
                values.append(value)
            }
            let instance = try runtime.instantiate(module, sandbox: guestSandbox)
            defer { instance.close() }
            if instance.hasFunction("_initialize") && function != "_initialize" {
                try instance.call("_initialize")
            }
            let results = try instance.call(function, values)
            for result in results {
                print(result)
            }
        }
    }
}
