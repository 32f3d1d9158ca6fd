import Foundation
import WasmtonContracts

/// The JSON of one capture-file line. The file is JSON lines: a header
/// `{"kind":"records"|"wapc","wasmton-capture":1}`, then one entry per line. Bytes (keys,
/// values, header values, payloads) are base64, so any record survives the round trip.
///
/// A record: `{"headers":[{"name":…,"value":…}],"key":…|null,"offset":…,"partition":…,
/// "timestamp":…|null,"topic":…,"value":…}`. A waPC request: `{"module":…,"operation":…,
/// "payload":…,"timestamp":…|null}`. Timestamps are milliseconds since 1970.
enum CaptureLine {
    static let version = 1

    struct Header: Codable {
        var version: Int
        var kind: String

        enum CodingKeys: String, CodingKey {
            case version = "wasmton-capture"
            case kind
        }
    }

    struct RecordHeader: Codable {
        var name: String
        var value: Data
    }

    struct Record: Codable {
        var topic: String
        var partition: Int32
        var offset: Int64
        var timestamp: Int64?
        var key: Data?
        var value: Data
        var headers: [RecordHeader]?

        // Written with explicit nulls, so a reader sees every field of the format.
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(topic, forKey: .topic)
            try container.encode(partition, forKey: .partition)
            try container.encode(offset, forKey: .offset)
            try container.encode(timestamp, forKey: .timestamp)
            try container.encode(key, forKey: .key)
            try container.encode(value, forKey: .value)
            try container.encode(headers ?? [], forKey: .headers)
        }
    }

    struct Request: Codable {
        var module: String
        var operation: String
        var payload: Data
        var timestamp: Int64?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(module, forKey: .module)
            try container.encode(operation, forKey: .operation)
            try container.encode(payload, forKey: .payload)
            try container.encode(timestamp, forKey: .timestamp)
        }
    }

    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    static func header(_ kind: CaptureKind) -> [UInt8] {
        Array((try? encoder().encode(Header(version: version, kind: kind.rawValue))) ?? Data())
    }

    static func encode(_ record: CapturedRecord, with encoder: JSONEncoder) -> [UInt8] {
        let task = record.task
        let line = Record(
            topic: task.topic, partition: task.partition, offset: task.offset, timestamp: record.timestampMilliseconds,
            key: task.key.map { Data($0) }, value: Data(task.value),
            headers: task.headers.map { RecordHeader(name: $0.name, value: Data($0.value)) })
        // Encoding plain strings, numbers and Data cannot fail.
        return Array((try? encoder.encode(line)) ?? Data())
    }

    static func encode(_ request: CapturedRequest, with encoder: JSONEncoder) -> [UInt8] {
        let line = Request(
            module: request.module, operation: request.operation, payload: Data(request.payload),
            timestamp: request.timestampMilliseconds)
        return Array((try? encoder.encode(line)) ?? Data())
    }

    /// The reason a line does not decode, in a user's words.
    static func reason(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _):
            return "missing \"\(key.stringValue)\""
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return "\"\(path)\" has the wrong type (\(context.debugDescription))"
        case DecodingError.dataCorrupted(let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? "not valid JSON" : "\"\(path)\": \(context.debugDescription)"
        default:
            return "\(error)"
        }
    }
}
