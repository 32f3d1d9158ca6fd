import Foundation
import Synchronization
import Testing
import WasmtonTestSupport

/// `serve` swaps a module's code while requests keep coming: a changed file (or SIGHUP) is
/// loaded and warmed first, in-flight calls finish on the old instances, and a file that does not
/// load leaves the old module serving.
@Suite("hot module reload")
struct HotReloadTests {
    /// What the client threads share.
    final class Load: Sendable {
        let failures = Mutex<[String]>([])
        let calls = Atomic<Int>(0)
        let stop = Atomic<Bool>(false)
    }

    static let octets = [
        RawHeader("Content-Type", "application/octet-stream"), RawHeader("Accept", "application/octet-stream"),
    ]

    /// Puts `bytes` at `path` the way deploy tools do: write beside it, then rename over it.
    static func replace(_ path: String, with bytes: Data) throws {
        let temporary = path + ".tmp"
        try bytes.write(to: URL(fileURLWithPath: temporary))
        _ = rename(temporary, path)
    }

    @Test("under load: no request fails while the module is swapped, the new code serves, a broken file is refused")
    func swapUnderLoad() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("m.wasm")
        try FileManager.default.copyItem(atPath: CLI.guest("wapc_sdk_rust1.wasm"), toPath: path)
        let server = try RunningWasmton(["serve", "m=\(path)", "--port", "0", "--pool-size", "2", "--reload-interval", "0.2"])
        let port = try server.waitForListening()
        let before = try RawHTTP.requestNow(port: port, method: "POST", path: "/v1/m/size", headers: Self.octets, body: [1, 2])
        #expect(before.status == 404, "the first module has no size operation")

        // Four clients call echo without pause while the file changes under them.
        let load = Load()
        let clients = (0..<4).map { client in
            Thread {
                var sent = 0
                while !load.stop.load(ordering: .relaxed) && sent < 2_000 {
                    sent += 1
                    let payload = Array("client \(client) call \(sent)".utf8)
                    do {
                        let answer = try RawHTTP.requestNow(
                            port: port, method: "POST", path: "/v1/m/echo", headers: Self.octets, body: payload)
                        if answer.status != 200 || answer.body != payload {
                            load.failures.withLock { $0.append("\(answer.status) \(answer.text.prefix(200))") }
                        }
                    } catch {
                        load.failures.withLock { $0.append("\(error)") }
                    }
                    load.calls.add(1, ordering: .relaxed)
                }
            }
        }
        for client in clients { client.start() }
        Thread.sleep(forTimeInterval: 0.5)
        try Self.replace(path, with: try Data(contentsOf: URL(fileURLWithPath: CLI.guest("wapc_echo.wasm"))))
        var swapped = false
        for _ in 0..<300 where !swapped {
            Thread.sleep(forTimeInterval: 0.1)
            swapped =
                (try? RawHTTP.requestNow(port: port, method: "POST", path: "/v1/m/size", headers: Self.octets, body: [1, 2]))?
                .status == 200
        }
        #expect(swapped, "the new module (with a size operation) serves within 30 s")
        try Self.replace(path, with: Data("not wasm".utf8))
        #expect(server.waitForLog("reload failed; still serving the previous version"), "\(server.stderr.suffix(2_000))")
        server.send(SIGHUP)
        #expect(server.waitForLog("SIGHUP: reloading every module"))
        load.stop.store(true, ordering: .relaxed)
        while clients.contains(where: { !$0.isFinished }) { Thread.sleep(forTimeInterval: 0.05) }

