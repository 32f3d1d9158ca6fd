import Foundation
import Testing

/// One `wasmton invoke` call and the stdout lines it must print.
struct InvokeCase: Sendable, CustomTestStringConvertible {
    var function: String
    var arguments: [String]
    var output: [String]

    init(_ function: String, _ arguments: [String], _ output: [String]) {
        self.function = function
        self.arguments = arguments
        self.output = output
    }

    var testDescription: String {
        "\(function)(\(arguments.joined(separator: ", "))) → \(output.joined(separator: ", "))"
    }
}

/// A module exporting one function per value type, for argument parsing and result printing.
let valueTypesWAT = """
    (module
      (func (export "i32") (param i32) (result i32) local.get 0)
      (func (export "i64") (param i64) (result i64) local.get 0)
      (func (export "f32") (param f32) (result f32) local.get 0)
      (func (export "f64") (param f64) (result f64) local.get 0)
      (func (export "add_i64") (param i64 i64) (result i64)
        local.get 0
        local.get 1
        i64.add)
      (func (export "mul_f64") (param f64 f64) (result f64)
        local.get 0
        local.get 1
        f64.mul)
      (func (export "mixed") (param i32 i64 f32 f64) (result f64)
        local.get 0
        f64.convert_i32_s
        local.get 1
        f64.convert_i64_s
        f64.add
        local.get 2
        f64.promote_f32
        f64.add
        local.get 3
        f64.add)
      (func (export "pair") (result i32 i64)
        i32.const 7
        i64.const -8)
      (func (export "nothing"))
      (global (export "answer") i32 (i32.const 42))
      (memory (export "memory") 1)
    )

    """

@Suite("wasmton invoke")
final class InvokeCommandTests {
    let scratch: TemporaryDirectory
    let typesModule: String

    init() throws {
        scratch = try TemporaryDirectory()
        typesModule = try scratch.write("types.wat", valueTypesWAT)
    }

    deinit {
        scratch.remove()
    }

    // MARK: The book's examples

    @Test("invoke calc.wasm add 1 2 prints 3 (the book's first example)")
    func calcAdd() throws {
        let result = try CLI.run(["invoke", CLI.guest("calc.wasm"), "add", "1", "2"])
        expectSuccess(result)
        #expect(result.stdout == "3\n")
    }

    @Test("invoke accepts WebAssembly text: calc.wat add 1 2 prints 3")
    func calcWat() throws {
        let result = try CLI.run(["invoke", CLI.guestSource("calc.wat"), "add", "1", "2"])
        expectSuccess(result)
        #expect(result.stdout == "3\n")
    }

    @Test(
        "calc.wasm: add, subtract, multiply with negative and hex arguments",
        arguments: [
            InvokeCase("add", ["1", "2"], ["3"]),
            InvokeCase("subtract", ["5", "7"], ["-2"]),
            InvokeCase("multiply", ["6", "7"], ["42"]),
            InvokeCase("add", ["-5", "3"], ["-2"]),
            InvokeCase("subtract", ["-5", "-7"], ["2"]),
            InvokeCase("multiply", ["-6", "-7"], ["42"]),
            InvokeCase("add", ["0x10", "0x20"], ["48"]),
            InvokeCase("add", ["0xFFFFFFFF", "0"], ["-1"]),
            InvokeCase("add", ["2147483647", "1"], ["-2147483648"]),
            InvokeCase("subtract", ["-2147483648", "1"], ["2147483647"]),
        ])
    func calc(_ call: InvokeCase) throws {
        let result = try CLI.run(["invoke", CLI.guest("calc.wasm"), call.function] + call.arguments)
        expectSuccess(result)
        #expect(result.stdoutLines == call.output, "\(result)")
    }

    @Test(
        "table.wasm callByIndex goes through call_indirect (the book's example)",
        arguments: [
            InvokeCase("callByIndex", ["0", "56", "34"], ["90"]),
            InvokeCase("callByIndex", ["1", "56", "34"], ["22"]),
            InvokeCase("callByIndex", ["1", "34", "56"], ["-22"]),
        ])
    func table(_ call: InvokeCase) throws {
        let result = try CLI.run(["invoke", CLI.guest("table.wasm"), call.function] + call.arguments)
        expectSuccess(result)
        #expect(result.stdoutLines == call.output, "\(result)")
    }

    @Test("callByIndex with an index past the table traps, naming the table access")
    func tableOutOfBounds() throws {
        let result = try CLI.run(["invoke", CLI.guest("table.wasm"), "callByIndex", "2", "56", "34"])
        expectError(result, status: 134, mentioning: ["table"])
    }

    @Test("traps.wasm ok → 42")
    func trapsOK() throws {
        let result = try CLI.run(["invoke", CLI.guest("traps.wasm"), "ok"])
        expectSuccess(result)
        #expect(result.stdout == "42\n")
    }

    // MARK: i32 / i64 / f32 / f64

