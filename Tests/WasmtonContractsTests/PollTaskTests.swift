import Foundation
import Testing
import WasmtonContracts
import WasmtonRuntime
import WasmtonTestSupport

/// The guests these tests run, built by `make -C guests` and committed.
enum Guests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func path(_ name: String) -> String {
        root.appendingPathComponent("guests/build/\(name).wasm").path
    }

    static func processor(
        _ name: String, runtime: WasmRuntime = WasmRuntime.forTests(), sandbox: Sandbox = Sandbox()
    ) throws -> PollTaskProcessor {
        try PollTaskProcessor(runtime: runtime, module: try runtime.load(path: path(name)), sandbox: sandbox)
    }
}

@Suite("PollTask contract")
struct PollTaskTests {
    @Test("the article's processor appends each task's message to ./messages in its directory")
    func articleProcessor() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wasmton-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let processor = try Guests.processor(
            "message_processor", sandbox: Sandbox(directories: [DirectoryGrant(hostPath: directory.path, guestPath: "/")]))
        defer { processor.close() }
        for (offset, message) in ["hello", "wasm \\\"quoted\\\"", "decaton"].enumerated() {
            let result = try processor.process(
                StreamTask(value: Array(#"{"message": "\#(message)"}"#.utf8), offset: Int64(offset)))
            #expect(result == TaskResult(status: .ok, outputs: []))
        }
        // A task that is not a message is skipped, not a failure.
        _ = try processor.process(StreamTask(value: Array(#"{"other": 1}"#.utf8)))
        let written = try String(contentsOf: directory.appendingPathComponent("messages"), encoding: .utf8)
        #expect(written == "hello\nwasm \"quoted\"\ndecaton\n")
    }

    @Test("without a granted directory the article's processor fails the task, and says why on stderr")
    func articleProcessorWithoutDirectory() throws {
        let processor = try Guests.processor("message_processor", sandbox: Sandbox(stdio: .capture))
        defer { processor.close() }
        #expect(throws: GuestError.self) {
            try processor.process(StreamTask(value: Array(#"{"message": "lost"}"#.utf8)))
        }
        let stderr = String(decoding: processor.instance.takeOutput().stderr, as: UTF8.self)
        #expect(stderr.contains("cannot open ./messages"))
    }

    @Test("extensions: key, headers, topic, partition and offset reach the guest, and emitted records come back")
    func extensions() throws {
        let processor = try Guests.processor("task_probe")
        defer { processor.close() }
        let task = StreamTask(
            key: Array("user-7".utf8), value: Array("payload".utf8),
            headers: [.init(name: "x-other", value: [1]), .init(name: "x-note", value: Array("n1".utf8))],
            topic: "orders", partition: 3, offset: 42)
        let result = try processor.process(task)
        #expect(result.status == .ok)
        #expect(
            result.outputs == [OutputRecord(key: Array("user-7".utf8), value: Array("orders/3/42:user-7:payload:n1".utf8))])
        // A keyless record without headers: the emitted record has no key either.
        let keyless = try processor.process(StreamTask(value: Array("v".utf8), topic: "t", partition: 0, offset: 1))
        #expect(keyless.outputs == [OutputRecord(key: nil, value: Array("t/0/1::v".utf8))])
    }

    @Test("the guest's status: retry and discard", arguments: [("retry", TaskStatus.retry), ("discard", .discard)])
    func status(value: String, expected: TaskStatus) throws {
        let processor = try Guests.processor("task_probe")
        defer { processor.close() }
        #expect(try processor.process(StreamTask(value: Array(value.utf8))).status == expected)
        // The status is per task: the next one is ok again.
        #expect(try processor.process(StreamTask(value: Array("fine".utf8))).status == .ok)
    }

    @Test("a trapping processor fails the task with a trap, and a new processor works")
    func trap() throws {
        let runtime = WasmRuntime.forTests()
        let processor = try Guests.processor("task_probe", runtime: runtime)
        #expect(throws: GuestError.trap(.unreachable, function: "run")) {
            try processor.process(StreamTask(value: Array("trap".utf8)))
        }
        processor.close()
        let fresh = try Guests.processor("task_probe", runtime: runtime)
        #expect(try fresh.process(StreamTask(value: Array("ok".utf8))).status == .ok)
    }

    @Test("a processor that loops forever is stopped by its deadline")
    func infiniteLoop() throws {
        let processor = try Guests.processor("task_probe", sandbox: Sandbox(limits: Limits(timeout: .milliseconds(200))))
        defer { processor.close() }
        let started = ContinuousClock.now
        #expect(throws: GuestError.deadlineExceeded(seconds: 0.2, function: "run")) {
            try processor.process(StreamTask(value: Array("loop".utf8)))
        }
        #expect(ContinuousClock.now - started < .seconds(10))
    }

    @Test("a processor that allocates without end hits its memory limit")
    func memoryBomb() throws {
        let processor = try Guests.processor(
            "task_probe", sandbox: Sandbox(limits: Limits(maxMemoryBytes: 4 << 20, timeout: .seconds(5))))
        defer { processor.close() }
        #expect(throws: GuestError.memoryLimitExceeded(limitBytes: 4 << 20, function: "run")) {
            try processor.process(StreamTask(value: Array("bomb".utf8)))
        }
    }

    @Test("poll_task returns -1 when the buffer is too small, and the guest can ask again")
    func bufferTooSmall() throws {
        let runtime = WasmRuntime.forTests()
        // Polls with a 4-byte buffer first, then with the length the host reports; returns both results.
        let wat = """
            (module
              (import "decaton" "poll_task" (func $poll (param i64 i32) (result i32)))
              (import "wasmton" "task_value_len" (func $len (result i32)))
              (memory (export "memory") 1)
              (global $first (export "first") (mut i32) (i32.const 0))
              (global $second (export "second") (mut i32) (i32.const 0))
              (func (export "run")
                (global.set $first (call $poll (i64.const 100) (i32.const 4)))
                (global.set $second (call $poll (i64.const 100) (call $len))))
              (func (export "results") (result i32 i32) (global.get $first) (global.get $second)))
            """
        let module = try runtime.load(bytes: Array(wat.utf8), name: "small-buffer")
        let processor = try PollTaskProcessor(runtime: runtime, module: module, sandbox: Sandbox())
        defer { processor.close() }
        _ = try processor.process(StreamTask(value: Array("0123456789".utf8)))
        #expect(try processor.instance.call("results") == [.i32(-1), .i32(10)])
        let bytes = try processor.instance.withMemory { memory throws(GuestError) in try memory.read(at: 100, count: 10) }
        #expect(bytes == Array("0123456789".utf8))
    }

    @Test("a guest pointer outside memory fails the task, not the host")
    func outOfBoundsPointer() throws {
        let runtime = WasmRuntime.forTests()
        let wat = """
            (module
              (import "decaton" "poll_task" (func $poll (param i64 i32) (result i32)))
              (memory (export "memory") 1)
              (func (export "run") (drop (call $poll (i64.const 65530) (i32.const 100)))))
            """
        let processor = try PollTaskProcessor(
            runtime: runtime, module: try runtime.load(bytes: Array(wat.utf8), name: "oob"), sandbox: Sandbox())
        defer { processor.close() }
        #expect(throws: GuestError.memoryAccessOutOfBounds(address: 65530, length: 10, memorySize: 65536)) {
            try processor.process(StreamTask(value: Array("0123456789".utf8)))
        }
    }

    @Test("modules that do not follow the contract are refused with the reason")
    func contractChecks() throws {
        let runtime = WasmRuntime.forTests()
        let noRun = try runtime.load(bytes: Array(#"(module (memory (export "memory") 1))"#.utf8), name: "no-run")
        #expect(throws: GuestError.missingExport(name: "run", available: [])) {
            _ = try PollTaskProcessor(runtime: runtime, module: noRun, sandbox: Sandbox())
        }
        let badRun = try runtime.load(
            bytes: Array(#"(module (memory (export "memory") 1) (func (export "run") (param i32)))"#.utf8), name: "bad-run")
        #expect(throws: GuestError.incompatibleExport(name: "run", expected: "() -> nil", actual: "(i32) -> nil")) {
            _ = try PollTaskProcessor(runtime: runtime, module: badRun, sandbox: Sandbox())
        }
        let noMemory = try runtime.load(bytes: Array(#"(module (func (export "run")))"#.utf8), name: "no-memory")
        #expect(throws: GuestError.missingMemory) {
            _ = try PollTaskProcessor(runtime: runtime, module: noMemory, sandbox: Sandbox())
        }
    }
}