        #expect(load.failures.withLock { $0 }.isEmpty, "\(load.failures.withLock { $0.prefix(5) })")
        #expect(load.calls.load(ordering: .relaxed) > 20, "the clients kept calling through the swaps")
        let after = try RawHTTP.requestNow(port: port, method: "POST", path: "/v1/m/size", headers: Self.octets, body: [1, 2])
        #expect(after.status == 200, "the broken file left the last good module serving")
        #expect(server.stop() == 0)
        let log = server.stderr
        #expect(log.contains("module reloaded"), "\(log.suffix(2_000))")
        #expect(log.contains("reload failed; still serving the previous version"), "\(log.suffix(2_000))")
        #expect(log.contains("SIGHUP: reloading every module"))
        #expect(log.contains("not a WebAssembly module"), "the log says why the file was refused")
    }

    @Test("serve --config: pointing a module at another file in the config reloads it; a broken config changes nothing")
    func configChange() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try FileManager.default.copyItem(atPath: CLI.guest("wapc_sdk_rust1.wasm"), toPath: dir.file("v1.wasm"))
        try FileManager.default.copyItem(atPath: CLI.guest("wapc_echo.wasm"), toPath: dir.file("v2.wasm"))
        func config(_ module: String) -> String {
            "modules:\n  m:\n    path: \(module)\n    contract: wapc\nhttp:\n  port: 0\n  pool-size: 1\n  reload-interval: 0.2\n"
        }
        let file = try dir.write("wasmton.yaml", config("v1.wasm"))
        let server = try RunningWasmton(["serve", "--config", file])
        let port = try server.waitForListening()
        func sizeStatus() throws -> Int {
            try RawHTTP.requestNow(port: port, method: "POST", path: "/v1/m/size", headers: Self.octets, body: [1]).status
        }
        #expect(try sizeStatus() == 404)
        try Self.replace(file, with: Data(config("v2.wasm").utf8))
        var status = 0
        for _ in 0..<300 where status != 200 {
            Thread.sleep(forTimeInterval: 0.1)
            status = try sizeStatus()
        }
        #expect(status == 200, "v2 (with size) serves after the config named it")
        try Self.replace(file, with: Data("modules: [unclosed\n".utf8))
        #expect(server.waitForLog("config reload failed; nothing changed"), "\(server.stderr.suffix(1_500))")
        #expect(try sizeStatus() == 200, "a broken config leaves everything as it was")
        #expect(server.stop() == 0)
        #expect(server.stderr.contains("config reload failed; nothing changed"), "\(server.stderr.suffix(1_500))")
    }

    @Test(
        "process --config: new concurrency and rate limit apply while records flow, a processor swap and a broken one; every record once, per-key order"
    )
    func streamReload() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try FileManager.default.copyItem(atPath: CLI.guest("task_probe.wasm"), toPath: dir.file("probe.wasm"))
        func append(_ range: Range<Int>) throws {
            let lines = range.map { "{\"key\": \"k\($0 % 10)\", \"value\": \"v\($0)\"}\n" }.joined()
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: dir.file("records.jsonl")))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(lines.utf8))
            try handle.close()
        }
        _ = try dir.write("records.jsonl", "")
        try append(0..<100)
        func config(_ extra: String) -> String {
            """
            modules:
              probe:
                path: probe.wasm
                contract: poll-task
            streams:
              s:
                module: probe
                input:
                  file: records.jsonl
                  format: jsonl
                  follow: true
                  output: out.jsonl
                max-retries: 0
                reload-interval: 0.2
            \(extra)
            """
        }
        let file = try dir.write("wasmton.yaml", config("    partition-concurrency: 1"))
        let metricsPort = 19_241
        let process = try RunningWasmton(["process", "--config", file, "--metrics-port", "\(metricsPort)"])
        func subPartitions() -> Double? {
            let text = (try? RawHTTP.requestNow(port: metricsPort, path: "/metrics"))?.text ?? ""
            return text.split(separator: "\n").first { $0.hasPrefix("wasmton_partition_sub_partitions{") }
                .flatMap { Double($0.split(separator: " ").last ?? "") }
        }
        #expect(process.waitForLog("state: running"), "\(process.stderr)")
        #expect(subPartitions() == 1)
        try Self.replace(file, with: Data(config("    partition-concurrency: 4\n    rate-limit: 1000").utf8))
        #expect(process.waitForLog("partition_concurrency=4 rate_limit=1000"), "\(process.stderr.suffix(1_500))")
        try append(100..<200)
        var lanes: Double?
        for _ in 0..<600 where lanes != 4 {
            Thread.sleep(forTimeInterval: 0.05)
            lanes = subPartitions()
        }
        #expect(lanes == 4, "the partition runs 4 sub-partitions now (wasmton_partition_sub_partitions)")
        try Self.replace(dir.file("probe.wasm"), with: Data("not wasm".utf8))
        #expect(process.waitForLog("reload failed; still running the previous processor"), "\(process.stderr.suffix(1_500))")
        try append(200..<300)
        try Self.replace(dir.file("probe.wasm"), with: try Data(contentsOf: URL(fileURLWithPath: CLI.guest("task_probe.wasm"))))
        #expect(process.waitForLog("processor reloaded"), "\(process.stderr.suffix(1_500))")
        try append(300..<400)
        var outputs: [String] = []
        for _ in 0..<600 where outputs.count < 400 {
            Thread.sleep(forTimeInterval: 0.05)
            outputs = ((try? String(contentsOfFile: dir.file("out.jsonl"), encoding: .utf8)) ?? "").split(separator: "\n").map(
                String.init)
        }
        #expect(process.stop() == 0)
        // task_probe emits "topic/partition/offset:key:value" for each record it processed.
        let offsets = outputs.compactMap { line -> (key: String, offset: Int)? in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let value = object["value"] as? String
            else { return nil }
            let parts = value.split(separator: ":")
            guard parts.count == 3, let offset = parts[0].split(separator: "/").last.flatMap({ Int($0) }) else { return nil }
            return (String(parts[1]), offset)
        }
        #expect(offsets.map(\.offset).sorted() == Array(0..<400), "every record exactly once")
        for key in Set(offsets.map(\.key)) {
            let order = offsets.filter { $0.key == key }.map(\.offset)
            #expect(order == order.sorted(), "key \(key) in offset order")
        }
    }
}
