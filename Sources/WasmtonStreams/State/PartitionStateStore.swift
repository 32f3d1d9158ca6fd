import Foundation
import Synchronization
public import WasmtonContracts

/// The key-scoped state of one partition, in a SQLite database of its own (WAL mode, held
/// exclusively by this process): each row is a key's value, or a named sub-key's, with the offset
/// of the last record that changed it.
///
/// Records change state in two steps. A task's changes are first *staged* (``stage(key:offset:changes:)``,
/// on the lane that ran it), so the key's next records read them at once; once the task's outputs
/// are delivered the engine *applies* them (``apply(_:)``, one transaction for many records). A
/// change whose offset is not above the row's stored offset was applied before (the record is
/// being processed again after a crash or rebalance) and is dropped: state is changed exactly once
/// per record even though records are delivered at least once. Deletes keep the row's offset (a
/// tombstone), so a record processed again cannot bring a deleted value back.
public final class PartitionStateStore: TaskStateStore {
    /// The database file.
    public let path: String
    public let limits: StateLimits
    /// Added to a record's offset to get the offset its changes are stored with: 0 when offsets
    /// identify records across runs (Kafka), or one past the highest stored offset when each run
    /// numbers its records from 0 again (a file).
    public let offsetBase: Int64
    private let inner: Mutex<Inner>

    private struct Row: Hashable {
        var key: [UInt8]
        var name: String
    }

    private struct Inner: ~Copyable {
        var database: SQLiteDatabase?
        /// Staged changes not yet applied: the latest per row, with its offset.
        var overlay: [Row: (value: [UInt8]?, offset: Int64)] = [:]
        /// Rows as stored in the database (offset -1: no row), so that reads, the check of a
        /// change's offset and its write cost one statement, not four. This process holds the
        /// database exclusively, and every write goes through ``apply(_:)``, so it never goes stale.
        var cache: [Row: (value: [UInt8]?, offset: Int64)] = [:]
        var cacheBytes = 0

        /// The row as stored, from the cache or the database.
        mutating func stored(_ row: Row, path: String) throws(StateStoreError) -> (value: [UInt8]?, offset: Int64) {
            if let cached = cache[row] { return cached }
            let found = try PartitionStateStore.stored(row, in: database, path: path) ?? (nil, -1)
            remember(row, found)
            return found
        }

        mutating func remember(_ row: Row, _ stored: (value: [UInt8]?, offset: Int64)) {
            // Bounded: past the limit the cache starts over (rows are read again as needed).
            if cacheBytes > PartitionStateStore.cacheLimit {
                cache.removeAll(keepingCapacity: true)
                cacheBytes = 0
            }
            cache[row] = stored
            cacheBytes += row.key.count + row.name.utf8.count + (stored.value?.count ?? 0) + 48
        }
        var keys = 0
        var bytes = 0
    }

    /// One change ready to apply: the row, its new value (`nil`: deleted) and the offset of the
    /// record that made it (already including ``offsetBase``).
    public struct Change: Sendable, Equatable {
        public var key: [UInt8]
        public var name: String
        public var value: [UInt8]?
        public var offset: Int64

        public init(key: [UInt8], name: String, value: [UInt8]?, offset: Int64) {
            self.key = key
            self.name = name
            self.value = value
            self.offset = offset
        }
    }

    /// A stored row, as ``entries()`` lists them.
    public struct Entry: Sendable, Equatable {
        public var key: [UInt8]
        public var name: String
        public var value: [UInt8]
        public var offset: Int64
    }

    /// Opens (creating) the store at `path`, takes it exclusively, and checks it is readable.
    /// `continuingOffsets`: records are numbered from 0 on every run (see ``offsetBase``).
    public init(
        path: String, limits: StateLimits = StateLimits(), continuingOffsets: Bool = false
    )
        throws(StateStoreError)
    {
        self.path = path
        self.limits = limits
        let database = try SQLiteDatabase(path: path)
        // Exclusive locking: a second process on the same directory fails at once (busy)
        // instead of interleaving writes with ours; WAL then needs no shared memory.
        try database.execute(
            """
            PRAGMA busy_timeout = 200;
            PRAGMA locking_mode = EXCLUSIVE;
            PRAGMA journal_mode = WAL;
            PRAGMA synchronous = NORMAL;
            BEGIN IMMEDIATE;
            CREATE TABLE IF NOT EXISTS state (
                key BLOB NOT NULL, name TEXT NOT NULL, value BLOB, offset INTEGER NOT NULL,
                PRIMARY KEY (key, name)) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
            COMMIT;
            """)
        var keys = 0
        var bytes = 0
        var highest: Int64 = -1
        try database.query(
            "SELECT count(value), coalesce(sum(length(key) + length(CAST(name AS BLOB)) + length(value)), 0), coalesce(max(offset), -1) FROM state"
        ) { row in
            keys = Int(row.integer(0))
            bytes = Int(row.integer(1))
            highest = row.integer(2)
        }
        offsetBase = continuingOffsets ? highest + 1 : 0
        inner = Mutex(Inner(database: database, keys: keys, bytes: bytes))
    }

    /// Rows holding a value (tombstones of deleted rows are not counted).
    public var keyCount: Int { inner.withLock { $0.keys } }
    public var storedBytes: Int { inner.withLock { $0.bytes } }

