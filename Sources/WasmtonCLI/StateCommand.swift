import ArgumentParser
import Foundation
import WasmtonMessagePack
import WasmtonStreams

/// `wasmton state --state-dir DIR --json [--key K]`: what a stateful processor has stored, as
/// JSON (every partition's store of the directory; stop the processor first, it holds them).
struct StateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "state",
        abstract: "Print the key-scoped state a processor keeps in a --state-dir.",
        discussion: """
            Prints one JSON object from key to value: text when the bytes are UTF-8, {"$bin": base64} otherwise \
            (a key that is not UTF-8 is written "$bin:BASE64"). \
            A key with named sub-keys maps to an object from sub-key name to value ("" is the key's own value). \
            A processor holds its stores while it runs: inspect them once it has stopped.
            """)

    @Option(help: ArgumentHelp("The state directory of `wasmton process --state-dir`.", valueName: "DIR"))
    var stateDir: String

    @Option(help: ArgumentHelp("Print only this key's value (its JSON form); exits 1 when it has none.", valueName: "KEY"))
    var key: String?

    @Flag(help: "Print JSON (the only format; the flag is for scripts that say so).")
    var json = false

    @Flag(help: "Print per-partition figures (keys, bytes) instead of the state.")
    var stats = false

    func run() throws {
        try reportingFailures {
            var rows: [(key: [UInt8], name: String, value: [UInt8])] = []
            var partitions: [MessagePackValue.Pair] = []
            do throws(StateStoreError) {
                for partition in try StateDirectory.partitions(in: stateDir) {
                    let store = try StateDirectory.open(stateDir, partition: partition)
                    defer { store.close() }
                    rows += try store.entries().map { ($0.key, $0.name, $0.value) }
                    partitions.append(
                        .init(
                            key: .string(String(partition)),
                            value: .map([
                                .init(key: "keys", value: .int(Int64(store.keyCount))),
                                .init(key: "bytes", value: .int(Int64(store.storedBytes))),
                            ])))
                }
            } catch {
                throw CLIError.stream(.state(error.description))
            }
            if stats {
                print(MessagePackValue.map(partitions).jsonText())
                return
            }
            let state = Self.object(rows)
            if let key {
                guard let value = state.first(where: { $0.key == .string(key) })?.value else {
                    throw CLIError.io("no state for key \(key) in \(stateDir)")
                }
                print(value.jsonText())
            } else {
                print(MessagePackValue.map(state).jsonText())
            }
        }
    }

    /// Bytes as a JSON value: a string when they are UTF-8, else binary (`{"$bin": …}`).
    static func text(_ bytes: [UInt8]) -> MessagePackValue {
        if let text = String(validating: bytes, as: UTF8.self) { return .string(text) }
        return .binary(bytes)
    }

    /// A key as a JSON object key: its text when UTF-8, else `$bin:` and its base64 (JSON keys
    /// are strings, so the object stays a plain object).
    static func keyText(_ bytes: [UInt8]) -> String {
        String(validating: bytes, as: UTF8.self) ?? "$bin:" + Data(bytes).base64EncodedString()
    }

    /// Rows grouped by key (rows come ordered by key, then name).
    static func object(_ rows: [(key: [UInt8], name: String, value: [UInt8])]) -> [MessagePackValue.Pair] {
        var pairs: [MessagePackValue.Pair] = []
        var index = 0
        while index < rows.count {
            var end = index
            while end < rows.count, rows[end].key == rows[index].key { end += 1 }
            let group = rows[index..<end]
            let value: MessagePackValue =
                group.count == 1 && group.first?.name == ""
                ? text(group[index].value)
                : .map(group.map { .init(key: .string($0.name), value: text($0.value)) })
            pairs.append(.init(key: .string(keyText(rows[index].key)), value: value))
            index = end
        }
        return pairs
    }
}
