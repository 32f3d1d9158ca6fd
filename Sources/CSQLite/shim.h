// CSQLite: SQLite's C API for Swift (SwiftPM system library target), from Debian's libsqlite3-dev.
// The stream engine's state stores use it (Sources/WasmtonStreams/State).
//
// SQLITE_TRANSIENT is a cast macro Swift cannot import, hence the constant below.
#ifndef WASMTON_CSQLITE_SHIM_H
#define WASMTON_CSQLITE_SHIM_H

#include <sqlite3.h>

/// SQLITE_TRANSIENT: SQLite copies a bound blob or text before sqlite3_bind_* returns.
static const sqlite3_destructor_type wasmton_sqlite_transient = SQLITE_TRANSIENT;

#endif
