import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Synchronization
import Testing
import WasmtonContracts

@testable import WasmtonGateway

@Suite("Gateway calls in a time slice")
struct GatewaySliceTests {
    /// The book's check: `foo` is one of the cuckoo filter's seed words.
    static func expectFooKnown(_ client: some TestClientProtocol) async throws {
        try await client.execute(
            uri: "/v1/cuckoo_filter/check_word_exists", method: .post, headers: json, body: ByteBuffer(string: #"{"name":"foo"}"#)
        ) { response in
            #expect(response.status == .ok)
            #expect(response.text == "\"true\"\n")
        }
    }

    @Test("a module that can run in slices answers right, and a looping call still gets its 504")
    func slicedCalls() async throws {
        try await withGateway(
            // 2 s, not less: the deadline is fuel calibrated on the loaded test machine, and the first
            // check (which builds the filter) in a debug build once ran past 300 ms of it.
            modules: ["wapc_conformance", "cuckoo_filter"], configure: { $0.requestTimeout = .seconds(2) }
        ) { _, client in
            for _ in 0..<20 {
                try await Self.expectFooKnown(client)
            }
            let start = ContinuousClock.now
            try await client.execute(uri: "/v1/wapc_conformance/loop", method: .post) { response in
                #expect(response.status == .gatewayTimeout)
                #expect(response.reason == "deadline_exceeded")
            }
            #expect(ContinuousClock.now - start < .seconds(10))
        }
    }

    @Test("a call that makes a host call moves to a guest thread and the capability runs exactly once")
    func hostCallRunsOnce() async throws {
        let calls = Mutex(0)
        let hostCalls = WapcHostCalls()
        hostCalls.register(namespace: "wasmton:test") { call in
            calls.withLock { $0 += 1 }
            return call.payload
        }
        try await withGateway(modules: ["wapc_conformance"], hostCalls: hostCalls) { _, client in
            try await client.execute(
                uri: "/v1/wapc_conformance/host", method: .post, headers: json, body: ByteBuffer(string: #""ping""#)
            ) { response in
                #expect(response.status == .ok)
                #expect(response.text == "\"ping\"\n")
            }
        }
        #expect(calls.withLock { $0 } == 1)
    }

    @Test("with no slice every call runs on a guest thread, with the same answers")
    func noSlice() async throws {
        try await withGateway(modules: ["cuckoo_filter"], configure: { $0.callSlice = nil }) { _, client in
            try await Self.expectFooKnown(client)
        }
    }
}

@Suite("Quick operations")
struct QuickOperationsTests {
    @Test("an operation is tried in a slice after three quick runs; a slow run or a cut-off call sends it back")
    func proofAndDemotion() {
        let quick = QuickOperations(slice: .milliseconds(4))
        #expect(!quick.isQuick("op"))
        for _ in 0..<2 { quick.record("op", took: .microseconds(10)) }
        #expect(!quick.isQuick("op"))
        quick.record("op", took: .microseconds(10))
        #expect(quick.isQuick("op"))
        #expect(!quick.isQuick("other"), "per operation")
        quick.record("op", took: nil)
        #expect(!quick.isQuick("op"), "cut off in a slice: back to guest threads")
        for _ in 0..<3 { quick.record("op", took: .microseconds(10)) }
        quick.record("op", took: .milliseconds(2))
        #expect(!quick.isQuick("op"), "a run over a quarter of the slice resets the streak")
    }
}
