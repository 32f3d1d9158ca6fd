import Foundation
import Testing
import WasmtonMessagePack

/// Interop with an independent implementation, PyPI's msgpack (installed by scripts/msgpack-env.sh,
/// which exports WASMTON_MSGPACK_PYTHONPATH; scripts/test.sh always sets it).
@Suite(
    "MessagePack interop with Python's msgpack",
    .enabled(if: PythonMsgpack.pythonPath != nil, "set WASMTON_MSGPACK_PYTHONPATH (. scripts/msgpack-env.sh)")
)
struct InteropTests {
    /// The expected value of every item of the helper's corpus, by name.
    static let expected: [String: MessagePackValue] = {
        var values: [String: MessagePackValue] = ["nil": nil, "true": true, "false": false]
        for number: UInt64 in [0, 1, 127, 128, 255, 256, 65535, 65536, 1 << 32 - 1, 1 << 32, 1 << 63 - 1, 1 << 63, .max] {
            values["uint \(number)"] = .uint(number)
        }
        for number: Int64 in [-1, -32, -33, -128, -129, -32768, -32769, -(1 << 31), -(1 << 31) - 1, .min] {
            values["int \(number)"] = .int(number)
        }
        values["double 1.5"] = .double(1.5)
        values["double -0.0"] = .double(-0.0)
        values["double 0.1"] = .double(0.1)
        values["double max"] = .double(.greatestFiniteMagnitude)
        values["double min subnormal"] = .double(.leastNonzeroMagnitude)
        values["double inf"] = .double(.infinity)
        values["double -inf"] = .double(-.infinity)
        values["double nan"] = .double(.nan)
        for count in [0, 1, 31, 32, 255, 256, 65535, 65536] {
            values["str \(count)"] = .string(String(repeating: "x", count: count))
        }
        values["str unicode"] = "é日本語😀\u{0}\"\\"
        values["str 2-byte 16"] = .string(String(repeating: "é", count: 16))
        for count in [0, 1, 255, 256, 65535, 65536] {
            values["bin \(count)"] = .binary((0..<count).map { UInt8($0 % 251) })
        }
        for count in [0, 1, 15, 16, 65535, 65536] {
            values["array \(count)"] = .array((0..<count).map { .uint(UInt64($0)) })
        }
        for count in [0, 1, 15, 16, 65536] {
            values["map \(count)"] = .map((0..<count).map { .init(key: .string("k\($0)"), value: .uint(UInt64($0))) })
        }
        values["map any keys"] = [1: "one", -2: "minus two", .binary([0]): "bytes", nil: "nil", [1, "a"]: "array", "s": 0]
        for count in [0, 1, 2, 3, 4, 5, 8, 16, 17, 255, 256, 65536] {
            values["ext \(count)"] = .extension(type: 5, data: (0..<count).map { UInt8($0 % 7) })
        }
        values["ext type 0"] = .extension(type: 0, data: Array("ab".utf8))
        values["ext type 127"] = .extension(type: 127, data: [])
        // Timestamps (type -1): 32-bit seconds; 64-bit nanoseconds << 34 | seconds; 96-bit nanoseconds, seconds.
        values["timestamp 0"] = .extension(type: -1, data: [0, 0, 0, 0])
        values["timestamp 64-bit"] = .extension(type: -1, data: Hex.decode("000007d0 00000001"))
        values["timestamp negative"] = .extension(type: -1, data: Hex.decode("00000000 ffffffffffffffff"))
        values["timestamp 2^34"] = .extension(type: -1, data: Hex.decode("00000001 0000000400000000"))
        values["nested"] = [
            "a": [1, ["b": nil], [.binary(Array("x".utf8)), 1.5]], "c": ["d": ["e": []]], "é": [true, -1],
        ]
        values["float 1.5"] = .float(1.5)
        values["float 0.1"] = .float(0.1)
        values["float -0.0"] = .float(-0.0)
        values["float inf"] = .float(.infinity)
        values["float nan"] = .float(.nan)
        values["float in array"] = [.float(0.5), .float(-2)]
        return values
    }()

