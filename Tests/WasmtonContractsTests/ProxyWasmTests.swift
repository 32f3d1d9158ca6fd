import Foundation
import Logging
import Testing
import WasmtonContracts
import WasmtonRuntime
import WasmtonTestSupport

/// Starting proxy-wasm filters and driving their callbacks the way the gateway does.
enum ProxyFilters {
    static func plugin(
        _ module: String, configuration: String = "", vmConfiguration: String = "", name: String? = nil,
        runtime: WasmRuntime = WasmRuntime.forTests(), sandbox: Sandbox = Sandbox(), logger: Logger = Logger(label: "test")
    ) throws -> ProxyWasmPlugin {
        try ProxyWasmPlugin(
            runtime: runtime, module: try runtime.load(path: Guests.path(module)), sandbox: sandbox,
            configuration: .init(
                name: name ?? module, pluginConfiguration: Array(configuration.utf8),
                vmConfiguration: Array(vmConfiguration.utf8)),
            logger: logger)
    }

    /// A request stream as the gateway builds it: pseudo-headers first, then `headers`, and the
    /// usual `request.*` and `source.*` properties.
    static func stream(
        test mode: String? = nil, method: String = "GET", path: String = "/", authority: String = "example.com",
        headers: [(String, String)] = [], body: String = ""
    ) -> FilterStream {
        var pairs = [(":method", method), (":path", path), (":authority", authority), (":scheme", "http")]
        if let mode { pairs.append(("x-test", mode)) }
        pairs += headers
        let stream = FilterStream(
            requestHeaders: HeaderList(pairs),
            request: RequestProperties(path: path, method: method, authority: authority, source: ("127.0.0.1", 5555)))
        stream.withContents { $0.requestBody = Array(body.utf8) }
        return stream
    }

    /// Opens a context for `stream` and runs its request headers callback.
    @discardableResult
    static func requestHeaders(
        _ plugin: ProxyWasmPlugin, _ stream: FilterStream, endOfStream: Bool = true
    ) throws
        -> (context: Int32, action: FilterAction)
    {
        let context = try plugin.open(stream)
        return (context, try plugin.requestHeaders(context, stream, endOfStream: endOfStream))
    }

    /// The size of `pairs` in proxy-wasm's map serialization.
    static func serializedSize(_ pairs: [(String, String)]) -> Int {
        4 + 8 * pairs.count + pairs.reduce(0) { $0 + $1.0.utf8.count + 1 + $1.1.utf8.count + 1 }
    }
}

extension HeaderList {
    /// Every value of `name`, in order.
    func values(_ name: String) -> [String] { fields.filter { $0.name == name }.map(\.value) }
}

/// The host functions and callbacks of proxy-wasm ABI 0.2.1 against `proxy_test_conformance`,
/// which records what each host function answered (guests/src/proxy_test_conformance.wat), and
/// the SDK-shaped fixtures and C filters.
@Suite("proxy-wasm plugin")
struct ProxyWasmTests {
    // MARK: - Start-up

