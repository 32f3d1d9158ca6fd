import Foundation
import Testing
import WasmtonKafka

/// Integration tests against a real broker (tansu in CI): set WASMTON_KAFKA_BOOTSTRAP to run them.
@Suite("Kafka client against a broker", .enabled(if: brokerConfigured, "set WASMTON_KAFKA_BOOTSTRAP"))
struct KafkaBrokerTests {
    @Test("createTopic twice succeeds; watermarks follow what was produced")
    func createTopicAndWatermarks() throws {
        let topic = uniqueName("admin")
        try KafkaAdmin.createTopic(topic, partitions: 2, properties: producerProperties())
        try KafkaAdmin.createTopic(topic, partitions: 2, properties: producerProperties())
        let bootstrapOnly: KafkaProperties = [("bootstrap.servers", testBootstrap!)]
        let empty = try KafkaAdmin.watermarks(
            of: KafkaPartition(topic: topic, partition: 1), properties: bootstrapOnly, timeoutMilliseconds: 10000)
        #expect(empty.low == 0 && empty.high == 0)
        let records = (0..<7).map { Outgoing(partition: 0, key: nil, value: "v\($0)".bytes, headers: []) }
        let results = try produceAll(records, topic: topic)
        #expect(results.allSatisfy { if case .success? = $0 { true } else { false } })
        let marks = try KafkaAdmin.watermarks(
            of: KafkaPartition(topic: topic, partition: 0), properties: bootstrapOnly, timeoutMilliseconds: 10000)
        #expect(marks.low == 0 && marks.high == 7)
    }

    @Test("a compacted topic is created with its config; partitionCount reads a topic's partitions")
    func compactedTopicAndPartitionCount() throws {
        let topic = uniqueName("compacted")
        try KafkaAdmin.createTopic(
            topic, partitions: 3, config: [("cleanup.policy", "compact")], properties: producerProperties())
        #expect(try KafkaAdmin.partitionCount(of: topic, properties: producerProperties()) == 3)
    }

    @Test("assign reads one partition from a given offset, outside any group's assignment")
    func assignFromOffset() throws {
        let topic = uniqueName("assign")
        try KafkaAdmin.createTopic(topic, partitions: 2, properties: producerProperties())
        let records = (0..<10).map { Outgoing(partition: 1, key: nil, value: "v\($0)".bytes, headers: []) }
        _ = try produceAll(records, topic: topic)
        let consumer = try KafkaConsumer(properties: consumerProperties(group: uniqueName("reader")), onRebalance: { _ in })
        defer { consumer.close() }
        try consumer.assign([KafkaPartition(topic: topic, partition: 1): 6])
        var values: [String] = []
        let deadline = ContinuousClock.now + .seconds(20)
        while values.count < 4, ContinuousClock.now < deadline {
            values += try consumer.poll(maxRecords: 100, timeoutMilliseconds: 200).map {
                String(decoding: $0.value, as: UTF8.self)
            }
        }
        #expect(values == ["v6", "v7", "v8", "v9"])
    }

    @Test("1000 keyed records with headers come back exactly, in order per partition")
    func produceAndConsume() throws {
        let topic = uniqueName("roundtrip")
        try KafkaAdmin.createTopic(topic, partitions: 4, properties: producerProperties())
        let count = 1000
        let outgoing = (0..<count).map { index in
            Outgoing(
                partition: nil, key: "key-\(index % 37)".bytes, value: "value-\(index)".bytes,
                headers: [
                    KafkaHeader(name: "seq", value: "\(index)".bytes), KafkaHeader(name: "src", value: "test".bytes),
                    KafkaHeader(name: "empty", value: []),
                ])
        }
        let deliveries = try produceAll(outgoing, topic: topic)
        var expectedPlace: [Int: (partition: Int32, offset: Int64)] = [:]
        for (index, delivery) in deliveries.enumerated() {
            guard case .success(let place)? = delivery else {
                Issue.record("record \(index) not delivered: \(String(describing: delivery))")
                return
            }
            expectedPlace[index] = place
        }

        let consumer = try KafkaConsumer(
            properties: consumerProperties(group: uniqueName("roundtrip")), onRebalance: { _ in })
        defer { consumer.close() }
        try consumer.subscribe([topic])
        let received = try pollUntil(consumer, seconds: 30, maxRecords: 500) { $0.count >= count }
        #expect(received.count == count)
        var lastOffset: [Int32: Int64] = [:]
        var seen = Set<Int>()
        for record in received {
            #expect(record.topic == topic)
            #expect(record.timestampMilliseconds != nil)
            if let last = lastOffset[record.partition] {
                #expect(record.offset == last + 1, "offsets in order in \(record.topic)/\(record.partition)")
            }
            lastOffset[record.partition] = record.offset
            guard let seqHeader = record.headers.first, seqHeader.name == "seq",
                let index = Int(String(decoding: seqHeader.value, as: UTF8.self)), index >= 0, index < count
            else {
                Issue.record("record without a seq header at \(record.partition)@\(record.offset)")
                continue
            }
            #expect(seen.insert(index).inserted)
            #expect(record.key == outgoing[index].key)
            #expect(record.value == outgoing[index].value)
            #expect(record.headers == outgoing[index].headers)
            #expect(expectedPlace[index]?.partition == record.partition && expectedPlace[index]?.offset == record.offset)
        }
        #expect(seen.count == count)
    }

