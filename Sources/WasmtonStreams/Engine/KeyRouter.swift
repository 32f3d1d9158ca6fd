import WasmtonRuntime

/// Chooses the sub-partition (worker lane) of each record of a partition, so that records of one
/// key are always processed by the same lane, one at a time and in offset order, while different
/// keys run concurrently. Keyless records are spread round-robin, as Decaton does.
///
/// The hash is the runtime's FNV-1a (`ContentHash`) over the key bytes: stable across processes and restarts (Swift's `Hasher`
/// is seeded per process), so a key's lane does not depend on which instance consumes it.
public struct KeyRouter: Sendable {
    /// The number of lanes (partition concurrency), at least 1.
    public let lanes: Int
    private var nextKeyless = 0

    public init(lanes: Int) {
        self.lanes = max(1, lanes)
    }

    /// The lane for a record with `key` (`nil` for keyless).
    public mutating func lane(for key: [UInt8]?) -> Int {
        guard let key else {
            defer { nextKeyless = (nextKeyless + 1) % lanes }
            return nextKeyless
        }
        return Self.lane(forKey: key, lanes: lanes)
    }

    /// The lane of a keyed record; the same for every router with the same lane count.
    public static func lane(forKey key: [UInt8], lanes: Int) -> Int {
        Int(ContentHash(key).value % UInt64(max(1, lanes)))
    }
}
