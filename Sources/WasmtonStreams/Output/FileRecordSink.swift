import Foundation
import Synchronization
import WasmtonContracts

/// The embedded default sink: records go to local files as JSON lines, to standard output, or
/// back into a ``LocalTopic`` (the retry topic of a file source). Each delivery is reported when
/// the line is written.
///
/// A line is `{"topic": …, "key": …, "value": …, "headers": {…}}`; a key or value that is not
/// UTF-8 is written as `"key_base64"` / `"value_base64"` instead.
public final class FileRecordSink: RecordSink {
    /// Where the records of one topic go.
    public enum Destination: Sendable {
        case jsonLinesFile(path: String)
        case standardOutput
        case localTopic(LocalTopic)
    }

    private let routes: [String: Destination]
    private let files: Mutex<[String: FileHandle]>

    /// `routes` maps topic names to destinations; files are created (or appended to) now, so a
    /// path that cannot be written fails before any record is processed.
    public init(routes: [String: Destination]) throws(StreamError) {
        self.routes = routes
        var files: [String: FileHandle] = [:]
        for case .jsonLinesFile(let path) in routes.values where files[path] == nil {
            if !FileManager.default.fileExists(atPath: path) {
                guard FileManager.default.createFile(atPath: path, contents: nil) else {
                    throw .unwritableOutput(path: path, reason: "cannot create the file")
                }
            }
            guard let handle = FileHandle(forWritingAtPath: path) else {
                throw .unwritableOutput(path: path, reason: "cannot open the file for writing")
            }
            handle.seekToEndOfFile()
            files[path] = handle
        }
        self.files = Mutex(files)
    }

    public func send(_ record: OutgoingRecord, onDelivery: @escaping @Sendable (Result<Void, StreamError>) -> Void) {
        guard let destination = routes[record.topic] else {
            onDelivery(.failure(.invalidSettings("no destination for topic \(record.topic)")))
            return
        }
        switch destination {
        case .localTopic(let topic):
            topic.append(key: record.key, value: record.value, headers: record.headers)
            onDelivery(.success(()))
        case .standardOutput:
            onDelivery(write(Self.line(record), path: "standard output", to: FileHandle.standardOutput))
        case .jsonLinesFile(let path):
            let result = files.withLock { files in
                write(Self.line(record), path: path, to: files[path]!)
            }
            onDelivery(result)
        }
    }

    public func flush(timeout: Duration) {}

    public func close() {
        files.withLock { files in
            for handle in files.values { try? handle.close() }
            files.removeAll()
        }
    }

    private func write(_ line: Data, path: String, to handle: FileHandle) -> Result<Void, StreamError> {
        do {
            try handle.write(contentsOf: line)
            return .success(())
        } catch {
            return .failure(.unwritableOutput(path: path, reason: "\(error.localizedDescription)"))
        }
    }

    static func line(_ record: OutgoingRecord) -> Data {
        var object: [String: Any] = ["topic": record.topic]
        func put(_ bytes: [UInt8], as name: String) {
            if let text = String(validating: bytes, as: UTF8.self) {
                object[name] = text
            } else {
                object[name + "_base64"] = Data(bytes).base64EncodedString()
            }
        }
        if let key = record.key { put(key, as: "key") } else { object["key"] = NSNull() }
        put(record.value, as: "value")
        if !record.headers.isEmpty {
            var headers: [String: Any] = [:]
            for header in record.headers {
                let value = String(decoding: header.value, as: UTF8.self)
                if let existing = headers[header.name] {
                    headers[header.name] = ((existing as? [String]) ?? [existing as! String]) + [value]
                } else {
                    headers[header.name] = value
                }
            }
            object["headers"] = headers
        }
        var data =
            (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        data.append(UInt8(ascii: "\n"))
        return data
    }
}
