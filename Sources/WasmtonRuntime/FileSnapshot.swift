import Foundation

/// What a file looked like (where it resolves to, modification time and size), to notice that
/// it changed. Symbolic links are followed: Kubernetes updates a mounted ConfigMap by pointing a
/// link at a new directory, leaving the file's own link untouched.
struct FileSnapshot: Equatable {
    var resolved: String
    var modified: Date?
    var size: Int?

    init(_ path: String) {
        resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        let attributes = try? FileManager.default.attributesOfItem(atPath: resolved)
        modified = attributes?[.modificationDate] as? Date
        size = (attributes?[.size] as? NSNumber)?.intValue
    }
}
