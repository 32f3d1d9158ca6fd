import Tracing
import WasmtonContracts

/// OpenTelemetry spans for records, through swift-distributed-tracing (no-ops unless the
/// application bootstrapped a tracer): a `record` span per task, child of the producer's trace
/// when the record carries a W3C `traceparent` header, with `guest call` and `produce` children.
enum RecordTracing {
    /// Whether the application bootstrapped a tracer; without one no span is made at all (a
    /// no-op span still costs its name and attributes on every record).
    static var isEnabled: Bool { !(InstrumentationSystem.tracer is NoOpTracer) }

    /// Starts the span of one task.
    static func start(_ task: StreamTask, module: String) -> any Span {
        var context = ServiceContext.topLevel
        InstrumentationSystem.instrument.extract(task.headers, into: &context, using: HeaderExtractor())
        let span = InstrumentationSystem.tracer.startSpan("record \(task.topic)", context: context, ofKind: .consumer)
        span.attributes["messaging.destination.name"] = task.topic
        span.attributes["messaging.destination.partition.id"] = "\(task.partition)"
        span.attributes["messaging.kafka.offset"] = Int(task.offset)
        span.attributes["wasmton.module"] = module
        return span
    }

    /// Runs `body` in a child span of `parent`; a thrown error marks the span failed.
    static func child<T>(_ name: String, of parent: any Span, _ body: () throws -> T) rethrows -> T {
        let span = InstrumentationSystem.tracer.startSpan(name, context: parent.context, ofKind: .internal)
        defer { span.end() }
        do {
            return try body()
        } catch {
            span.recordError(error)
            span.setStatus(SpanStatus(code: .error))
            throw error
        }
    }

    /// Reads `traceparent` and friends from record headers.
    struct HeaderExtractor: Extractor {
        func extract(key: String, from carrier: [StreamTask.Header]) -> String? {
            carrier.last { $0.name == key }.map { String(decoding: $0.value, as: UTF8.self) }
        }
    }
}
