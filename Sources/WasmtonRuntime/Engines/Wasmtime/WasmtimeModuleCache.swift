import Foundation
import Logging
import Synchronization

/// Compiled modules on disk, so that a restart or a hot reload of an unchanged module skips
/// Cranelift (seconds for a large module) and costs a read and Wasmtime's deserialization.
///
/// An entry is named by the module's content hash and length and by the engine's fingerprint
/// (the library file and the settings that shape code), and carries a checksum of its payload:
/// a truncated, corrupt or foreign entry is ignored and rebuilt, never handed to Wasmtime, which
/// trusts the bytes it deserializes. The directory is created readable by its owner only. If it
/// cannot be written, modules are compiled in memory and one warning says so.
final class WasmtimeModuleCache: Sendable {
    let directory: String
    private let fingerprint: UInt64
    private let warned = Atomic<Bool>(false)
    private let logger = Logger(label: "wasmton.runtime")
    private static let magic = Array("WASMTON-CWASM-1\n".utf8)

    init(directory: String, library: WasmtimeLibrary, settings: String) {
        self.directory = directory
        var identity = library.path + "|" + settings
        if let attributes = try? FileManager.default.attributesOfItem(atPath: library.path) {
            identity += "|\(attributes[.size] ?? 0)|\((attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)"
        }
        fingerprint = ContentHash(Array(identity.utf8)).value
    }

    private func path(for binary: [UInt8]) -> String {
        let hash = String(ContentHash(binary).value, radix: 16)
        return "\(directory)/\(hash)-\(binary.count)-\(String(fingerprint, radix: 16)).cwasm"
    }

    /// The serialized module for `binary`, if a sound entry exists.
    func load(_ binary: [UInt8]) -> [UInt8]? {
        guard let data = FileManager.default.contents(atPath: path(for: binary)) else { return nil }
        let bytes = [UInt8](data)
        let header = Self.magic.count + 8
        guard bytes.count > header, Array(bytes[0..<Self.magic.count]) == Self.magic else { return nil }
        let payload = Array(bytes[header...])
        guard bytes.littleEndian(UInt64.self, at: Self.magic.count) == ContentHash(payload).value else { return nil }
        return payload
    }

    /// Writes the serialized module for `binary` (atomically: a reader sees the old entry or the
    /// new one). A failure is reported once, as a warning, and otherwise ignored.
    func store(_ serialized: [UInt8], for binary: [UInt8]) {
        do {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let entry = Self.magic + [UInt8].littleEndian(ContentHash(serialized).value) + serialized
            try Data(entry).write(to: URL(fileURLWithPath: path(for: binary)), options: .atomic)
        } catch {
            if !warned.exchange(true, ordering: .relaxed) {
                logger.warning(
                    "module cache \(directory) is not writable (\(error.localizedDescription)); compiling modules in memory")
            }
        }
    }
}