    @Test("start-up runs _initialize, the root context, vm_start and configure in order, with the configurations' sizes")
    func startUp() throws {
        let plugin = try ProxyFilters.plugin(
            "proxy_test_conformance", configuration: "abcdef", vmConfiguration: "vm-conf")
        defer { plugin.shutdown() }
        let first = ProxyFilters.stream(test: "startup")
        let (context, action) = try ProxyFilters.requestHeaders(plugin, first)
        #expect(action == .continue)
        let headers = first.requestHeaders
        #expect(headers["x-order"] == "icvgCH")
        #expect(headers["x-root"] == "1")
        #expect(headers["x-vm-root"] == "1")
        #expect(headers["x-vm-size"] == "7")
        #expect(headers["x-vm-cfg-status"] == "0")
        #expect(headers["x-vm-cfg"] == "vm-conf")
        #expect(headers["x-cfg-size"] == "6")
        #expect(headers["x-cfg-status"] == "0")
        #expect(headers["x-cfg"] == "abcdef")
        #expect(headers["x-parent"] == "1", "a stream context's parent is the root context")
        #expect(headers["x-context-id"] == "\(context)")
        #expect(context != 1)

        // The rest of a stream's life, then a second stream on the same VM.
        first.withContents {
            $0.requestBody = Array("body".utf8)
            $0.responseHeaders = HeaderList([(":status", "200")])
            $0.responseBody = Array("answer".utf8)
        }
        _ = try plugin.requestBody(context, first, endOfStream: true)
        _ = try plugin.responseHeaders(context, first, endOfStream: false)
        _ = try plugin.responseBody(context, first, endOfStream: true)
        try plugin.close(context, first)
        let second = ProxyFilters.stream(test: "startup")
        let (secondContext, _) = try ProxyFilters.requestHeaders(plugin, second)
        #expect(second.requestHeaders["x-order"] == "icvgCHBRSDLXCH")
        #expect(secondContext != context, "context ids are not reused")
        #expect(second.requestHeaders["x-context-id"] == "\(secondContext)")
    }

    @Test("an empty plugin configuration reads as Ok with no data in proxy_on_configure")
    func emptyConfiguration() throws {
        let plugin = try ProxyFilters.plugin("proxy_test_conformance")
        defer { plugin.shutdown() }
        let stream = ProxyFilters.stream(test: "startup")
        try ProxyFilters.requestHeaders(plugin, stream)
        #expect(stream.requestHeaders["x-cfg-size"] == "0")
        #expect(stream.requestHeaders["x-cfg-status"] == "0")
        #expect(stream.requestHeaders["x-cfg"] == "")
        #expect(stream.requestHeaders["x-vm-size"] == "0")
        #expect(stream.requestHeaders["x-vm-cfg-status"] == "0")
    }

