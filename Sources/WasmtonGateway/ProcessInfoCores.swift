import Foundation

/// The active processor count, behind a tiny seam so the configuration file stays Foundation-free.
enum ProcessInfoCores {
    static var count: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }
}
