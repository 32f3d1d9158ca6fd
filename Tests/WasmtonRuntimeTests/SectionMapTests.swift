import Foundation
import Testing
import WasmtonRuntime
import WasmtonTestSupport

@Suite("SectionMap")
struct SectionMapTests {
    /// Expected payload offsets, from `wasm-objdump -h guests/build/calc.wasm` (wabt 1.0.32):
    ///
    ///      Type start=0x0000000a end=0x00000011 (size=0x00000007) count: 1
    ///  Function start=0x00000013 end=0x00000017 (size=0x00000004) count: 3
    ///    Export start=0x00000019 end=0x00000036 (size=0x0000001d) count: 3
    ///      Code start=0x00000038 end=0x00000051 (size=0x00000019) count: 3
    ///    Custom start=0x00000053 end=0x00000096 (size=0x00000043) "name"
    ///
    /// (The differential test in WasmtonToolsTests runs wasm-objdump live on every module.)
    @Test("calc.wasm sections match wasm-objdump -h")
    func calc() throws {
        let map = try SectionMap(bytes: Guests.bytes("calc"))
        #expect(map.sections.map(\.name) == ["Type", "Function", "Export", "Code", "Custom"])
        #expect(map.sections.map(\.id) == [1, 3, 7, 10, 0])
        #expect(map.sections.map(\.index) == [0, 1, 2, 3, 4])
        #expect(map.sections.map(\.start) == [0x0a, 0x13, 0x19, 0x38, 0x53])
        #expect(map.sections.map(\.end) == [0x11, 0x17, 0x36, 0x51, 0x96])
        #expect(map.sections.map(\.size) == [0x07, 0x04, 0x1d, 0x19, 0x43])
        #expect(map.sections.map(\.count) == [1, 3, 3, 3, nil])
        #expect(map.sections.map(\.customName) == [nil, nil, nil, nil, "name"])
        // Each header is the id byte plus a one-byte size here, so it starts two bytes before.
        #expect(map.sections.map(\.headerStart) == [0x08, 0x11, 0x17, 0x36, 0x51])
    }