    public func value(key: [UInt8], name: String) throws(TaskStateError) -> [UInt8]? {
        do {
            return try inner.withLock { inner throws(StateStoreError) in
                if let staged = inner.overlay[Row(key: key, name: name)] { return staged.value }
                return try inner.stored(Row(key: key, name: name), path: path).value
            }
        } catch {
            throw TaskStateError(error.description)
        }
    }

    /// Stages the changes a task made to `key` at record `offset` (before ``offsetBase``), so the
    /// key's later records see them. Returns the changes to apply once the task's outputs are
    /// delivered, with their stored offset, or nothing when the record's change was applied
    /// before (a row of the key holds this offset or a later one).
    public func stage(key: [UInt8], offset: Int64, changes: [StateChange]) throws(StateStoreError) -> [Change] {
        let offset = offset + offsetBase
        return try inner.withLock { inner throws(StateStoreError) -> [Change] in
            for change in changes {
                let row = Row(key: key, name: change.name)
                var latest = inner.overlay[row]?.offset
                if latest == nil { latest = try inner.stored(row, path: path).offset }
                if let latest, latest >= offset { return [] }
            }
            for change in changes {
                inner.overlay[Row(key: key, name: change.name)] = (change.value, offset)
            }
            return changes.map { Change(key: key, name: $0.name, value: $0.value, offset: offset) }
        }
    }

    /// Applies `changes` in one transaction; a change at or below its row's stored offset is
    /// skipped. Staged rows that these changes account for stop shadowing the database.
    public func apply(_ changes: [Change]) throws(StateStoreError) {
        guard !changes.isEmpty else { return }
        try inner.withLock { inner throws(StateStoreError) in
            guard let database = inner.database else { throw .unusable(path: path, reason: "the store is closed") }
            var keys = inner.keys
            var bytes = inner.bytes
            /// Rows written in this transaction, for the cache once it commits.
            var written: [Row: (value: [UInt8]?, offset: Int64)] = [:]
            try database.execute("BEGIN IMMEDIATE")
            do throws(StateStoreError) {
                for change in changes {
                    let row = Row(key: change.key, name: change.name)
                    var stored = written[row]
                    if stored == nil { stored = try inner.stored(row, path: path) }
                    guard let stored else { continue }
                    if stored.offset >= change.offset { continue }
                    let rowBytes = change.key.count + change.name.utf8.count
                    if let old = stored.value {
                        keys -= 1
                        bytes -= rowBytes + old.count
                    }
                    if let new = change.value {
                        keys += 1
                        bytes += rowBytes + new.count
                    }
                    try database.query(
                        "INSERT OR REPLACE INTO state (key, name, value, offset) VALUES (?, ?, ?, ?)",
                        [.blob(change.key), .text(change.name), change.value.map { .blob($0) } ?? .null, .integer(change.offset)])
                    written[row] = (change.value, change.offset)
                }
                try database.execute("COMMIT")
            } catch {
                try? database.execute("ROLLBACK")
                throw error
            }
            inner.keys = keys
            inner.bytes = bytes
            for (row, stored) in written { inner.remember(row, stored) }
            for change in changes {
                let row = Row(key: change.key, name: change.name)
                if let staged = inner.overlay[row], staged.offset <= change.offset { inner.overlay[row] = nil }
            }
        }
    }

    /// Every row holding a value, ordered by key and name.
    public func entries() throws(StateStoreError) -> [Entry] {
        try inner.withLock { inner throws(StateStoreError) in
            guard let database = inner.database else { return [] }
            var entries: [Entry] = []
            try database.query("SELECT key, name, value, offset FROM state WHERE value IS NOT NULL ORDER BY key, name") {
                row in
                entries.append(
                    Entry(key: row.blob(0) ?? [], name: row.text(1), value: row.blob(2) ?? [], offset: row.integer(3)))
            }
            return entries
        }
    }

    /// A number kept with the state (such as how far the changelog was read), or `nil`.
    public func meta(_ name: String) throws(StateStoreError) -> Int64? {
        try inner.withLock { inner throws(StateStoreError) in
            var value: Int64?
            try inner.database?.query("SELECT value FROM meta WHERE name = ?", [.text(name)]) { value = $0.integer(0) }
            return value
        }
    }

    public func setMeta(_ name: String, _ value: Int64) throws(StateStoreError) {
        try inner.withLock { inner throws(StateStoreError) in
            try inner.database?.query(
                "INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)", [.text(name), .integer(value)])
        }
    }

    /// Forgets staged changes (those of tasks that will be processed again) and closes the
    /// database; applied changes are already durable.
    public func close() {
        inner.withLock { inner in
            inner.overlay.removeAll()
            inner.cache.removeAll()
            inner.database?.close()
            inner.database = nil
        }
    }

    /// How many bytes of rows the cache may hold before it starts over.
    static let cacheLimit = 64 << 20

    private static func stored(
        _ row: Row, in database: SQLiteDatabase?, path: String
    ) throws(StateStoreError) -> (
        value: [UInt8]?, offset: Int64
    )? {
        guard let database else { throw .unusable(path: path, reason: "the store is closed") }
        var result: (value: [UInt8]?, offset: Int64)?
        try database.query("SELECT value, offset FROM state WHERE key = ? AND name = ?", [.blob(row.key), .text(row.name)]) {
            row in
            result = (row.blob(0), row.integer(1))
        }
        return result
    }
}
