import CSQLite

/// A thin, typed layer over one SQLite connection: statements with bound blobs, text and integers,
/// and every failure turned into a ``StateStoreError`` that names the file. Not thread-safe: its
/// owner (a ``PartitionStateStore``) serializes access.
final class SQLiteDatabase {
    let path: String
    private var handle: OpaquePointer?
    private var statements: [String: OpaquePointer] = [:]

    /// Opens (creating) the database at `path`.
    init(path: String, readOnly: Bool = false) throws(StateStoreError) {
        self.path = path
        var db: OpaquePointer?
        let flags = readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
        let code = sqlite3_open_v2(path, &db, flags | SQLITE_OPEN_NOMUTEX, nil)
        handle = db
        guard code == SQLITE_OK else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(code))
            close()
            throw StateStoreError.classify(code: code, path: path, message: message)
        }
        sqlite3_extended_result_codes(db, 1)
    }

    deinit { close() }

    func close() {
        for statement in statements.values { sqlite3_finalize(statement) }
        statements.removeAll()
        if let handle { sqlite3_close_v2(handle) }
        handle = nil
    }

    /// Runs SQL that returns no rows (several statements allowed).
    func execute(_ sql: String) throws(StateStoreError) {
        var message: UnsafeMutablePointer<CChar>?
        let code = sqlite3_exec(handle, sql, nil, nil, &message)
        defer { sqlite3_free(message) }
        guard code == SQLITE_OK else {
            throw StateStoreError.classify(
                code: code, path: path, message: message.map { String(cString: $0) } ?? String(cString: sqlite3_errstr(code)))
        }
    }

    /// Runs `sql` (cached) with `bindings`, calling `row` for each result row.
    func query(
        _ sql: String, _ bindings: [Binding] = [], row: (Row) throws(StateStoreError) -> Void = { _ in }
    )
        throws(StateStoreError)
    {
        let statement = try prepared(sql)
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        for (index, binding) in bindings.enumerated() {
            let position = Int32(index + 1)
            let code: Int32
            switch binding {
            case .integer(let value): code = sqlite3_bind_int64(statement, position, value)
            case .text(let value): code = sqlite3_bind_text(statement, position, value, -1, wasmton_sqlite_transient)
            case .blob(let bytes):
                code = bytes.withUnsafeBytes {
                    // A zero-length blob still needs a non-null pointer, or SQLite stores NULL.
                    sqlite3_bind_blob(
                        statement, position, $0.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32($0.count),
                        wasmton_sqlite_transient)
                }
            case .null: code = sqlite3_bind_null(statement, position)
            }
            guard code == SQLITE_OK else { throw failure(code) }
        }
        while true {
            let code = sqlite3_step(statement)
            if code == SQLITE_DONE { return }
            guard code == SQLITE_ROW else { throw failure(code) }
            try row(Row(statement: statement))
        }
    }

    private func prepared(_ sql: String) throws(StateStoreError) -> OpaquePointer {
        if let statement = statements[sql] { return statement }
        var statement: OpaquePointer?
        let code = sqlite3_prepare_v2(handle, sql, -1, &statement, nil)
        guard code == SQLITE_OK, let statement else { throw failure(code) }
        statements[sql] = statement
        return statement
    }

    private func failure(_ code: Int32) -> StateStoreError {
        StateStoreError.classify(code: code, path: path, message: handle.map { String(cString: sqlite3_errmsg($0)) } ?? "")
    }

    /// A value bound to a statement's `?`.
    enum Binding {
        case integer(Int64)
        case text(String)
        case blob([UInt8])
        case null
    }

    /// The current result row of a statement.
    struct Row {
        let statement: OpaquePointer

        func integer(_ column: Int32) -> Int64 { sqlite3_column_int64(statement, column) }

        func text(_ column: Int32) -> String {
            sqlite3_column_text(statement, column).map { String(cString: $0) } ?? ""
        }

        /// The blob in `column`; `nil` for SQL NULL.
        func blob(_ column: Int32) -> [UInt8]? {
            if sqlite3_column_type(statement, column) == SQLITE_NULL { return nil }
            let count = Int(sqlite3_column_bytes(statement, column))
            guard count > 0, let bytes = sqlite3_column_blob(statement, column) else { return [] }
            return Array(UnsafeRawBufferPointer(start: bytes, count: count))
        }
    }
}
