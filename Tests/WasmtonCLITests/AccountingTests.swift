import Foundation
import Testing
import WasmtonTestSupport

/// Per-module accounting in `/metrics` (`wasmton_guest_*`), checked against guests of known
/// instruction count: `wapc_meter.wasm` under `serve` and `meter_processor.wasm` under
/// `process` run 100 iterations of the same five operators per payload byte, so each call's
/// fuel must grow by exactly 500 units per byte, on either engine.
@Suite("guest accounting in /metrics")
struct AccountingTests {
    /// `--engine NAME` for the engine under test (``TestEngine``).
    static let engine = ["--engine", TestEngine.current.name]

    /// The value of the first series `name{…}` whose labels include every one of `labels`.
    static func metric(_ text: String, _ name: String, _ labels: [String]) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(name + "{") {
            guard labels.allSatisfy({ line.contains($0) }), let value = line.split(separator: " ").last else { continue }
            return Double(value)
        }
        return nil
    }

    /// Scrapes `port`'s `/metrics` until `ready` holds for the text (at most 20 s), and returns it.
    static func scrape(port: Int, until ready: (String) -> Bool) -> String {
        var text = ""
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            text = (try? RawHTTP.requestNow(port: port, path: "/metrics"))?.text ?? ""
            if ready(text) { return text }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return text
    }

    /// Checks that three calls of `unit`, 2×`unit` and 3×`unit` bytes (fuel totals after each in
    /// `totals`) cost exactly the same extra fuel per step, and what that says per iteration.
    static func expectLinearFuel(_ totals: [Double], unit: Int, sourceLocation: SourceLocation = #_sourceLocation) {
        guard totals.count == 3 else {
            Issue.record("fuel totals missing: \(totals)", sourceLocation: sourceLocation)
            return
        }
        let calls = [totals[0], totals[1] - totals[0], totals[2] - totals[1]]
        let step = calls[1] - calls[0]
        #expect(
            calls[2] - calls[1] == step, "each extra \(unit) bytes cost the same fuel: \(calls)", sourceLocation: sourceLocation)
        let iterations = Double(unit * 100)
        let perIteration = step / iterations
        // Both engines charge one unit per operator here (WasmKit for the Wasm operators it runs,
        // Wasmtime for every one it compiles).
        #expect(perIteration == 5, "the loop's 5 operators cost 5 fuel an iteration: \(calls)", sourceLocation: sourceLocation)
        // The fixed part of a call is small next to 100 iterations per byte: 2N bytes cost about 2×.
        #expect(abs(calls[1] / calls[0] - 2) < 0.05, "\(calls)", sourceLocation: sourceLocation)
    }

    @Test(
        "serve: calls, fuel (exactly linear in the loop), time, traps by kind, instances, memory, histogram; unknown operations add no series"
    )
    func serve() throws {
        let server = try RunningWasmton(
            ["serve", "meter=\(CLI.guest("wapc_meter.wasm"))", "--port", "0", "--pool-size", "1", "--fuel", "1000000000"]
                + Self.engine)
        let port = try server.waitForListening()
        let bytes = [RawHeader("Content-Type", "application/octet-stream")]
        func call(_ operation: String, _ payload: Int = 0) throws -> Int {
            try RawHTTP.requestNow(
                port: port, method: "POST", path: "/v1/meter/\(operation)", headers: bytes,
                body: [UInt8](repeating: 0x73, count: payload)
            ).status
        }
        let spin = [#"module="meter""#, #"operation="spin""#]
        var totals: [Double] = []
        for (index, size) in [200, 400, 600].enumerated() {
            #expect(try call("spin", size) == 204, "an empty response")
            let text = Self.scrape(port: port) { Self.metric($0, "wasmton_guest_calls_total", spin) == Double(index + 1) }
            if let fuel = Self.metric(text, "wasmton_guest_fuel_total", spin) { totals.append(fuel) }
        }
        Self.expectLinearFuel(totals, unit: 200)

        #expect(try call("nope") == 404)
        #expect(try call("trap") == 500)
        #expect(try call("grow") == 204)
        let module = #"module="meter""#
        let text = Self.scrape(port: port) {
            Self.metric($0, "wasmton_guest_calls_total", [module, #"operation="grow""#]) == 1
                && (Self.metric($0, "wasmton_guest_instances_created_total", [module]) ?? 0) >= 2
        }
        #expect(Self.metric(text, "wasmton_guest_calls_total", [module, #"operation="_other""#]) == 1, "\(text)")
        let guestLines = text.split(separator: "\n").filter { $0.hasPrefix("wasmton_guest_") }
        #expect(!guestLines.contains { $0.contains(#"operation="nope""#) }, "an unknown operation makes no series of its own")
        #expect(Self.metric(text, "wasmton_guest_calls_total", [module, #"operation="trap""#]) == 1)
        #expect(Self.metric(text, "wasmton_guest_traps_total", [module, #"kind="unreachable""#]) == 1, "\(text)")
        #expect(
            (Self.metric(text, "wasmton_guest_instances_created_total", [module]) ?? 0) >= 2, "the trap replaced the instance")
        #expect(Self.metric(text, "wasmton_guest_memory_high_water_bytes", [module]) == 131_072, "1 page grown to 2")
        #expect((Self.metric(text, "wasmton_guest_seconds_total", spin) ?? 0) > 0)
        #expect((Self.metric(text, "wasmton_guest_cpu_seconds_total", spin) ?? 0) > 0)
        #expect(Self.metric(text, "wasmton_guest_fuel_per_call_count", spin) == 3, "\(text)")
        #expect(Self.metric(text, "wasmton_guest_fuel_per_call_sum", spin) == totals.last)
        #expect(text.contains("# TYPE wasmton_guest_fuel_per_call histogram"))
        #expect(Self.metric(text, "wasmton_guest_fuel_per_call_bucket", spin + [#"le="+Inf""#]) == 3)
        #expect(server.stop() == 0)
    }

    @Test("process: per-module fuel of a stream processor is exactly linear in its loop; traps, instances, memory")
    func process() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let input = try directory.write("records.txt", "")
        func append(_ line: String) throws {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: input))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data((line + "\n").utf8))
            try handle.close()
        }
        let metricsPort = TestEngine.isWasmtime ? 19_262 : 19_261
        let process = try RunningWasmton(
            [
                "process", CLI.guest("meter_processor.wasm"), "--input", input, "--follow", "--max-retries", "0",
                "--fuel", "1000000000", "--metrics-port", "\(metricsPort)",
            ] + Self.engine)
        #expect(process.waitForLog("state: running"), "\(process.stderr)")
        let run = [#"module="meter_processor""#, #"operation="run""#]
        var totals: [Double] = []
        for (index, size) in [100, 200, 300].enumerated() {
            try append(String(repeating: "s", count: size))
            let text = Self.scrape(port: metricsPort) { Self.metric($0, "wasmton_guest_calls_total", run) == Double(index + 1) }
            if let fuel = Self.metric(text, "wasmton_guest_fuel_total", run) { totals.append(fuel) }
        }
        Self.expectLinearFuel(totals, unit: 100)

        try append("t")
        try append("g")
        let module = #"module="meter_processor""#
        let text = Self.scrape(port: metricsPort) {
            Self.metric($0, "wasmton_guest_calls_total", run) == 5
                && Self.metric($0, "wasmton_guest_memory_high_water_bytes", [module]) == 131_072
        }
        #expect(Self.metric(text, "wasmton_guest_calls_total", run) == 5, "\(text)")
        #expect(Self.metric(text, "wasmton_guest_traps_total", [module, #"kind="unreachable""#]) == 1, "\(text)")
        #expect(Self.metric(text, "wasmton_guest_instances_created_total", [module]) == 2, "the trap replaced the instance")
        #expect(Self.metric(text, "wasmton_guest_memory_high_water_bytes", [module]) == 131_072, "1 page grown to 2")
        #expect((Self.metric(text, "wasmton_guest_seconds_total", run) ?? 0) > 0)
        #expect((Self.metric(text, "wasmton_guest_cpu_seconds_total", run) ?? 0) > 0)
        #expect(Self.metric(text, "wasmton_guest_fuel_per_call_count", run) == 5, "\(text)")
        #expect(process.stop() == 134, "the trapped record failed every attempt (exit status 134)")
    }

    @Test("proxy: each filter callback is accounted under the filter's name")
    func proxy() throws {
        let upstream = try RecordingUpstream()
        defer { upstream.stop() }
        let metricsPort = TestEngine.isWasmtime ? 19_264 : 19_263
        let proxy = try RunningWasmton(
            [
                "proxy", "--listen", "127.0.0.1:0", "--upstream", "http://127.0.0.1:\(upstream.port)", "--workers", "1",
                "--filter", CLI.guest("proxy_header_filter.wasm"), "--metrics-port", "\(metricsPort)",
            ] + Self.engine)
        let port = try proxy.waitForListening()
        for _ in 0..<3 {
            #expect(try RawHTTP.requestNow(port: port).status == 200)
        }
        let headers = [#"operation="proxy_on_request_headers""#]
        let text = Self.scrape(port: metricsPort) { Self.metric($0, "wasmton_guest_calls_total", headers) == 3 }
        #expect(Self.metric(text, "wasmton_guest_calls_total", headers) == 3, "\(text)")
        #expect((Self.metric(text, "wasmton_guest_seconds_total", headers) ?? 0) > 0)
        #expect(Self.metric(text, "wasmton_guest_instances_created_total", []) == 1, "\(text)")
        if !TestEngine.isWasmtime {
            // Metering is on for filters on WasmKit (the timeout needs it); on Wasmtime only with --fuel.
            #expect((Self.metric(text, "wasmton_guest_fuel_total", headers) ?? 0) > 0, "\(text)")
        }
        #expect(proxy.stop() == 0)
    }
}
