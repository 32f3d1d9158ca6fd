import Dispatch
import Synchronization
import Testing
import WasmtonContracts
import WasmtonRuntime
import WasmtonTestSupport

/// Streams share a filter VM, as in Envoy: each stream's callbacks must see its own headers only,
/// however many run at once.
@Suite("proxy-wasm: streams sharing one VM")
struct ProxyWasmConcurrencyTests {
    @Test("200 concurrent requests on one auth-filter VM: every tokenless one gets 401, every one with the token passes")
    func concurrentStreamsKeepTheirOwnHeaders() throws {
        let runtime = WasmRuntime.forTests()
        let plugin = try ProxyWasmPlugin(
            runtime: runtime, module: try runtime.load(path: Guests.path("proxy_auth_filter")),
            configuration: .init(name: "auth", pluginConfiguration: Array("s3cret".utf8)))
        defer { plugin.shutdown() }
        let wrong = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 200) { index in
            let authorized = index % 2 == 0
            var headers = HeaderList([(":method", "GET"), (":path", "/\(index)"), (":authority", "localhost")])
            if authorized { headers.add("authorization", "Bearer s3cret") }
            let stream = FilterStream(requestHeaders: headers)
            do {
                let context = try plugin.open(stream)
                _ = try plugin.requestHeaders(context, stream, endOfStream: true)
                try plugin.close(context, stream)
            } catch {
                wrong.withLock { $0.append("request \(index): \(error)") }
                return
            }
            let status = stream.localResponse?.status
            if authorized ? status != nil : status != 401 {
                wrong.withLock {
                    $0.append("request \(index) (token: \(authorized)): local response \(String(describing: status))")
                }
            }
        }
        #expect(wrong.withLock { $0 } == [])
    }
}
