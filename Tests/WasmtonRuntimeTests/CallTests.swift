import Testing
import WasmtonRuntime

@Suite("Calling exports")
struct CallTests {
    @Test(
        "calc add, subtract and multiply",
        arguments: [
            ("add", Int32(1), Int32(2), Int32(3)),
            ("subtract", 5, 7, -2),
            ("multiply", 6, 7, 42),
            ("add", Int32.max, 1, Int32.min),  // i32.add wraps
            ("multiply", -3, 5, -15),
        ])
    func calc(name: String, a: Int32, b: Int32, expected: Int32) throws {
        let instance = try Guests.instance("calc")
        #expect(try instance.call(name, [.i32(a), .i32(b)]) == [.i32(expected)])
    }

    @Test("table callByIndex goes through call_indirect")
    func table() throws {
        let instance = try Guests.instance("table")
        #expect(try instance.call("callByIndex", [.i32(0), .i32(56), .i32(34)]) == [.i32(90)])
        #expect(try instance.call("callByIndex", [.i32(1), .i32(56), .i32(34)]) == [.i32(22)])
    }

    @Test("table callByIndex past the table's end traps with tableOutOfBounds")
    func tableOutOfBounds() throws {
        let instance = try Guests.instance("table")
        let error = guestError { try instance.call("callByIndex", [.i32(2), .i32(1), .i32(1)]) }
        #expect(error == .trap(.tableOutOfBounds, function: "callByIndex"))
    }

