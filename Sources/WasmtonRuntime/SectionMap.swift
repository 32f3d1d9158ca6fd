/// Where each section of a Wasm binary sits, read straight from the bytes.
///
/// WasmKit's parser does not report section boundaries, yet users need them twice: the
/// `inspect` section table (offsets exactly as `wasm-objdump -h` prints them) and error
/// messages that say which section a bad byte is in. This reads only section headers,
/// so it works on modules the engine rejects.
public struct SectionMap: Sendable, Equatable {
    /// One section: its id, where its payload starts and ends, and its item count.
    public struct Section: Sendable, Equatable {
        /// Position among all sections, from 0, custom sections included.
        public var index: Int
        /// The section id (0 is custom).
        public var id: UInt8
        /// `Type`, `Import`, …, or `Custom`.
        public var name: String
        /// For custom sections, the name stored in the section.
        public var customName: String?
        /// Offset of the section id byte.
        public var headerStart: Int
        /// Offset of the first payload byte (what `wasm-objdump -h` calls `start`).
        public var start: Int
        /// Offset one past the last payload byte.
        public var end: Int
        /// Items in the section (the leading vector count), for sections that have one.
        public var count: Int?

        public var size: Int { end - start }
    }

    /// Why the bytes are not a well-formed sequence of sections.
    public enum Problem: Error, Equatable, Sendable {
        case badMagic
        case badVersion([UInt8])
        /// The file ends inside the header or payload of a section.
        case truncated(section: String?, offset: Int)
        /// A section id that no proposal defines.
        case unknownSection(id: UInt8, offset: Int)
        /// A malformed LEB128 number.
        case badLEB(offset: Int)
    }

    public var sections: [Section]

    /// Reads the section headers of `bytes`.
    public init(bytes: [UInt8]) throws(Problem) {
        guard bytes.count >= 4, bytes[0..<4].elementsEqual([0x00, 0x61, 0x73, 0x6D]) else {
            throw .badMagic
        }
        guard bytes.count >= 8 else { throw .truncated(section: nil, offset: bytes.count) }
        let version = Array(bytes[4..<8])
        guard version == [1, 0, 0, 0] else { throw .badVersion(version) }
        var sections: [Section] = []
        var cursor = 8
        while cursor < bytes.count {
            let headerStart = cursor
            let id = bytes[cursor]
            cursor += 1
            guard let name = Self.name(ofSection: id) else {
                throw .unknownSection(id: id, offset: headerStart)
            }
            let size = try Self.readULEB(bytes, &cursor, section: name)
            let start = cursor
            // Compare in UInt64 first: a hostile size near 2^64 must not overflow Int.
            guard size <= UInt64(bytes.count - start) else {
                throw .truncated(section: name, offset: bytes.count)
            }
            let end = start + Int(size)
            var section = Section(
                index: sections.count, id: id, name: name, customName: nil,
                headerStart: headerStart, start: start, end: end, count: nil)
            var payload = start
            switch id {
            case 0:
                let length = try Self.readULEB(bytes, &payload, section: name, limit: end)
                if length <= UInt64(end - payload) {
                    section.customName = String(decoding: bytes[payload..<(payload + Int(length))], as: UTF8.self)
                }
            case 8:
                break  // start: a function index, not a count
            case 12:
                section.count = Int(exactly: try Self.readULEB(bytes, &payload, section: name, limit: end))
            default:
                if start < end {
                    section.count = Int(exactly: try Self.readULEB(bytes, &payload, section: name, limit: end))
                }
            }
            sections.append(section)
            cursor = end
        }
        self.sections = sections
    }

    /// The section whose header or payload contains `offset`.
    public func section(containing offset: Int) -> Section? {
        sections.first { $0.headerStart <= offset && offset < $0.end }
    }

    /// The name `wasm-objdump` uses for a section id, or `nil` for an unknown id.
    public static func name(ofSection id: UInt8) -> String? {
        switch id {
        case 0: return "Custom"
        case 1: return "Type"
        case 2: return "Import"
        case 3: return "Function"
        case 4: return "Table"
        case 5: return "Memory"
        case 6: return "Global"
        case 7: return "Export"
        case 8: return "Start"
        case 9: return "Elem"
        case 10: return "Code"
        case 11: return "Data"
        case 12: return "DataCount"
        case 13: return "Tag"
        default: return nil
        }
    }

    private static func readULEB(
        _ bytes: [UInt8], _ cursor: inout Int, section: String, limit: Int? = nil
    ) throws(Problem) -> UInt64 {
        let end = limit ?? bytes.count
        var result: UInt64 = 0
        var shift: UInt64 = 0
        let begin = cursor
        while true {
            guard cursor < end else { throw .truncated(section: section, offset: cursor) }
            let byte = bytes[cursor]
            cursor += 1
            guard shift < 64 else { throw .badLEB(offset: begin) }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
            guard cursor - begin < 10 else { throw .badLEB(offset: begin) }
        }
    }
}
