import Foundation

/// What a file looked like (modification time and size), to notice that it changed.
struct FileStamp: Equatable {
    var modified: Date?
    var size: Int?

    init(_ path: String) {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        modified = attributes?[.modificationDate] as? Date
        size = (attributes?[.size] as? NSNumber)?.intValue
    }
}