    @Test(
        "i32, i64, f32 and f64 arguments and results",
        arguments: [
            InvokeCase("i32", ["-1"], ["-1"]),
            InvokeCase("i32", ["0xff"], ["255"]),
            InvokeCase("i32", ["0XFF"], ["255"]),
            InvokeCase("i32", ["-0x10"], ["-16"]),
            InvokeCase("i32", ["4294967295"], ["-1"]),
            InvokeCase("i32", ["-2147483648"], ["-2147483648"]),
            InvokeCase("i64", ["9223372036854775807"], ["9223372036854775807"]),
            InvokeCase("i64", ["-9223372036854775808"], ["-9223372036854775808"]),
            InvokeCase("i64", ["0x7fffffffffffffff"], ["9223372036854775807"]),
            InvokeCase("i64", ["0xffffffffffffffff"], ["-1"]),
            InvokeCase("i64", ["4294967296"], ["4294967296"]),
            InvokeCase("add_i64", ["4294967296", "-1"], ["4294967295"]),
            InvokeCase("add_i64", ["9223372036854775807", "1"], ["-9223372036854775808"]),
            InvokeCase("f64", ["1.5"], ["1.5"]),
            InvokeCase("f64", ["-0.25"], ["-0.25"]),
            InvokeCase("f64", ["inf"], ["inf"]),
            InvokeCase("f64", ["-inf"], ["-inf"]),
            InvokeCase("f64", ["nan"], ["NaN"]),
            InvokeCase("mul_f64", ["2.5", "-0.5"], ["-1.25"]),
            InvokeCase("f32", ["1.5"], ["1.5"]),
            InvokeCase("f32", ["-0.125"], ["-0.125"]),
            InvokeCase("f32", ["inf"], ["inf"]),
            InvokeCase("mixed", ["1", "2", "0.5", "0.25"], ["3.75"]),
            InvokeCase("mixed", ["-1", "-2", "-0.5", "-0.25"], ["-3.75"]),
            InvokeCase("pair", [], ["7", "-8"]),
            InvokeCase("nothing", [], []),
        ])
    func valueTypes(_ call: InvokeCase) throws {
        let result = try CLI.run(["invoke", typesModule, call.function] + call.arguments)
        expectSuccess(result)
        #expect(result.stdoutLines == call.output, "\(result)")
    }

    /// wasmtime prints an f32 result in the shortest form that reads back as the same f32.
    /// Widening to Double first prints 0.1f as 0.10000000149011612.
    @Test("an f32 result prints as the f32 it is: 0.1, not 0.10000000149011612")
    func f32ShortestForm() throws {
        let result = try CLI.run(["invoke", typesModule, "f32", "0.1"])
        expectSuccess(result)
        #expect(result.stdout == "0.1\n")
    }

    @Test("a .wasm assembled by wat2wasm gives the same results as the .wat")
    func assembledTypesModule() throws {
        let wasm = scratch.file("types.wasm")
        expectSuccess(try CLI.run(["wat2wasm", typesModule, "-o", wasm]))
        let result = try CLI.run(["invoke", wasm, "mixed", "1", "2", "0.5", "0.25"])
        expectSuccess(result)
        #expect(result.stdout == "3.75\n")
    }

    // MARK: Wrong calls

    @Test("an unknown export: the error names it and lists the exported functions")
    func unknownExport() throws {
        let result = try CLI.run(["invoke", CLI.guest("calc.wasm"), "divide", "1", "2"])
        expectError(result, status: 1, mentioning: ["divide", "add", "subtract", "multiply"])
    }

    @Test("an export that is not a function: the error says what it is")
    func notAFunction() throws {
        let result = try CLI.run(["invoke", typesModule, "answer"])
        expectError(result, status: 1, mentioning: ["answer", "global", "not a function"])
    }

    @Test(
        "the wrong number of arguments: the error gives the signature and the count",
        arguments: [
            (["add", "1"], "1 given"),
            (["add"], "0 given"),
            (["add", "1", "2", "3"], "3 given"),
        ])
    func wrongArgumentCount(arguments: [String], given: String) throws {
        let result = try CLI.run(["invoke", CLI.guest("calc.wasm")] + arguments)
        expectError(result, status: 1, mentioning: ["add", "2 arguments", "(i32, i32) -> i32", given])
    }

    @Test(
        "an argument that is not of the parameter's type: the error names the argument, the type and the text",
        arguments: [
            ("i32", "abc"),
            ("i32", "1.5"),
            ("i32", "4294967296"),
            ("i32", "-2147483649"),
            ("i32", "0x"),
            ("i64", "18446744073709551616"),
            ("i64", "1e3"),
            ("f64", "one"),
            ("f32", "1.5.2"),
        ])
    func wrongArgumentType(function: String, text: String) throws {
        let result = try CLI.run(["invoke", typesModule, function, text])
        expectError(result, status: 1, mentioning: ["argument 1", function, text])
    }

    @Test("a bad second argument is reported as argument 2")
    func secondArgumentType() throws {
        let result = try CLI.run(["invoke", CLI.guest("calc.wasm"), "add", "1", "x"])
        expectError(result, status: 1, mentioning: ["argument 2", "'add'", "i32", "'x'"])
    }

    @Test("an import the host does not provide is named: env.missing_function")
    func missingImport() throws {
        let result = try CLI.run(["invoke", CLI.guest("needs_import.wasm"), "run"])
        expectError(result, status: 1, mentioning: ["env.missing_function"])
    }
}