    @Test("proxy_on_configure or proxy_on_vm_start returning false is a rejection naming the callback and plugin")
    func rejected() throws {
        #expect {
            _ = try ProxyFilters.plugin("proxy_test_conformance", configuration: "reject", name: "picky")
        } throws: { error in
            guard case ProxyWasmError.rejected(let callback, let plugin) = error else { return false }
            return callback == "proxy_on_configure" && plugin == "picky"
                && "\(error)".contains("rejected its configuration") && !(error as! ProxyWasmError).poisonsInstance
        }
        #expect {
            _ = try ProxyFilters.plugin("proxy_test_conformance", vmConfiguration: "reject-vm")
        } throws: { error in
            guard case ProxyWasmError.rejected(let callback, _) = error else { return false }
            return callback == "proxy_on_vm_start"
        }
    }

    @Test("the auth filter refuses a configuration without a token", arguments: ["", "   ", "{}", "{\"token\": 1}", "{nope"])
    func authFilterRejectsConfiguration(configuration: String) throws {
        #expect {
            _ = try ProxyFilters.plugin("proxy_auth_filter", configuration: configuration)
        } throws: { error in
            guard case ProxyWasmError.rejected(let callback, let plugin) = error else { return false }
            return callback == "proxy_on_configure" && plugin == "proxy_auth_filter"
        }
    }

    @Test("modules that are not proxy-wasm filters are refused, saying why")
    func notAFilter() throws {
        for name in ["calc", "wapc_echo"] {
            #expect {
                _ = try ProxyFilters.plugin(name)
            } throws: { error in
                guard case ProxyWasmError.notAProxyWasmModule(let reason) = error else { return false }
                return reason.contains(name) && "\(error)".hasPrefix("not a proxy-wasm filter")
            }
        }
    }

    // MARK: - Header maps

    @Test("header maps: size, pairs, get, add, replace, remove and set pairs on request and response headers and trailers")
    func headerMaps() throws {
        let plugin = try ProxyFilters.plugin("proxy_test_conformance")
        defer { plugin.shutdown() }
        let stream = ProxyFilters.stream(
            test: "maps", path: "/maps",
            headers: [
                ("x-in", "hello-in"), ("x-replace", "old1"), ("x-other", "keep"), ("x-replace", "old2"),
                ("x-remove", "gone"), ("X-Remove", "gone too"),
            ])
        stream.withContents { $0.requestTrailers = HeaderList([("x-in-trailer", "tv")]) }
        let original = stream.requestHeaders.pairs
        #expect(original.count == 11)
        let (context, action) = try ProxyFilters.requestHeaders(plugin, stream)
        #expect(action == .continue)

        let request = stream.requestHeaders
        let size = "\(ProxyFilters.serializedSize(original))"
        #expect(request["x-map-size-status"] == "0")
        #expect(request["x-map-size"] == size, "proxy_get_header_map_size is the serialized size")
        #expect(request["x-pairs-bytes"] == size)
        #expect(request["x-pairs-count"] == "11")
        #expect(request["x-num-headers"] == "11")
        #expect(request["x-eos"] == "1")
        #expect(request["x-got-in"] == "hello-in")
        #expect(request["x-missing-status"] == "1", "an absent header is NotFound in ABI 0.2.x")
        #expect(request.values("x-multi") == ["one", "two"], "add keeps earlier values")
        #expect(request.values("x-replace") == ["new"], "replace leaves one value")
        let names = request.fields.map(\.name)
        #expect(names.firstIndex(of: "x-replace")! < names.firstIndex(of: "x-other")!, "replace keeps the first position")
        #expect(request["x-other"] == "keep")
        #expect(request.values("x-remove").isEmpty, "remove drops every value, whatever case it came in")
        #expect(request.values(":path") == ["/maps"])
        #expect(request["x-got-trailer"] == "tv")
        #expect(request["x-map6-status"] != "0", "no HTTP call response headers in a stream")

        stream.withContents { contents in
            #expect(contents.requestTrailers.pairs.map { "\($0.0)=\($0.1)" } == ["x-in-trailer=tv", "x-trailer-added=yes"])
            // set pairs replaced the whole (empty) response trailers with the spec's example; the
            // malformed map after it was refused and changed nothing.
            #expect(contents.responseTrailers.pairs.map { "\($0.0)=\($0.1)" } == ["a=1", "b=22"])
        }
        #expect(request["x-set-pairs-status"] == "0")
        #expect(request["x-set-bad-status"] != "0")

        stream.withContents {
            $0.responseHeaders = HeaderList([
                (":status", "200"), ("content-type", "text/plain"), ("x-resp-replace", "old"), ("x-resp-remove", "bye"),
            ])
        }
        #expect(try plugin.responseHeaders(context, stream, endOfStream: false) == .continue)
        let response = stream.responseHeaders
        #expect(response["x-resp-num-headers"] == "4")
        #expect(response["x-resp-eos"] == "0")
        #expect(response["x-resp-status-seen"] == "200")
        #expect(response["x-resp-added"] == "yes")
        #expect(response.values("x-resp-replace") == ["new"])
        #expect(response.values("x-resp-remove").isEmpty)
        #expect(response["content-type"] == "text/plain")
        stream.withContents {
            #expect($0.responseTrailers.pairs.map { "\($0.0)=\($0.1)" } == ["a=1", "b=22", "x-resp-trailer=yes"])
        }
        try plugin.close(context, stream)
    }

    // MARK: - Buffers

    @Test("buffers: bodies read and written, plugin and VM configuration, start and max clamped (max 0xFFFFFFFF, max 0)")
    func buffers() throws {
        let plugin = try ProxyFilters.plugin("proxy_test_conformance", configuration: "abcdef", vmConfiguration: "vm-conf")
        defer { plugin.shutdown() }
        let stream = ProxyFilters.stream(test: "buffers", method: "POST", body: "hello world")
        let (context, action) = try ProxyFilters.requestHeaders(plugin, stream, endOfStream: false)
        #expect(action == .pause, "buffers holds the headers until it has the whole body")
        var request = stream.requestHeaders
        #expect(request["x-eos"] == "0")
        #expect(request["x-plugin-config"] == "abcdef", "max 0xFFFFFFFF reads everything")
        #expect(request["x-vm-config"] == "vm-conf")
        #expect(request["x-plugin-config-slice"] == "bcd")
        #expect(request["x-plugin-config-tail"] == "cdef", "start + 0xFFFFFFFF does not wrap around")
        #expect(request["x-zero-max-status"] == "0")
        #expect(request["x-zero-max-size"] == "0")
        #expect(request["x-config-past-end"] == "2", "a start past the end is BadArgument")

        #expect(try plugin.requestBody(context, stream, endOfStream: false) == .pause, "buffering until the end")
        #expect(stream.requestHeaders["x-body-size"] == nil)
        #expect(try plugin.requestBody(context, stream, endOfStream: true) == .continue)
        request = stream.requestHeaders
        #expect(request["x-body-size"] == "11")
        #expect(request["x-body-eos"] == "1")
        #expect(request["x-body"] == "hello world")
        #expect(request["x-body-slice"] == "llo")
        #expect(request["x-body-past-end"] == "2")
        #expect(request["x-body-status-size"] == "11")
        #expect(request["x-body-set-status"] == "0")
        #expect(request["x-body-append-status"] == "0", "start = length appends")
        // Envoy (and guests/PROXY_WASM_NOTES.md 4.2): a start at or past the end appends, and the
        // start is a u32, so 0xFFFFFFFF means "append".
        #expect(request["x-body-append-max"] == "0", "start 0xFFFFFFFF appends")
        #expect(String(decoding: stream.withContents { $0.requestBody }, as: UTF8.self) == "HELLO world!?")

        stream.withContents {
            $0.responseHeaders = HeaderList([(":status", "200")])
            $0.responseBody = Array("upstream body".utf8)
        }
        #expect(try plugin.responseHeaders(context, stream, endOfStream: false) == .pause)
        #expect(try plugin.responseBody(context, stream, endOfStream: false) == .pause)
        #expect(try plugin.responseBody(context, stream, endOfStream: true) == .continue)
        let response = stream.responseHeaders
        #expect(response["x-resp-body"] == "upstream body")
        #expect(response["x-resp-body-size"] == "13")
        #expect(response["x-resp-body-set"] == "0")
        #expect(String(decoding: stream.withContents { $0.responseBody }, as: UTF8.self) == "prefix-upstream body")
        try plugin.close(context, stream)
    }

    // MARK: - Properties, local responses, context, time, ticks, logs

    @Test("properties: request.path, request.method, source.address, plugin_name, plugin_root_id, set and read back, unknown")
    func properties() throws {
        let plugin = try ProxyFilters.plugin("proxy_test_conformance", name: "my-plugin")
        defer { plugin.shutdown() }
        let stream = ProxyFilters.stream(test: "props", method: "DELETE", path: "/props?q=1")
        try ProxyFilters.requestHeaders(plugin, stream)
        let headers = stream.requestHeaders
        #expect(headers["x-prop-path"] == "/props?q=1", "request\\0path")
        #expect(headers["x-prop-method"] == "DELETE", "request.method as one segment")
        #expect(headers["x-prop-source"] == "127.0.0.1:5555", "source\\0address\\0, with the C++ SDK's trailing NUL")
        #expect(headers["x-prop-name"] == "my-plugin")
        #expect(headers["x-prop-root-status"] == "0", "plugin_root_id must be Ok (the C++ SDK aborts otherwise)")
        #expect(headers["x-prop-root-size"] == "0", "the default root id is \"\"")
        #expect(headers["x-prop-unknown"] == "1", "an unknown property is NotFound")
        #expect(headers["x-prop-set-status"] == "0")
        #expect(headers["x-prop-set"] == "v1")
        #expect(stream.withContents { $0.properties["wasmton.test"] } == Array("v1".utf8))
    }

    @Test("a request's own properties are encoded when read; one a filter set, and the response code, come first")
    func requestProperties() {
        let request = RequestProperties(
            path: "/a/b?x=1&y=2", method: "POST", authority: "example.com:8080", id: "req-7", userAgent: "curl/8",
            source: ("10.1.2.3", 4567))
        #expect(request.value(for: "request.path") == Array("/a/b?x=1&y=2".utf8))
        #expect(request.value(for: "request.url_path") == Array("/a/b".utf8))
        #expect(request.value(for: "request.query") == Array("x=1&y=2".utf8))
        #expect(request.value(for: "request.host") == Array("example.com:8080".utf8))
        #expect(request.value(for: "request.method") == Array("POST".utf8))
        #expect(request.value(for: "request.scheme") == Array("http".utf8))
        #expect(request.value(for: "request.protocol") == Array("HTTP/1.1".utf8))
        #expect(request.value(for: "request.id") == Array("req-7".utf8))
        #expect(request.value(for: "request.useragent") == Array("curl/8".utf8))
        #expect(request.value(for: "source.address") == Array("10.1.2.3:4567".utf8))
        #expect(request.value(for: "source.port") == [0xD7, 0x11, 0, 0, 0, 0, 0, 0], "4567 as 8 little-endian bytes")
        #expect(request.value(for: "request.unknown") == nil)
        let bare = RequestProperties(path: "/plain", method: "GET", authority: "h")
        #expect(bare.value(for: "request.query") == [] && bare.value(for: "request.url_path") == Array("/plain".utf8))
        #expect(bare.value(for: "request.id") == nil && bare.value(for: "source.address") == nil)

        let stream = FilterStream(requestHeaders: HeaderList(), request: request)
        stream.withContents {
            $0.properties["request.path"] = Array("/set".utf8)
            $0.responseCode = 503
        }
        #expect(stream.withContents { $0.property("request.path") } == Array("/set".utf8), "a set property wins")
        #expect(stream.withContents { $0.property("request.method") } == Array("POST".utf8))
        #expect(stream.withContents { $0.property("response.code") } == [0xF7, 0x01, 0, 0, 0, 0, 0, 0])
    }

    @Test("proxy_send_local_response records the answer; it stands whether the callback pauses or continues")
    func localResponse() throws {
        let plugin = try ProxyFilters.plugin("proxy_test_conformance")
        defer { plugin.shutdown() }
        let paused = ProxyFilters.stream(test: "local")
        #expect(try ProxyFilters.requestHeaders(plugin, paused).action == .pause)
        let local = try #require(paused.localResponse)
        #expect(local.status == 403)
        #expect(local.details == "denied_by_test")
        #expect(local.body == Array("go away\n".utf8))
        #expect(local.headers.pairs.map { "\($0.0)=\($0.1)" } == ["x-local=yes"])

        let continued = ProxyFilters.stream(test: "local-continue")
        #expect(try ProxyFilters.requestHeaders(plugin, continued).action == .continue)
        #expect(continued.localResponse?.status == 418)

        let bad = ProxyFilters.stream(test: "local-bad")
        try ProxyFilters.requestHeaders(plugin, bad)
        #expect(bad.requestHeaders["x-local-status"] == "2", "status 99 is BadArgument")
        #expect(bad.localResponse == nil)
    }

    @Test("proxy_set_effective_context, proxy_continue_stream and proxy_done answer Ok and the stream stays usable")
    func effectiveContext() throws {
        let plugin = try ProxyFilters.plugin("proxy_test_conformance")
        defer { plugin.shutdown() }
        let stream = ProxyFilters.stream(test: "effective")
        try ProxyFilters.requestHeaders(plugin, stream)
        #expect(stream.requestHeaders["x-effective-root"] == "0")
        #expect(stream.requestHeaders["x-effective-self"] == "0")
        #expect(stream.requestHeaders["x-after-effective"] == "ok")
        let misc = ProxyFilters.stream(test: "misc")
        try ProxyFilters.requestHeaders(plugin, misc)
        #expect(misc.requestHeaders["x-continue-status"] == "0")
        #expect(misc.requestHeaders["x-done-status"] == "0")
    }

    @Test("proxy_get_current_time_nanoseconds is the wall clock in nanoseconds since the epoch")
    func currentTime() throws {
        let plugin = try ProxyFilters.plugin("proxy_test_conformance")
        defer { plugin.shutdown() }
        let stream = ProxyFilters.stream(test: "time")
        let before = Date().timeIntervalSince1970
        try ProxyFilters.requestHeaders(plugin, stream)
        let after = Date().timeIntervalSince1970
        #expect(stream.requestHeaders["x-time-status"] == "0")
        let nanoseconds = try #require(stream.requestHeaders["x-time"].flatMap(UInt64.init))
        let seconds = Double(nanoseconds) / 1e9
        #expect(seconds >= before - 1 && seconds <= after + 1, "\(seconds) not within [\(before), \(after)]")
    }

    @Test("proxy_set_tick_period_milliseconds makes tickIfDue call proxy_on_tick; period 0 stops it")
    func ticks() throws {
        let plugin = try ProxyFilters.plugin("proxy_test_conformance")
        defer { plugin.shutdown() }
        func tickCount() throws -> String? {
            let stream = ProxyFilters.stream(test: "ticks")
            try ProxyFilters.requestHeaders(plugin, stream)
            return stream.requestHeaders["x-ticks"]
        }
        #expect(plugin.tickPeriod == nil)
        Thread.sleep(forTimeInterval: 0.05)
        try plugin.tickIfDue()
        #expect(try tickCount() == "0", "no period, no tick")

        let on = ProxyFilters.stream(test: "tick-on")
        try ProxyFilters.requestHeaders(plugin, on)
        #expect(on.requestHeaders["x-tick-status"] == "0")
        #expect(plugin.tickPeriod == .milliseconds(20))
        Thread.sleep(forTimeInterval: 0.05)
        try plugin.tickIfDue()
        #expect(try tickCount() == "1")

        let off = ProxyFilters.stream(test: "tick-off")
        try ProxyFilters.requestHeaders(plugin, off)
        #expect(off.requestHeaders["x-tick-status"] == "0")
        #expect(plugin.tickPeriod == nil)
        Thread.sleep(forTimeInterval: 0.05)
        try plugin.tickIfDue()
        #expect(try tickCount() == "1")
    }

    @Test("proxy_log maps levels 0-5 to trace…critical with the filter's name; level 6 is BadArgument; proxy_get_log_level")
    func logging() throws {
        let captured = CapturedLog()
        let plugin = try ProxyFilters.plugin("proxy_test_conformance", name: "loud", logger: captured.logger)
        defer { plugin.shutdown() }
        let stream = ProxyFilters.stream(test: "log")
        try ProxyFilters.requestHeaders(plugin, stream)
        #expect(stream.requestHeaders["x-log-ok"] == "6")
        #expect(stream.requestHeaders["x-log-bad-status"] == "2")
        #expect(stream.requestHeaders["x-log-level-status"] == "0")
        #expect(stream.requestHeaders["x-log-level"] == "0", "the logger is at trace")
        let levels: [Logger.Level] = [.trace, .debug, .info, .warning, .error, .critical]
        for (number, level) in levels.enumerated() {
            #expect(
                captured.entries.contains {
                    $0.level == level && $0.message == "log level \(number)" && $0.metadata["filter"] == "loud"
                }, "level \(number)")
        }
        #expect(!captured.entries.contains { $0.message == "log level 6" })
    }

    @Test("imports the host does not implement (HTTP calls, metrics, shared data) answer Unimplemented (12)")
    func unimplemented() throws {
        let plugin = try ProxyFilters.plugin("proxy_test_conformance")
        defer { plugin.shutdown() }
        let stream = ProxyFilters.stream(test: "unimpl")
        try ProxyFilters.requestHeaders(plugin, stream)
        #expect(stream.requestHeaders["x-http-call-status"] == "12")
        #expect(stream.requestHeaders["x-define-metric"] == "12")
        #expect(stream.requestHeaders["x-shared-data"] == "12")
    }

    // MARK: - Failures

    @Test("a trap in a callback is callbackFailed, which poisons the instance")
    func trap() throws {
        let plugin = try ProxyFilters.plugin("proxy_test_conformance")
        defer { plugin.shutdown() }
        let stream = ProxyFilters.stream(test: "trap")
        #expect {
            try ProxyFilters.requestHeaders(plugin, stream)
        } throws: { error in
            guard let error = error as? ProxyWasmError, case .callbackFailed(let callback, let guestError) = error,
                case .trap = guestError
            else { return false }
            return callback == "proxy_on_request_headers" && error.poisonsInstance
        }
    }

    @Test("a callback that never returns is stopped by the sandbox's fuel")
    func runaway() throws {
        let runtime = WasmRuntime.forTests(configuration: .init(fuelMetering: true))
        let plugin = try ProxyFilters.plugin(
            "proxy_test_trap", runtime: runtime, sandbox: Sandbox(limits: Limits(fuel: 2_000_000)))
        defer { plugin.shutdown() }
        let ok = ProxyFilters.stream(path: "/fine")
        try ProxyFilters.requestHeaders(plugin, ok)
        #expect(ok.requestHeaders["x-trap-filter"] == "passed")
        let start = ContinuousClock.now
        #expect {
            try ProxyFilters.requestHeaders(plugin, ProxyFilters.stream(path: "/loop"))
        } throws: { error in
            guard let error = error as? ProxyWasmError, case .callbackFailed(_, let guestError) = error,
                case .outOfFuel = guestError
            else { return false }
            return error.poisonsInstance
        }
        #expect(ContinuousClock.now - start < .seconds(30))
    }

    // MARK: - SDK shapes and the C filters

    @Test(
        "modules shaped like the Rust, Go and C++ SDKs start, read their configuration and add their header",
        arguments: [("proxy_sdk_rust", "rust"), ("proxy_sdk_go", "go"), ("proxy_sdk_cpp", "cpp")])
    func sdkShapes(module: String, sdk: String) throws {
        for configuration in ["", "cfg-\(sdk)"] {
            let plugin = try ProxyFilters.plugin(module, configuration: configuration)
            defer { plugin.shutdown() }
            for _ in 0..<3 {
                let stream = ProxyFilters.stream(path: "/sdk")
                let (context, action) = try ProxyFilters.requestHeaders(plugin, stream)
                #expect(action == .continue)
                #expect(stream.requestHeaders.values("x-sdk") == [sdk], "\(module)")
                #expect(stream.requestHeaders["x-sdk-config"] == (configuration.isEmpty ? nil : configuration), "\(module)")
                stream.withContents { $0.responseHeaders = HeaderList([(":status", "200")]) }
                _ = try plugin.responseHeaders(context, stream, endOfStream: true)
                try plugin.close(context, stream)
            }
        }
    }

    @Test("the book's Rust 0.1 filter (ABI 0.1.0, _start, malloc) sets x-hello from :authority")
    func bookFilter() throws {
        let plugin = try ProxyFilters.plugin("proxy_sdk_rust01")
        defer { plugin.shutdown() }
        let stream = ProxyFilters.stream(authority: "localhost:10000", headers: [("x-hello", "spoofed")])
        let (context, action) = try ProxyFilters.requestHeaders(plugin, stream)
        #expect(action == .continue)
        #expect(stream.requestHeaders.values("x-hello") == ["Hello world from localhost:10000"])
        stream.withContents { $0.responseHeaders = HeaderList([(":status", "200")]) }
        _ = try plugin.responseHeaders(context, stream, endOfStream: true)
        try plugin.close(context, stream)
    }

    @Test("ABI 0.1.0: header callbacks get two parameters, a missing header is Ok and empty, proxy_get_configuration")
    func abi010() throws {
        let plugin = try ProxyFilters.plugin("proxy_test_abi01", configuration: "conf01")
        defer { plugin.shutdown() }
        let stream = ProxyFilters.stream(headers: [("x-present", "1")])
        let (context, action) = try ProxyFilters.requestHeaders(plugin, stream)
        #expect(action == .continue)
        let headers = stream.requestHeaders
        #expect(headers["x-num-headers"] == "5")
        #expect(headers["x-missing-status"] == "0")
        #expect(headers["x-missing-size"] == "0")
        #expect(headers["x-config-status"] == "0")
        #expect(headers["x-config"] == "conf01")
        stream.withContents { $0.responseHeaders = HeaderList([(":status", "200")]) }
        #expect(try plugin.responseHeaders(context, stream, endOfStream: true) == .continue)
        try plugin.close(context, stream)
    }

    @Test("the C header filter logs every header and replaces x-hello with the greeting for :authority")
    func headerFilter() throws {
        let captured = CapturedLog()
        let plugin = try ProxyFilters.plugin("proxy_header_filter", logger: captured.logger)
        defer { plugin.shutdown() }
        let stream = ProxyFilters.stream(authority: "127.0.0.1:18000", headers: [("name", "shashank"), ("x-hello", "old")])
        let (context, action) = try ProxyFilters.requestHeaders(plugin, stream)
        #expect(action == .continue)
        #expect(stream.requestHeaders.values("x-hello") == ["Hello world from 127.0.0.1:18000"])
        let messages = captured.entries.filter { $0.level == .info }.map(\.message)
        #expect(messages.contains("Got 6 HTTP headers in #\(context)."), "\(messages)")
        #expect(messages.contains("#\(context) -> name: shashank"), "\(messages)")
        #expect(messages.contains("#\(context) -> :authority: 127.0.0.1:18000"), "\(messages)")
        try plugin.close(context, stream)
    }

    @Test("the C auth filter answers 401 locally unless the bearer token matches")
    func authFilter() throws {
        let plugin = try ProxyFilters.plugin("proxy_auth_filter", configuration: #"{"token": "s3cret"}"#)
        defer { plugin.shutdown() }
        let missing = ProxyFilters.stream(method: "POST", path: "/v1/x/y")
        #expect(try ProxyFilters.requestHeaders(plugin, missing).action == .pause)
        let denied = try #require(missing.localResponse)
        #expect(denied.status == 401)
        #expect(denied.headers["www-authenticate"] == #"Bearer realm="wasmton""#)
        #expect(String(decoding: denied.body, as: UTF8.self) == "401 Unauthorized: missing bearer token\n")

        let wrong = ProxyFilters.stream(headers: [("authorization", "Bearer nope")])
        try ProxyFilters.requestHeaders(plugin, wrong)
        #expect(wrong.localResponse?.status == 401)
        #expect(
            wrong.localResponse.map { String(decoding: $0.body, as: UTF8.self) } == "401 Unauthorized: invalid bearer token\n")

        let right = ProxyFilters.stream(headers: [("authorization", "bearer   s3cret ")])
        #expect(try ProxyFilters.requestHeaders(plugin, right).action == .continue)
        #expect(right.localResponse == nil)
    }
}
