import Testing
import WAT
import WasmKit

@testable import WasmtonRuntime

/// WasmKit reports traps, running out of fuel and link failures as errors whose only stable
/// detail is their text, and `WasmKitInstance.classify` turns those texts into typed
/// ``GuestError``s. These tests pin every text it matches, on WasmKit whatever engine the rest
/// of the suite runs on: if a WasmKit upgrade (Package.swift pins 0.4.2 exactly) rewords one,
/// they fail here, naming the text, instead of users seeing `.other` traps or host failures.
@Suite("WasmKit's error texts that Wasmton classifies")
struct WasmKitErrorTextTests {
    static let runtime = WasmRuntime(configuration: .init(engine: .wasmKit))
    static let changed = "WasmKit's wording changed: update WasmKitInstance.classify and TrapKind(engineText:)"

    @Test(
        "each trap WasmKit raises is classified as its TrapKind, not as .other",
        arguments: [
            ("unreachable", TrapKind.unreachable),
            ("oob_load", .memoryOutOfBounds),
            ("div_zero", .integerDivideByZero),
            ("int_overflow", .integerOverflow),
            ("stack_overflow", .stackExhausted),
            ("indirect_null", .indirectCallToNull),
            ("indirect_mismatch", .indirectCallTypeMismatch),
        ])
    func trapTexts(export: String, kind: TrapKind) throws {
        let instance = try Self.runtime.instantiate(try Self.runtime.load(path: Guests.path("traps")))
        let error = guestError { try instance.call(export) }
        #expect(error == .trap(kind, function: export), "\(Self.changed) (got \(String(describing: error)))")
    }

    @Test("the traps of inline modules: conversion, table bounds")
    func inlineTrapTexts() throws {
        let module = try Self.runtime.load(
            bytes: Array(
                #"""
                (module
                  (table 1 funcref)
                  (func (export "trunc") (result i32) (i32.trunc_f32_s (f32.const nan)))
                  (func (export "table_oob") (result funcref) (table.get 0 (i32.const 5))))
                """#.utf8), name: "texts")
        let instance = try Self.runtime.instantiate(module)
        #expect(
            guestError { try instance.call("trunc") } == .trap(.invalidConversionToInteger, function: "trunc"), "\(Self.changed)")
        #expect(
            guestError { try instance.call("table_oob") } == .trap(.tableOutOfBounds, function: "table_oob"), "\(Self.changed)")
    }

    @Test("running out of fuel is .outOfFuel, and a memory above the limit at instantiation is .memoryLimitExceeded")
    func fuelAndMemoryTexts() throws {
        let module = try Self.runtime.load(path: Guests.path("traps"))
        let limited = try Self.runtime.instantiate(module, sandbox: Sandbox(limits: WasmtonRuntime.Limits(fuel: 10_000)))
        #expect(
            guestError { try limited.call("infinite_loop") } == .outOfFuel(budget: 10_000, function: "infinite_loop"),
            "\(Self.changed)")
        let big = try Self.runtime.load(bytes: Array("(module (memory 4))".utf8), name: "big")
        let error = guestError {
            try Self.runtime.instantiate(big, sandbox: Sandbox(limits: WasmtonRuntime.Limits(maxMemoryBytes: 65_536)))
        }
        #expect(error == .memoryLimitExceeded(limitBytes: 65_536, function: GuestError.instantiation), "\(Self.changed)")
    }

    @Test("WasmKit's own link errors (unknown import, incompatible import type) keep the module and name")
    func linkTexts() throws {
        let bytes = try wat2wasm(#"(module (import "env" "tick" (func (param i32))))"#)
        let module = try parseWasm(bytes: bytes)
        let engine = Engine()

        let unknown = #expect(throws: (any Error).self) {
            _ = try module.instantiate(store: Store(engine: engine), imports: Imports())
        }
        let unknownText = WasmKitInstance.reason(of: try #require(unknown))
        #expect(unknownText.hasPrefix("unknown import "), "\(Self.changed): \(unknownText)")
        #expect(
            Self.classify(try #require(unknown)) == .missingImport(module: "env", name: "tick", kind: "an entity"),
            "\(Self.changed): \(unknownText)")

        let store = Store(engine: engine)
        var imports = Imports()
        imports.define(module: "env", name: "tick", Function(store: store, parameters: [.i64], results: []) { _, _ in [] })
        let incompatible = #expect(throws: (any Error).self) {
            _ = try module.instantiate(store: store, imports: imports)
        }
        let incompatibleText = WasmKitInstance.reason(of: try #require(incompatible))
        #expect(incompatibleText.hasPrefix("incompatible import type"), "\(Self.changed): \(incompatibleText)")
        guard case .incompatibleImport(let moduleName, let name, _) = Self.classify(try #require(incompatible)) else {
            Issue.record("\(Self.changed): \(incompatibleText)")
            return
        }
        #expect(moduleName == "env" && name == "tick", "\(Self.changed): \(incompatibleText)")
    }

    private static func classify(_ error: any Error) -> GuestError {
        WasmKitInstance.classify(
            error, function: GuestError.instantiation,
            budget: CallContext.Budget(fuel: .max, isLimited: false, deadlineIsTighter: false),
            limiter: MemoryLimiter(maxBytes: nil), limits: WasmtonRuntime.Limits())
    }
}