    @Test("a new member of the group resumes from the synchronously committed offsets")
    func commitAndResume() throws {
        let topic = uniqueName("commit")
        let group = uniqueName("commit")
        try KafkaAdmin.createTopic(topic, partitions: 2, properties: producerProperties())
        let perPartition = 40
        let outgoing = (0..<(2 * perPartition)).map {
            Outgoing(partition: Int32($0 % 2), key: nil, value: "v\($0)".bytes, headers: [])
        }
        _ = try produceAll(outgoing, topic: topic)
        let partitions = [KafkaPartition(topic: topic, partition: 0), KafkaPartition(topic: topic, partition: 1)]
        let committedOffsets: [KafkaPartition: Int64] = [partitions[0]: 15, partitions[1]: 25]

        let commitResults = Locked<[KafkaError?]>([])
        let first = try KafkaConsumer(
            properties: consumerProperties(group: group), onRebalance: { _ in },
            onCommit: { _, error in commitResults.update { $0.append(error) } })
        try first.subscribe([topic])
        let all = try pollUntil(first, seconds: 30) { $0.count >= 2 * perPartition }
        #expect(all.count == 2 * perPartition)
        try first.commit(committedOffsets, synchronously: true)
        #expect(try first.committed(partitions, timeoutMilliseconds: 10000) == committedOffsets)
        // The same offsets again, asynchronously: the result arrives through onCommit during poll.
        try first.commit(committedOffsets, synchronously: false)
        _ = try pollUntil(first, seconds: 10) { _ in !commitResults.value.isEmpty }
        #expect(commitResults.value.count == 1 && commitResults.value.first! == nil)
        first.close()

        let second = try KafkaConsumer(properties: consumerProperties(group: group), onRebalance: { _ in })
        defer { second.close() }
        try second.subscribe([topic])
        #expect(try second.committed(partitions, timeoutMilliseconds: 10000) == committedOffsets)
        let expectedCount = (perPartition - 15) + (perPartition - 25)
        let rest = try pollUntil(second, seconds: 30) { $0.count >= expectedCount }
        #expect(rest.count == expectedCount)
        for partition in partitions {
            let offsets = rest.filter { $0.partition == partition.partition }.map(\.offset)
            #expect(offsets.first == committedOffsets[partition])
            #expect(offsets.last == Int64(perPartition - 1))
        }
        let extra = try pollUntil(second, seconds: 1) { _ in false }
        #expect(extra.isEmpty)
    }

