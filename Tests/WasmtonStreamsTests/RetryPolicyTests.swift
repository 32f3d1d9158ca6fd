import Foundation
import Testing
import WasmtonContracts

@testable import WasmtonStreams

@Suite("RetryPolicy")
struct RetryPolicyTests {
    let policy = RetryPolicy(maxRetries: 2, backoff: .milliseconds(1500), retryTopic: "in-retry", deadLetterTopic: "in-dlq")
    let task = StreamTask(
        key: Array("k".utf8), value: Array("v".utf8), headers: [.init(name: "trace", value: Array("t1".utf8))],
        topic: "in", partition: 3, offset: 42)

    private func header(_ record: OutgoingRecord?, _ name: String) -> String? {
        record?.headers.last { $0.name == name }.map { String(decoding: $0.value, as: UTF8.self) }
    }

    @Test("a first failure goes to the retry topic with count 1, a due time, the reason and the origin")
    func firstFailure() throws {
        let now = Date(timeIntervalSince1970: 1_000)
        let (deadLetter, record) = policy.route(task, failure: "wasm trap: unreachable", now: now)
        #expect(!deadLetter)
        let retry = try #require(record)
        #expect(retry.topic == "in-retry" && retry.key == task.key && retry.value == task.value)
        #expect(header(retry, "trace") == "t1")
        #expect(header(retry, RetryPolicy.Header.retryCount) == "1")
        #expect(header(retry, RetryPolicy.Header.notBefore) == "1001500")
        #expect(header(retry, RetryPolicy.Header.failure) == "wasm trap: unreachable")
        #expect(header(retry, RetryPolicy.Header.originalTopic) == "in")
        #expect(header(retry, RetryPolicy.Header.originalPartition) == "3")
        #expect(header(retry, RetryPolicy.Header.originalOffset) == "42")
    }

    @Test("after max retries the record is dead-lettered; the origin and user headers survive every hop")
    func deadLetterAfterRetries() throws {
        var current = task
        var hops: [Bool] = []
        for attempt in 0..<3 {
            let (deadLetter, record) = policy.route(current, failure: "failure \(attempt)", now: Date())
            hops.append(deadLetter)
            let next = try #require(record)
            current = StreamTask(
                key: next.key, value: next.value, headers: next.headers, topic: next.topic, partition: 0,
                offset: Int64(attempt))
        }
        #expect(hops == [false, false, true])
        #expect(current.topic == "in-dlq")
        let last = OutgoingRecord(topic: current.topic, key: current.key, value: current.value, headers: current.headers)
        #expect(header(last, RetryPolicy.Header.retryCount) == "3")
        #expect(header(last, RetryPolicy.Header.failure) == "failure 2")
        #expect(header(last, RetryPolicy.Header.originalOffset) == "42")
        #expect(current.headers.filter { $0.name == RetryPolicy.Header.originalOffset }.count == 1)
        #expect(current.headers.filter { $0.name == RetryPolicy.Header.retryCount }.count == 1)
        #expect(header(last, "trace") == "t1")
    }

    @Test("with no retry topic a failure is dead-lettered at once; with no dead-letter topic it is dropped")
    func withoutTopics() {
        let noRetry = RetryPolicy(maxRetries: 5, retryTopic: nil, deadLetterTopic: "dlq")
        #expect(noRetry.route(task, failure: "x", now: Date()).deadLetter)
        #expect(noRetry.route(task, failure: "x", now: Date()).record?.topic == "dlq")
        let nowhere = RetryPolicy(maxRetries: 0, retryTopic: nil, deadLetterTopic: nil)
        let (deadLetter, record) = nowhere.route(task, failure: "x", now: Date())
        #expect(deadLetter && record == nil)
    }
}
