import Foundation
public import WasmtonContracts

/// A state directory (`--state-dir`): one SQLite store per partition, `partition-N.sqlite`.
public enum StateDirectory {
    /// The store file of `partition` in `directory`.
    public static func storePath(_ directory: String, partition: Int32) -> String {
        URL(fileURLWithPath: directory).appendingPathComponent("partition-\(partition).sqlite").path
    }

    /// Opens (creating the directory and file) the store of `partition`.
    public static func open(
        _ directory: String, partition: Int32, limits: StateLimits = StateLimits(), continuingOffsets: Bool = false
    ) throws(StateStoreError) -> PartitionStateStore {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw .unusable(path: directory, reason: "cannot create the state directory: \(error.localizedDescription)")
        }
        return try PartitionStateStore(
            path: storePath(directory, partition: partition), limits: limits, continuingOffsets: continuingOffsets)
    }

    /// The partitions that have a store in `directory`, in order.
    public static func partitions(in directory: String) throws(StateStoreError) -> [Int32] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .unusable(path: directory, reason: "no such state directory")
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.compactMap { name -> Int32? in
            guard name.hasPrefix("partition-"), name.hasSuffix(".sqlite") else { return nil }
            return Int32(name.dropFirst("partition-".count).dropLast(".sqlite".count))
        }.sorted()
    }
}