    @Test("pause stops one partition's delivery; resume continues after the last delivered record")
    func pauseAndResume() throws {
        let topic = uniqueName("pause")
        try KafkaAdmin.createTopic(topic, partitions: 2, properties: producerProperties())
        let perPartition = 60
        let outgoing = (0..<(2 * perPartition)).map {
            Outgoing(partition: Int32($0 % 2), key: nil, value: "v\($0)".bytes, headers: [])
        }
        _ = try produceAll(outgoing, topic: topic)
        let paused = KafkaPartition(topic: topic, partition: 0)

        let consumer = try KafkaConsumer(
            properties: consumerProperties(group: uniqueName("pause")), onRebalance: { _ in })
        defer { consumer.close() }
        try consumer.subscribe([topic])
        // Small batches so the paused partition still has records left when it is paused.
        let before = try pollUntil(consumer, seconds: 30, maxRecords: 3) { records in
            records.contains { $0.partition == 0 }
        }
        let lastBeforePause = try #require(before.filter { $0.partition == 0 }.map(\.offset).max())
        #expect(lastBeforePause < Int64(perPartition - 1))
        consumer.pause([paused])
        let whilePaused = try pollUntil(consumer, seconds: 30, maxRecords: 3) { records in
            (before + records).filter { $0.partition == 1 }.count >= perPartition
        }
        #expect(whilePaused.allSatisfy { $0.partition == 1 }, "nothing from the paused partition")
        let quiet = try pollUntil(consumer, seconds: 1.5) { _ in false }
        #expect(quiet.isEmpty)

        consumer.resume([paused])
        let after = try pollUntil(consumer, seconds: 30) { records in
            records.last?.offset == Int64(perPartition - 1)
        }
        #expect(after.allSatisfy { $0.partition == 0 })
        #expect(after.first?.offset == lastBeforePause + 1)
        #expect(after.count == perPartition - 1 - Int(lastBeforePause))
    }

