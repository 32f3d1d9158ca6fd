import Testing
import WasmtonRuntime
import WasmtonTestSupport

@Suite("Traps")
struct TrapTests {
    @Test(
        "each trap export maps to its TrapKind",
        arguments: [
            ("unreachable", TrapKind.unreachable, "unreachable instruction executed"),
            ("oob_load", .memoryOutOfBounds, "out of bounds memory access"),
            ("div_zero", .integerDivideByZero, "integer divide by zero"),
            ("int_overflow", .integerOverflow, "integer overflow"),
            ("stack_overflow", .stackExhausted, "call stack exhausted"),
            ("indirect_null", .indirectCallToNull, "indirect call to null table element"),
            ("indirect_mismatch", .indirectCallTypeMismatch, "indirect call type mismatch"),
        ])
    func trapKind(export: String, kind: TrapKind, text: String) throws {
        let instance = try Guests.instance("traps")
        let error = guestError { try instance.call(export) }
        #expect(error == .trap(kind, function: export))
        expectWords(error, ["wasm trap", text, "'\(export)'"])
        #expect(error?.poisonsInstance == true)
    }

    @Test("div_s traps only when it must")
    func divS() throws {
        let instance = try Guests.instance("traps")
        #expect(try instance.call("div_s", [.i32(-7), .i32(2)]) == [.i32(-3)])
        #expect(
            guestError { try instance.call("div_s", [.i32(1), .i32(0)]) }
                == .trap(.integerDivideByZero, function: "div_s"))
        #expect(
            guestError { try instance.call("div_s", [.i32(Int32.min), .i32(-1)]) }
                == .trap(.integerOverflow, function: "div_s"))
    }

    @Test("other trap kinds from inline modules")
    func otherKinds() throws {
        let module = try Guests.wat(
            """
            (module
              (func (export "trunc") (result i32) (i32.trunc_f32_s (f32.const nan)))
              (func (export "store_oob") (i32.store (i32.const 65534) (i32.const 1)))
              (memory 1))
            """, name: "more-traps")
        let instance = try Guests.runtime.instantiate(module)
        #expect(
            guestError { try instance.call("trunc") }
                == .trap(.invalidConversionToInteger, function: "trunc"))
        #expect(
            guestError { try instance.call("store_oob") }
                == .trap(.memoryOutOfBounds, function: "store_oob"))
    }

    @Test("after a trap the process is fine and a new instance works")
    func newInstanceAfterTrap() throws {
        let module = try Guests.module("traps")
        for export in ["unreachable", "oob_load", "stack_overflow", "indirect_null"] {
            let broken = try Guests.runtime.instantiate(module)
            #expect(throws: GuestError.self) { try broken.call(export) }
            let fresh = try Guests.runtime.instantiate(module)
            #expect(try fresh.call("ok") == [.i32(42)])
        }
    }

    @Test("the trapped instance itself still answers (poisonsInstance is advice, not a lock)")
    func trappedInstanceStillCallable() throws {
        let instance = try Guests.instance("traps")
        #expect(throws: GuestError.self) { try instance.call("stack_overflow") }
        // The reused execution stack must not be left in a state that breaks the next call.
        #expect(try instance.call("ok") == [.i32(42)])
        #expect(throws: GuestError.self) { try instance.call("unreachable") }
        #expect(try instance.call("ok") == [.i32(42)])
    }

    @Test("poisonsInstance is true for guest failures and false for caller mistakes")
    func poisonsInstance() {
        let poisoning: [GuestError] = [
            .trap(.unreachable, function: nil), .outOfFuel(budget: 1, function: nil),
            .deadlineExceeded(seconds: 1, function: nil), .memoryLimitExceeded(limitBytes: 65536, function: nil),
            .exited(code: 0), .memoryAccessOutOfBounds(address: 0, length: 1, memorySize: 0),
            .hostFunctionFailed(name: "env.f", message: "x"),
        ]
        let harmless: [GuestError] = [
            .missingImport(module: "env", name: "f", kind: "function"),
            .incompatibleImport(module: "env", name: "f", reason: "r"),
            .missingExport(name: "f", available: []), .notAFunction(name: "memory", kind: "memory"),
            .argumentCount(function: "f", expected: FunctionSignature(parameters: []), given: 1),
            .argumentType(function: "f", index: 0, expected: .i32, given: "x"), .missingMemory, .sandboxSetup("x"),
        ]
        for error in poisoning { #expect(error.poisonsInstance, "\(error)") }
        for error in harmless { #expect(!error.poisonsInstance, "\(error)") }
    }

    @Test("a smaller configured stack exhausts at a shallower depth")
    func configuredStackSize() throws {
        let wat = """
            (module
              (func $depth (export "depth") (param i32) (result i32)
                (if (result i32) (i32.eqz (local.get 0))
                  (then (i32.const 0))
                  (else (i32.add (call $depth (i32.sub (local.get 0) (i32.const 1))) (i32.const 1))))))
            """
        let roomy = WasmRuntime.forTests()
        let roomyInstance = try roomy.instantiate(roomy.load(bytes: Array(wat.utf8), name: "depth"))
        #expect(try roomyInstance.call("depth", [.i32(2_000)]) == [.i32(2_000)])

        let tight = WasmRuntime.forTests(configuration: .init(stackSize: 16 * 1024))
        let tightInstance = try tight.instantiate(tight.load(bytes: Array(wat.utf8), name: "depth"))
        #expect(try tightInstance.call("depth", [.i32(10)]) == [.i32(10)])
        let error = guestError { try tightInstance.call("depth", [.i32(2_000)]) }
        #expect(error == .trap(.stackExhausted, function: "depth"))
    }
}