    @Test("an export found once is called through any instance of its module, checked as by name; another module's is refused")
    func functionFoundOnce() throws {
        let instance = try Guests.instance("calc")
        let add = try instance.module.function("add")
        #expect(add.name == "add" && add.signature == FunctionSignature(parameters: [.i32, .i32], results: [.i32]))
        #expect(try instance.call(add, [.i32(40), .i32(2)]) == [.i32(42)])
        let other = try Guests.runtime.instantiate(instance.module)
        #expect(try other.call(add, [.i32(-1), .i32(1)]) == [.i32(0)])
        let few = guestError { try instance.call(add, [.i32(1)]) }
        #expect(few == .argumentCount(function: "add", expected: add.signature, given: 1))
        #expect(
            guestError { _ = try instance.module.function("nope") }
                == .missingExport(name: "nope", available: instance.module.exportedFunctions))
        let foreign = try Guests.instance("table")
        let refused = guestError { try foreign.call(add, [.i32(1), .i32(2)]) }
        expectWords(refused, ["add", "another module"])
        #expect(
            try foreign.call("callByIndex", [.i32(0), .i32(1), .i32(2)]) == [.i32(3)], "the refusal left the instance usable")
    }

    @Test("one instance serves many calls")
    func repeatedCalls() throws {
        let instance = try Guests.instance("calc")
        for value in Int32(0)..<200 {
            #expect(try instance.call("add", [.i32(value), .i32(value)]) == [.i32(2 * value)])
        }
    }

    @Test("i64, f32 and f64 arguments and results round-trip")
    func otherValueTypes() throws {
        let module = try Guests.wat(
            """
            (module
              (func (export "i64") (param i64 i64) (result i64) (i64.sub (local.get 0) (local.get 1)))
              (func (export "f32") (param f32) (result f32) (f32.mul (local.get 0) (f32.const 2)))
              (func (export "f64") (param f64 f64) (result f64) (f64.div (local.get 0) (local.get 1)))
              (func (export "pair") (result i32 i64) (i32.const -1) (i64.const 9)))
            """, name: "values")
        let instance = try Guests.runtime.instantiate(module)
        #expect(try instance.call("i64", [.i64(Int64.min + 5), .i64(6)]) == [.i64(Int64.max)])
        #expect(try instance.call("f32", [.f32(1.25)]) == [.f32(2.5)])
        #expect(try instance.call("f64", [.f64(1), .f64(4)]) == [.f64(0.25)])
        #expect(try instance.call("pair") == [.i32(-1), .i64(9)])
        let nan = try instance.call("f64", [.f64(0), .f64(0)])
        guard case .f64(let value) = nan.first else {
            Issue.record("expected one f64, got \(nan)")
            return
        }
        #expect(value.isNaN)
    }

    @Test("a function with no results returns an empty array")
    func noResults() throws {
        let instance = try Guests.instance("bench", hostFunctions: [BenchHost.echo { $0 }])
        #expect(try instance.call("noop") == [])
    }

    @Test("too few or too many arguments is .argumentCount with the signature")
    func argumentCount() throws {
        let instance = try Guests.instance("calc")
        let signature = FunctionSignature(parameters: [.i32, .i32], results: [.i32])
        let few = guestError { try instance.call("add", [.i32(1)]) }
        #expect(few == .argumentCount(function: "add", expected: signature, given: 1))
        expectWords(few, ["'add'", "2 arguments", "(i32, i32) -> i32", "1 given"])
        let many = guestError { try instance.call("add", [.i32(1), .i32(2), .i32(3)]) }
        #expect(many == .argumentCount(function: "add", expected: signature, given: 3))
        #expect(few?.poisonsInstance == false)
        // The instance is still fine.
        #expect(try instance.call("add", [.i32(1), .i32(2)]) == [.i32(3)])
    }

    @Test("an argument of the wrong type is .argumentType naming its position")
    func argumentType() throws {
        let instance = try Guests.instance("calc")
        let error = guestError { try instance.call("add", [.i32(1), .i64(2)]) }
        guard case .argumentType(let function, let index, let expected, let given)? = error else {
            Issue.record("expected .argumentType, got \(String(describing: error))")
            return
        }
        #expect(function == "add")
        #expect(index == 1)
        #expect(expected == .i32)
        #expect(given.contains("i64"))
        expectWords(error, ["argument 2", "'add'", "i32"])
        #expect(error?.poisonsInstance == false)
        #expect(try instance.call("add", [.i32(1), .i32(2)]) == [.i32(3)])
    }

    @Test("a missing export is .missingExport listing the exported functions")
    func missingExport() throws {
        let instance = try Guests.instance("calc")
        let error = guestError { try instance.call("divide", [.i32(1), .i32(2)]) }
        #expect(error == .missingExport(name: "divide", available: ["add", "subtract", "multiply"]))
        #expect(error?.description.contains("'divide'") == true)
        #expect(error?.description.contains("add, subtract, multiply") == true)
        #expect(error?.poisonsInstance == false)
        #expect(!instance.hasFunction("divide"))
        #expect(instance.hasFunction("add"))
    }

    @Test("calling the memory export is .notAFunction")
    func notAFunction() throws {
        let instance = try Guests.instance("traps")
        let error = guestError { try instance.call("memory") }
        #expect(error == .notAFunction(name: "memory", kind: "memory"))
        expectWords(error, ["'memory'", "not a function"])
        #expect(!instance.hasFunction("memory"))
    }

    @Test("a closed instance refuses calls")
    func closed() throws {
        let instance = try Guests.instance("calc")
        #expect(try instance.call("add", [.i32(1), .i32(1)]) == [.i32(2)])
        instance.close()
        instance.close()  // closing twice is harmless
        let error = guestError { try instance.call("add", [.i32(1), .i32(1)]) }
        guard case .sandboxSetup(let message)? = error else {
            Issue.record("expected .sandboxSetup, got \(String(describing: error))")
            return
        }
        #expect(message.contains("closed"))
    }

    @Test("instances of one module do not share memory")
    func separateInstances() throws {
        let module = try Guests.wat(
            """
            (module (memory (export "memory") 1)
              (func (export "bump") (result i32)
                (i32.store (i32.const 0) (i32.add (i32.load (i32.const 0)) (i32.const 1)))
                (i32.load (i32.const 0))))
            """, name: "counter")
        let first = try Guests.runtime.instantiate(module)
        let second = try Guests.runtime.instantiate(module)
        #expect(try first.call("bump") == [.i32(1)])
        #expect(try first.call("bump") == [.i32(2)])
        #expect(try second.call("bump") == [.i32(1)])
    }

    @Test("a start function runs once at instantiation")
    func startFunction() throws {
        let module = try Guests.wat(
            """
            (module (global $g (mut i32) (i32.const 0))
              (func $init (global.set $g (i32.const 41)))
              (start $init)
              (func (export "get") (result i32) (global.get $g)))
            """, name: "start")
        let instance = try Guests.runtime.instantiate(module)
        #expect(try instance.call("get") == [.i32(41)])
    }

    @Test("a start function that traps fails instantiation with the trap")
    func startFunctionTraps() throws {
        let module = try Guests.wat(
            "(module (func $boom unreachable) (start $boom) (func (export \"f\")))", name: "badstart")
        let error = guestError { try Guests.runtime.instantiate(module) }
        #expect(error == .trap(.unreachable, function: GuestError.instantiation))
        expectWords(error, ["unreachable", "instantiat"])
    }
}
