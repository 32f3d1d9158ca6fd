import Foundation
import Testing
import WasmtonRuntime
import WasmtonTestSupport
import WasmtonTools

/// Seeded mutation fuzzing of modules: every module under `guests/build`, with bytes flipped,
/// cut and inserted, goes through `inspect` (report, details, JSON, disassembly), validation and
/// loading, and instantiation with every function import stubbed, on the engine under test
/// (``TestEngine``). Each must end in a value or a typed error with a message, never a crash or a
/// hang. A failure names its seed; `WASMTON_FUZZ_TRACE=1` prints each case before it runs, to
/// find the one that crashed the process.
@Suite("module fuzz")
struct ModuleFuzzTests {
    /// Bytes of mutants per module: a module gets `mutationBytes / size` mutants, at least
    /// `fewestMutants` and at most `mostMutants`, so the small hand-written modules get many and
    /// big.wasm (1 MB) a couple: some 2,400 mutants in a few seconds of a debug build.
    static let mutationBytes = 100_000
    static let fewestMutants = 2
    static let mostMutants = 250
    /// Every how many mutants `inspect` disassembles every function too (the slowest part).
    static let disassemblyStride = 4

    /// `WASMTON_FUZZ_SCALE=N` runs N times as many mutants (new seeds after the usual ones), for
    /// a longer hunt by hand.
    static let scale = ProcessInfo.processInfo.environment["WASMTON_FUZZ_SCALE"].flatMap { Int($0) }.map { max($0, 1) } ?? 1

    /// How many mutants a module of `size` bytes gets.
    static func mutantCount(size: Int) -> Int {
        scale * max(fewestMutants, min(mostMutants, mutationBytes / max(size, 1)))
    }

    /// The modules under `guests/build`, by name.
    static func corpus() throws -> [(name: String, bytes: [UInt8])] {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("guests/build")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".wasm") }.sorted()
        return try names.map { name in
            (name, [UInt8](try Data(contentsOf: directory.appendingPathComponent(name))))
        }
    }

    /// `bytes` with one mutation (most often) to four: a byte replaced or a bit flipped (most
    /// often), a cut (the tail, or a range), random bytes inserted, or a range duplicated. Half of
    /// the positions fall in the first 256 bytes, where the header and the type and import
    /// sections are.
    static func mutate(_ bytes: [UInt8], random: inout SplitMix64) -> [UInt8] {
        var bytes = bytes
        func position(_ count: Int) -> Int {
            guard count > 0 else { return 0 }
            return random.below(2) == 0 ? random.below(min(count, 256)) : random.below(count)
        }
        let roll = random.below(10)
        let mutations = roll < 7 ? 1 : roll < 9 ? 2 : 3 + random.below(2)
        for _ in 0..<mutations {
            let at = position(bytes.count)
            switch random.below(10) {
            case 0...2 where !bytes.isEmpty:
                bytes[at] = UInt8(truncatingIfNeeded: random.next())
            case 3...5 where !bytes.isEmpty:
                bytes[at] ^= 1 << UInt8(random.below(8))
            case 6:
                bytes.removeSubrange(at...)
            case 7 where !bytes.isEmpty:
                bytes.removeSubrange(at..<min(bytes.count, at + 1 + random.below(16)))
            case 8:
                let extra: [UInt8] = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x41, 0x0b, 0x60, 0x7c, 0xfd, 0xfc]
                bytes.insert(
                    contentsOf: (0...random.below(8)).map { _ in
                        random.below(2) == 0 ? extra[random.below(extra.count)] : UInt8(truncatingIfNeeded: random.next())
                    }, at: at)
            default:
                let end = min(bytes.count, at + 1 + random.below(32))
                bytes.insert(contentsOf: bytes[at..<end], at: at)
            }
        }
        return bytes
    }

    /// A stub for every function import the host can type (zeros back), so start functions and
    /// data segments run rather than stopping at the first missing import. WASI is the runtime's.
    static func stubs(for module: WasmModule) -> [HostFunction] {
        module.imports.compactMap { entry in
            guard case .function(let signature) = entry.kind, !entry.module.hasPrefix("wasi_") else { return nil }
            var zeros: [WasmValue] = []
            for kind in signature.results {
                switch kind {
                case .i32: zeros.append(.i32(0))
                case .i64: zeros.append(.i64(0))
                case .f32: zeros.append(.f32(0))
                case .f64: zeros.append(.f64(0))
                default: return nil
                }
            }
            return HostFunction(module: entry.module, name: entry.name, signature: signature) { [zeros] _, _ in zeros }
        }
    }

    /// What became of the mutants.
    struct Tally {
        var rejectedByInspect = 0
        var rejectedByLoad = 0
        var failedToInstantiate = 0
        var instantiated = 0
    }

    @Test("mutated guests end in a value or a typed error with a message: inspect, load, instantiate", .timeLimit(.minutes(3)))
    func mutatedModules() throws {
        let corpus = try Self.corpus()
        try #require(!corpus.isEmpty)
        let trace = ProcessInfo.processInfo.environment["WASMTON_FUZZ_TRACE"] == "1"
        // A start function that loops stops on fuel; memory is capped at 16 MiB.
        let sandbox = Sandbox(limits: Limits(maxMemoryBytes: 16 << 20, fuel: 2_000_000))
        var tally = Tally()
        for (number, (source, original)) in corpus.enumerated() {
            // A runtime per source module, so the module cache does not hold every mutant.
            let runtime = WasmRuntime.forTests()
            for index in 0..<Self.mutantCount(size: original.count) {
                let seed = 0x0004_0000_0000 &+ UInt64(number) << 20 &+ UInt64(index)
                var random = SplitMix64(seed: seed)
                let mutant = Self.mutate(original, random: &random)
                let name = "\(source) seed \(seed)"
                if trace { FileHandle.standardError.write(Data("fuzz: \(name)\n".utf8)) }
                Self.run(
                    mutant, name: name, disassembling: index % Self.disassemblyStride == 0, runtime: runtime,
                    sandbox: sandbox, tally: &tally)
            }
        }
        // Not a fuzz of the parser's first bytes only: many mutants get through to instantiation.
        let total = tally.rejectedByLoad + tally.failedToInstantiate + tally.instantiated
        #expect(total > 2_000, "\(tally)")
        #expect(tally.instantiated > total / 10, "\(tally)")
        #expect(tally.rejectedByLoad > total / 10, "\(tally)")
    }

    /// Inspects, loads and instantiates one mutant, counting where it stopped.
    static func run(
        _ mutant: [UInt8], name: String, disassembling: Bool, runtime: WasmRuntime, sandbox: Sandbox, tally: inout Tally
    ) {
        do {
            let report =
                disassembling
                ? try ModuleInspector.report(bytes: mutant, path: name, disassembling: nil)
                : try ModuleInspector.report(bytes: mutant, path: name)
            _ = ModuleReportText.details(report)
            _ = ModuleReportText.json(report)
        } catch {
            tally.rejectedByInspect += 1
            #expect(!error.description.isEmpty, "\(name): inspect failed without a message")
        }
        let module: WasmModule
        do {
            module = try runtime.load(bytes: mutant, name: name)
        } catch {
            tally.rejectedByLoad += 1
            #expect(!error.description.isEmpty, "\(name): load failed without a message")
            return
        }
        do {
            let instance = try runtime.instantiate(module, sandbox: sandbox, hostFunctions: stubs(for: module))
            instance.close()
            tally.instantiated += 1
        } catch {
            tally.failedToInstantiate += 1
            #expect(!error.description.isEmpty, "\(name): instantiation failed without a message")
        }
    }
}
