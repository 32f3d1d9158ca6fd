import Foundation
import Testing

/// `wasmton call` and `wasmton serve` as a user runs them: the book's invoker commands, and every
/// failure as one `error:` line with a status to script on.
@Suite("call and serve commands")
struct CallCommandTests {
    @Test("the book's invoker: check_word_exists '{\"name\":\"foo\"}' prints \"true\", testme prints \"false\"")
    func cuckoo() throws {
        let found = try CLI.run(["call", CLI.guest("cuckoo_filter.wasm"), "check_word_exists", "--json", #"{"name":"foo"}"#])
        #expect(found.status == 0, "\(found)")
        #expect(found.stdout == "\"true\"\n", "\(found)")
        let missing = try CLI.run(["call", CLI.guest("cuckoo_filter.wasm"), "check_word_exists", "--json", #"{"name":"testme"}"#])
        #expect(missing.stdout == "\"false\"\n", "\(missing)")
    }

    @Test("JSON goes in as MessagePack and comes back as the same JSON; --raw prints the bytes")
    func echo() throws {
        let value = #"{"a":[1,-2,3.5,true,null,"x"],"b":{"$bin":"AAEC"}}"#
        let result = try CLI.run(["call", CLI.guest("wapc_echo.wasm"), "echo", "--json", value])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout == value + "\n", "\(result)")
        let raw = try CLI.run(["call", CLI.guest("wapc_echo.wasm"), "echo", "--json", "65", "--raw"])
        #expect(raw.stdout == "A", "\(raw)")  // MessagePack positive fixint 65, printed as the byte 0x41
    }

    @Test("a guest error exits 1 with the guest's message; a trap exits 134; a non-waPC module exits 1")
    func failures() throws {
        let refused = try CLI.run(["call", CLI.guest("cuckoo_filter.wasm"), "check_word_exists", "--json", "[1]"])
        #expect(refused.status == 1, "\(refused)")
        #expect(
            refused.stderrLines.last?.hasPrefix("error: guest error in operation 'check_word_exists': expected a MessagePack map")
                == true, "\(refused)")
        let trap = try CLI.run(["call", CLI.guest("wapc_echo.wasm"), "trap"])
        #expect(trap.status == 134, "\(trap)")
        #expect(trap.stderrLines.last?.contains("wasm trap: unreachable") == true, "\(trap)")
        let loop = try CLI.run(["call", CLI.guest("wapc_echo.wasm"), "loop", "--timeout", "200ms"])
        #expect(loop.status == 134, "\(loop)")
        #expect(loop.stderrLines.last?.contains("deadline") == true, "\(loop)")
        let notWapc = try CLI.run(["call", CLI.guest("calc.wasm"), "add"])
        #expect(notWapc.status == 1, "\(notWapc)")
        #expect(
            notWapc.stderrLines.last
                == "error: not a waPC module: calc does not export __guest_call (exported functions: add, subtract, multiply)",
            "\(notWapc)")
        let badJSON = try CLI.run(["call", CLI.guest("wapc_echo.wasm"), "echo", "--json", "{nope"])
        #expect(badJSON.status == 2, "\(badJSON)")
        #expect(badJSON.stderrLines.last?.hasPrefix("error: --json is not valid JSON") == true, "\(badJSON)")
    }

    @Test("serve refuses bad arguments and modules that cannot start, with one line and a status")
    func serveErrors() throws {
        let none = try CLI.run(["serve"])
        #expect(none.status == 2, "\(none)")
        let missing = try CLI.run(["serve", "/no/such/file.wasm", "--port", "0"])
        #expect(missing.status == 1, "\(missing)")
        #expect(missing.stderrLines.last?.hasPrefix("error:") == true, "\(missing)")
        let notWapc = try CLI.run(["serve", CLI.guest("calc.wasm"), "--port", "0"], timeout: .seconds(20))
        #expect(notWapc.status == 1, "\(notWapc)")
        #expect(notWapc.stderrLines.last?.contains("module 'calc' cannot start") == true, "\(notWapc)")
    }
}