    @Test(
        "a second member splits the partitions; the first commits in its revoke handler",
        arguments: ["range,roundrobin", "cooperative-sticky"])
    func rebalanceWithCommitOnRevoke(strategy: String) throws {
        let strategyProperty: KafkaProperties = [("partition.assignment.strategy", strategy)]
        let topic = uniqueName("rebalance")
        let group = uniqueName("rebalance")
        try KafkaAdmin.createTopic(topic, partitions: 4, properties: producerProperties())
        let count = 80
        let outgoing = (0..<count).map { Outgoing(partition: Int32($0 % 4), key: nil, value: "v\($0)".bytes, headers: []) }
        _ = try produceAll(outgoing, topic: topic)
        let allPartitions = (0..<4).map { KafkaPartition(topic: topic, partition: Int32($0)) }

        // What the first member processed (next offsets), and what its revoke handler committed.
        let progress = Locked<[KafkaPartition: Int64]>([:])
        let committedOnRevoke = Locked<[KafkaPartition: Int64]>([:])
        let events1 = Locked<[KafkaConsumer.RebalanceEvent]>([])
        let revokeErrors = Locked<[String]>([])
        let firstRef = Locked<KafkaConsumer?>(nil)
        let first = try KafkaConsumer(
            properties: consumerProperties(group: group, extra: strategyProperty),
            onRebalance: { event in
                events1.update { $0.append(event) }
                guard case .revoked(let partitions) = event, let consumer = firstRef.value else { return }
                let done = progress.value.filter { partitions.contains($0.key) }
                do {
                    try consumer.commit(done, synchronously: true)
                    committedOnRevoke.update { $0.merge(done) { _, new in new } }
                } catch {
                    revokeErrors.update { $0.append("\(error)") }
                }
            })
        firstRef.update { $0 = first }
        defer {
            first.close()
            firstRef.update { $0 = nil }
        }
        try first.subscribe([topic])
        let consumedByFirst = try pollUntil(first, seconds: 30) { $0.count >= count }
        #expect(consumedByFirst.count == count)
        for record in consumedByFirst {
            progress.update { $0[record.kafkaPartition] = record.offset + 1 }
        }
        #expect(Set(first.assignment) == Set(allPartitions))

        let events2 = Locked<[KafkaConsumer.RebalanceEvent]>([])
        let second = try KafkaConsumer(
            properties: consumerProperties(group: group, extra: strategyProperty),
            onRebalance: { event in events2.update { $0.append(event) } })
        defer { second.close() }
        try second.subscribe([topic])
        var extraRecords: [KafkaRecord] = []
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            extraRecords += try first.poll(maxRecords: 100, timeoutMilliseconds: 50)
            extraRecords += try second.poll(maxRecords: 100, timeoutMilliseconds: 50)
            let a = first.assignment
            let b = second.assignment
            if !a.isEmpty && !b.isEmpty && Set(a).union(b) == Set(allPartitions) && Set(a).isDisjoint(with: b) { break }
        }
        let a = first.assignment
        let b = second.assignment
        #expect(!a.isEmpty && !b.isEmpty, "both members own partitions (\(a.count) + \(b.count))")
        #expect(Set(a).union(b) == Set(allPartitions) && a.count + b.count == 4)
        #expect(events1.value.contains { if case .revoked = $0 { true } else { false } }, "the first member saw a revoke")
        #expect(events2.value.contains { if case .assigned(let p) = $0 { !p.isEmpty } else { false } })
        #expect(revokeErrors.value.isEmpty)
        // Eager: everything is revoked and committed; cooperative: only the partitions that moved.
        let revoked = Set(
            events1.value.flatMap { event -> [KafkaPartition] in
                if case .revoked(let partitions) = event { return partitions }
                return []
            })
        if strategy == "cooperative-sticky" {
            #expect(revoked == Set(b), "cooperative: only the partitions that moved are revoked")
        } else {
            #expect(revoked == Set(allPartitions), "eager: the whole assignment is revoked")
        }
        #expect(committedOnRevoke.value == progress.value.filter { revoked.contains($0.key) })
        #expect(try second.committed(allPartitions, timeoutMilliseconds: 10000) == committedOnRevoke.value)
        // Everything was committed before the hand-over: nothing is delivered again.
        extraRecords += try pollUntil(second, seconds: 1) { _ in false }
        #expect(extraRecords.isEmpty)
    }

    @Test("close() runs the final revoke, whose handler may still commit synchronously")
    func commitOnCloseRevoke() throws {
        let topic = uniqueName("closecommit")
        let group = uniqueName("closecommit")
        try KafkaAdmin.createTopic(topic, partitions: 2, properties: producerProperties())
        _ = try produceAll((0..<20).map { Outgoing(partition: Int32($0 % 2), key: nil, value: [], headers: []) }, topic: topic)
        let progress = Locked<[KafkaPartition: Int64]>([:])
        let consumerRef = Locked<KafkaConsumer?>(nil)
        let revokeCommitted = Locked(false)
        let consumer = try KafkaConsumer(
            properties: consumerProperties(group: group),
            onRebalance: { event in
                guard case .revoked = event, let consumer = consumerRef.value else { return }
                if (try? consumer.commit(progress.value, synchronously: true)) != nil {
                    revokeCommitted.update { $0 = true }
                }
            })
        consumerRef.update { $0 = consumer }
        try consumer.subscribe([topic])
        let records = try pollUntil(consumer, seconds: 30) { $0.count >= 20 }
        #expect(records.count == 20)
        for record in records.prefix(13) {
            progress.update { $0[record.kafkaPartition] = record.offset + 1 }
        }
        consumer.close()
        consumerRef.update { $0 = nil }
        #expect(revokeCommitted.value)

        let reader = try KafkaConsumer(properties: consumerProperties(group: group), onRebalance: { _ in })
        defer { reader.close() }
        let partitions = (0..<2).map { KafkaPartition(topic: topic, partition: Int32($0)) }
        #expect(try reader.committed(partitions, timeoutMilliseconds: 10000) == progress.value)
    }

    @Test("close() from inside a rebalance handler completes when the poll returns")
    func closeFromHandler() throws {
        let topic = uniqueName("selfclose")
        try KafkaAdmin.createTopic(topic, partitions: 1, properties: producerProperties())
        let consumerRef = Locked<KafkaConsumer?>(nil)
        let events = Locked<[KafkaConsumer.RebalanceEvent]>([])
        let consumer = try KafkaConsumer(
            properties: consumerProperties(group: uniqueName("selfclose")),
            onRebalance: { event in
                events.update { $0.append(event) }
                if case .assigned = event {
                    consumerRef.value?.close()
                }
            })
        consumerRef.update { $0 = consumer }
        defer { consumerRef.update { $0 = nil } }
        try consumer.subscribe([topic])
        let deadline = Date().addingTimeInterval(30)
        var closedError: KafkaError?
        while Date() < deadline {
            do {
                _ = try consumer.poll(maxRecords: 10, timeoutMilliseconds: 100)
            } catch {
                closedError = error
                break
            }
        }
        #expect(closedError == .closed)
        #expect(consumer.isClosed)
        #expect(events.value.count == 2, "assigned, then the final revoke: \(events.value)")
    }
}
