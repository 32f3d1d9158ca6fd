import ArgumentParser
import Foundation
import WasmtonTools

/// `wasmton inspect FILE`: the section table, details, disassembly or JSON of a module.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show a module's sections (like wasm-objdump -h), details (-x) or code (-d).",
        discussion: "Reads .wasm or .wat. The module is parsed, not validated, so invalid bodies can still be inspected.")

    @Flag(
        name: [.customShort("x"), .long],
        help: "Types, imports, functions, tables, memories, globals, exports, start, elements, data, custom sections.")
    var details = false

    @Flag(name: [.customShort("d"), .long], help: "Disassemble code (all functions, or --function).")
    var disassemble = false

    @Option(
        name: .customLong("function"), help: "With --disassemble: only this function (export name, name-section name or index).")
    var function: String?

    @Flag(help: "Print everything as JSON (sections, details, and code with --disassemble).")
    var json = false

    @Argument(help: "The module (.wasm or .wat).")
    var file: String

    @Argument(help: "With --disassemble: only this function (same as --function).")
    var functionArgument: String?

    func run() throws {
        try reportingFailures {
            do {
                let selected = function ?? functionArgument
                if selected != nil && !disassemble {
                    throw CLIError.usage("a function name only makes sense with --disassemble")
                }
                let bytes = try ModuleInspector.read(path: file)
                let report =
                    disassemble
                    ? try ModuleInspector.report(bytes: bytes, path: file, disassembling: selected)
                    : try ModuleInspector.report(bytes: bytes, path: file)
                if json {
                    print(ModuleReportText.json(report))
                    return
                }
                var output = ModuleReportText.header(report, fileName: URL(fileURLWithPath: file).lastPathComponent)
                if details {
                    output += ModuleReportText.details(report)
                } else if !disassemble {
                    output += ModuleReportText.sectionTable(report)
                }
                if let code = report.disassembly {
                    output += ModuleInspector.disassemble(code)
                }
                print(output, terminator: output.hasSuffix("\n") ? "" : "\n")
            } catch let error as InspectError {
                throw CLIError.inspect(error)
            }
        }
    }
}