    @Test("decodes what Python packs, to the expected values, and encodes them to the same bytes")
    func pythonPacks() throws {
        let lines = try PythonMsgpack.run(["corpus"], input: nil)
        #expect(lines.count == Self.expected.count)
        for line in lines {
            let fields = line.split(separator: UInt8(ascii: "\t"))
            try #require(fields.count == 2, "bad helper line \(String(decoding: line.prefix(100), as: UTF8.self))")
            let name = String(decoding: fields[0], as: UTF8.self)
            let bytes = try #require(Data(base64Encoded: Data(fields[1])).map { [UInt8]($0) }, "\(name)")
            guard let value = Self.expected[name] else {
                Issue.record("no expected value for corpus item \(name)")
                continue
            }
            #expect(try MessagePack.decode(bytes) == value, "\(name)")
            #expect(MessagePack.encode(value) == bytes, "\(name)")
        }
    }

    @Test("Python unpacks and repacks what Swift encodes to identical bytes")
    func pythonRepacks() throws {
        var lines: [String] = []
        var options = ValueGenerator.Options()
        options.anyKeys = false  // Python dict keys: no bools or floats (equal to ints there), no duplicates
        options.nanPayloads = false  // Python round-trips float 32 through a double, which quiets NaNs
        options.extensionTypes = 0...127  // msgpack.ExtType holds 0...127 (-1 is its Timestamp)
        for (kind, float32, float64) in [("f64", false, true), ("f32", true, false)] {
            options.float32 = float32
            options.float64 = float64
            for index in 0..<400 {
                let seed = 0x0006_0000_0000 &+ UInt64(index) &+ (float32 ? 1 << 20 : 0)
                var generator = ValueGenerator(seed: seed, options: options)
                lines.append("\(kind) \(Data(MessagePack.encode(generator.value())).base64EncodedString())")
            }
        }
        let repacked = try PythonMsgpack.run(["repack"], input: lines.joined(separator: "\n") + "\n")
        try #require(repacked.count == lines.count)
        for (sent, back) in zip(lines, repacked) {
            let back = String(decoding: back, as: UTF8.self)
            if sent.dropFirst(4) != back {
                Issue.record("Python repacked \(sent.prefix(200)) as \(back.prefix(200))")
                return
            }
        }
    }
}

/// Runs Tests/WasmtonMessagePackTests/msgpack_interop.py with PyPI's msgpack on PYTHONPATH.
enum PythonMsgpack {
    static let pythonPath = ProcessInfo.processInfo.environment["WASMTON_MSGPACK_PYTHONPATH"].flatMap { $0.isEmpty ? nil : $0 }
    static let helper = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("msgpack_interop.py")

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Runs the helper with `arguments` (an input file is written from `input`, then an output
    /// file is read back) and returns the output's lines, as bytes (splitting megabytes of text
    /// by characters is slow in a debug build).
    static func run(_ arguments: [String], input: String?) throws -> [ArraySlice<UInt8>] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wasmton-msgpack-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let inputFile = directory.appendingPathComponent("in.txt")
        let outputFile = directory.appendingPathComponent("out.txt")
        var fileArguments = [outputFile.path]
        if let input {
            try input.write(to: inputFile, atomically: false, encoding: .utf8)
            fileArguments.insert(inputFile.path, at: 0)
        }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", helper.path] + arguments + fileArguments
        var environment = ProcessInfo.processInfo.environment
        environment["PYTHONPATH"] = pythonPath
        environment["PYTHONDONTWRITEBYTECODE"] = "1"
        process.environment = environment
        let errors = directory.appendingPathComponent("stderr.txt")
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: errors)
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let message = (try? String(contentsOf: errors, encoding: .utf8)) ?? ""
            throw Failure(description: "msgpack_interop.py \(arguments) exited \(process.terminationStatus): \(message)")
        }
        return lines(of: [UInt8](try Data(contentsOf: outputFile)))
    }

    /// Splits at newlines with memchr: the generic `split` takes a second per megabyte in a debug build.
    private static func lines(of text: [UInt8]) -> [ArraySlice<UInt8>] {
        var lines: [ArraySlice<UInt8>] = []
        text.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            var start = 0
            while start < buffer.count {
                var end = buffer.count
                if let newline = memchr(base + start, 0x0a, buffer.count - start) {
                    end = base.distance(to: newline.assumingMemoryBound(to: UInt8.self))
                }
                if end > start { lines.append(text[start..<end]) }
                start = end + 1
            }
        }
        return lines
    }
}