    /// From `wasm-objdump -h guests/build/sections.wasm` (every standard section, a start
    /// section, DataCount, and two custom sections):
    ///
    ///      Type start=0x0000000a end=0x00000028 count: 6
    ///    Import start=0x0000002a end=0x00000041 count: 2
    ///  Function start=0x00000043 end=0x0000004d count: 9
    ///     Table start=0x0000004f end=0x00000053 count: 1
    ///    Memory start=0x00000055 end=0x00000058 count: 1
    ///    Global start=0x0000005a end=0x00000065 count: 2
    ///    Export start=0x00000067 end=0x000000e4 count: 12
    ///     Start start=0x000000e6 end=0x000000e7 start: 1
    ///      Elem start=0x000000e9 end=0x000000f1 count: 1
    /// DataCount start=0x000000f3 end=0x000000f4 count: 2
    ///      Code start=0x000000f6 end=0x0000014d count: 9
    ///      Data start=0x0000014f end=0x00000174 count: 2
    ///    Custom start=0x00000177 end=0x0000022b "name"
    ///    Custom start=0x0000022d end=0x00000270 "wasmton.note"
    @Test("sections.wasm: every section kind, start and custom sections")
    func everySection() throws {
        let map = try SectionMap(bytes: Guests.bytes("sections"))
        #expect(
            map.sections.map(\.name) == [
                "Type", "Import", "Function", "Table", "Memory", "Global", "Export", "Start", "Elem", "DataCount",
                "Code", "Data", "Custom", "Custom",
            ])
        #expect(map.sections.map(\.id) == [1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 10, 11, 0, 0])
        #expect(
            map.sections.map(\.start) == [
                0x0a, 0x2a, 0x43, 0x4f, 0x55, 0x5a, 0x67, 0xe6, 0xe9, 0xf3, 0xf6, 0x14f, 0x177, 0x22d,
            ])
        #expect(
            map.sections.map(\.end) == [
                0x28, 0x41, 0x4d, 0x53, 0x58, 0x65, 0xe4, 0xe7, 0xf1, 0xf4, 0x14d, 0x174, 0x22b, 0x270,
            ])
        #expect(map.sections.map(\.count) == [6, 2, 9, 1, 1, 2, 12, nil, 1, 2, 9, 2, nil, nil])
        #expect(map.sections.compactMap(\.customName) == ["name", "wasmton.note"])
    }

    @Test("section(containing:) finds the section of a header or payload byte")
    func containing() throws {
        let map = try SectionMap(bytes: Guests.bytes("calc"))
        #expect(map.section(containing: 0x40)?.name == "Code")
        #expect(map.section(containing: 0x36)?.name == "Code")  // the Code id byte
        #expect(map.section(containing: 0x08)?.name == "Type")
        #expect(map.section(containing: 0x50)?.name == "Code")
        #expect(map.section(containing: 0x51)?.customName == "name")
        #expect(map.section(containing: 0x00) == nil)  // the preamble
        #expect(map.section(containing: 0x96) == nil)  // past the end
    }

    @Test("a module with only the preamble has no sections")
    func emptyModule() throws {
        let map = try SectionMap(bytes: [0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00])
        #expect(map.sections.isEmpty)
    }

    @Test("bytes cut inside a section payload are .truncated naming it")
    func truncatedPayload() throws {
        let bytes = Array(try Guests.bytes("calc").prefix(0x40))
        #expect(throws: SectionMap.Problem.truncated(section: "Code", offset: 0x40)) {
            try SectionMap(bytes: bytes)
        }
    }

    @Test("bytes cut inside a section's size are .truncated naming it")
    func truncatedSize() {
        let bytes: [UInt8] = [0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00, 0x01, 0x80]
        #expect(throws: SectionMap.Problem.truncated(section: "Type", offset: 10)) { try SectionMap(bytes: bytes) }
    }

    @Test("bytes cut inside the version are .truncated")
    func truncatedVersion() {
        #expect(throws: SectionMap.Problem.truncated(section: nil, offset: 6)) {
            try SectionMap(bytes: [0x00, 0x61, 0x73, 0x6D, 0x01, 0x00])
        }
    }

    /// The preamble, then `id`, then `rest`.
    static func module(_ id: UInt8, _ rest: [UInt8]) -> [UInt8] {
        [0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00, id] + rest
    }

    // Hostile sizes: a corrupt or malicious file must be an error, never a crash of the host.
    // Each runs first in a child process (an exit test), so a crash fails this test only.

    /// LEB128 numbers in a section header that a plain `Int(...)` or `+` would trap on.
    enum Hostile: String, CaseIterable, Codable, Sendable {
        case sectionSize2To63, sectionSizeIntMax, customNameLength2To63, customNameLengthIntMax, count2To63

        /// ULEB128 of 2^63 (does not fit in `Int`) and of 2^63 - 1 (`Int.max`, overflows when added to).
        static let twoToThe63: [UInt8] = [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]
        static let intMax: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]

        var bytes: [UInt8] {
            switch self {
            case .sectionSize2To63: return SectionMapTests.module(0x01, Self.twoToThe63)
            case .sectionSizeIntMax: return SectionMapTests.module(0x01, Self.intMax)
            case .customNameLength2To63: return SectionMapTests.module(0x00, [10] + Self.twoToThe63)
            case .customNameLengthIntMax: return SectionMapTests.module(0x00, [9] + Self.intMax)
            case .count2To63: return SectionMapTests.module(0x01, [10] + Self.twoToThe63)
            }
        }
    }

    @Test("hostile LEB128 sizes are errors, not crashes", arguments: Hostile.allCases)
    func hostileSizes(_ input: Hostile) async throws {
        let survived = await #expect(processExitsWith: .success, "reading \(input.rawValue) crashed the process") {
            [input] in
            _ = try? SectionMap(bytes: input.bytes)
            _ = try? WasmRuntime.forTests().load(bytes: input.bytes, name: "hostile")
        }
        guard survived?.exitStatus == .exitCode(EXIT_SUCCESS) else { return }
        // It did not crash: now check what it reports, in this process.
        let bytes = input.bytes
        switch input {
        case .sectionSize2To63:
            #expect(throws: SectionMap.Problem.truncated(section: "Type", offset: 19)) { try SectionMap(bytes: bytes) }
        case .sectionSizeIntMax:
            #expect(throws: SectionMap.Problem.truncated(section: "Type", offset: 18)) { try SectionMap(bytes: bytes) }
        case .customNameLength2To63, .customNameLengthIntMax:
            // Like a name that runs past its section (see customNamePastSection): kept, unnamed.
            let map = try SectionMap(bytes: bytes)
            #expect(map.sections.count == 1)
            #expect(map.sections.first?.customName == nil)
        case .count2To63:
            // A count no section can hold: either a problem, or no count; never a wrapped number.
            if let map = try? SectionMap(bytes: bytes) {
                #expect(map.sections.first?.count == nil)
            }
        }
        #expect(throws: ModuleError.self) { try WasmRuntime.forTests().load(bytes: bytes, name: "hostile") }
    }

    @Test("a section one byte longer than the file is .truncated")
    func oneBytePastEnd() {
        #expect(throws: SectionMap.Problem.truncated(section: "Type", offset: 12)) {
            try SectionMap(bytes: Self.module(0x01, [0x03, 0x01, 0x60]))
        }
    }

    @Test("a custom section whose name runs past the section is kept without a name")
    func customNamePastSection() throws {
        // Section size 2: name length 5, then one byte.
        let map = try SectionMap(bytes: Self.module(0x00, [0x02, 0x05, 0x41]))
        #expect(map.sections.count == 1)
        #expect(map.sections.first?.customName == nil)
    }

    @Test(
        "bad magic is .badMagic", arguments: [[UInt8](), [0x7F, 0x45, 0x4C, 0x46, 0x02, 0x01, 0x01, 0x00], [0x00, 0x61, 0x73]])
    func badMagic(bytes: [UInt8]) {
        #expect(throws: SectionMap.Problem.badMagic) { try SectionMap(bytes: bytes) }
    }

    @Test("an unsupported version is .badVersion with the bytes")
    func badVersion() {
        #expect(throws: SectionMap.Problem.badVersion([0x0d, 0x00, 0x01, 0x00])) {
            try SectionMap(bytes: [0x00, 0x61, 0x73, 0x6D, 0x0d, 0x00, 0x01, 0x00])
        }
    }

    @Test("an unknown section id is .unknownSection at its offset")
    func unknownSection() {
        #expect(throws: SectionMap.Problem.unknownSection(id: 0x20, offset: 8)) {
            try SectionMap(bytes: [0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00, 0x20, 0x00])
        }
    }

    @Test("an overlong LEB128 size is .badLEB at its first byte")
    func badLEB() {
        let bytes: [UInt8] = [0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00, 0x01] + Array(repeating: 0xFF, count: 12)
        #expect(throws: SectionMap.Problem.badLEB(offset: 9)) { try SectionMap(bytes: bytes) }
    }

    @Test("section names follow wasm-objdump")
    func names() {
        let expected = [
            "Custom", "Type", "Import", "Function", "Table", "Memory", "Global", "Export", "Start", "Elem", "Code",
            "Data", "DataCount", "Tag",
        ]
        #expect((0...13).map { SectionMap.name(ofSection: UInt8($0)) } == expected)
        #expect(SectionMap.name(ofSection: 14) == nil)
        #expect(SectionMap.name(ofSection: 255) == nil)
    }

    @Test("the loader reports a truncated module with the section name from the map")
    func loaderUsesMap() throws {
        // Cut big.wasm in the middle of its (large) Code section.
        let bytes = try Guests.bytes("big")
        let code = try #require(try SectionMap(bytes: bytes).sections.first { $0.name == "Code" })
        let cut = Array(bytes.prefix((code.start + code.end) / 2))
        let error = moduleError { try WasmRuntime.forTests().load(bytes: cut, name: "big-cut") }
        #expect(error == .truncated(path: "big-cut", section: "Code", offset: cut.count))
    }
}
