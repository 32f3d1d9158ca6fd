import Foundation
import WAT

/// Turns a file (`.wasm` binary or `.wat` text) into Wasm binary bytes.
///
/// Every command that reads a module accepts either form; text is recognised by its content
/// (anything not starting with the `\0asm` magic that looks like an S-expression), not only by
/// its extension, so `wasmton inspect module.txt` works too.
public enum ModuleFile {
    /// The Wasm binary in the file at `path`, assembled first if the file holds WebAssembly text.
    public static func read(path: String) throws(ModuleError) -> [UInt8] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .fileNotFound(path: path)
        }
        guard !isDirectory.boolValue else {
            throw .unreadable(path: path, reason: "is a directory")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .unreadable(path: path, reason: "permission denied or I/O error")
        }
        return try binary(from: [UInt8](data), path: path)
    }

    /// The Wasm binary for `bytes`, assembling them first if they are WebAssembly text.
    /// `path` only names the source in errors (and `.wat` marks it as text).
    public static func binary(from bytes: [UInt8], path: String) throws(ModuleError) -> [UInt8] {
        if bytes.starts(with: [0x00, 0x61, 0x73, 0x6D]) {
            return bytes
        }
        guard looksLikeText(bytes, path: path) else {
            if bytes.isEmpty {
                throw .notWasm(path: path, reason: "the file is empty")
            }
            let shown = bytes.prefix(4).map { String(format: "%02x", $0) }.joined(separator: " ")
            throw .notWasm(path: path, reason: "expected the magic bytes 00 61 73 6d or WebAssembly text, found \(shown)")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw .notWasm(path: path, reason: "the text is not valid UTF-8")
        }
        do {
            return try wat2wasm(text, features: WasmtonFeatures.parser)
        } catch {
            let description = error.description
            var reason = description
            if let range = description.range(of: " at Location(") {
                reason = String(description[..<range.lowerBound])
            }
            let position = error.location?.computeLineAndColumn()
            throw .invalidText(
                // WasmKit counts columns from 0 on the first line and from the newline on later ones.
                path: path, reason: reason, line: position?.line,
                column: position.map { $0.line == 1 ? $0.column + 1 : $0.column })
        }
    }

    private static func looksLikeText(_ bytes: [UInt8], path: String) -> Bool {
        if path.hasSuffix(".wat") || path.hasSuffix(".wast") { return true }
        // Skip whitespace and `;;` line comments, then expect an opening parenthesis.
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D {
                index += 1
            } else if byte == 0x3B, index + 1 < bytes.count, bytes[index + 1] == 0x3B {
                while index < bytes.count, bytes[index] != 0x0A { index += 1 }
            } else {
                return byte == 0x28
            }
        }
        return false
    }
}
