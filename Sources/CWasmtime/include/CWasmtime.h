// The part of Wasmtime's C API (wasm.h and wasmtime.h, version 50) that Wasmton uses, declared
// here because the library Wasmton loads at run time (PyPI's `wasmtime` wheel ships
// `_libwasmtime.so` without headers) must not be needed to build it. The layouts follow the
// documented headers; the static asserts in CWasmtime.c pin the ones Swift reads or writes.
//
// Nothing here is linked: `cwasmtime_load` opens the library with dlopen and fills a table of
// function pointers, so a missing library is an error at run time, never at build time.

#ifndef CWASMTIME_H
#define CWASMTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

// Only the function table's members are marked (non-null), so that Swift calls them directly.
#ifdef __clang__
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wnullability-completeness"
#else
#define _Nonnull
#define _Nullable
#endif

typedef struct wasm_engine_t wasm_engine_t;
typedef struct wasm_config_t wasm_config_t;
typedef struct wasm_trap_t wasm_trap_t;
typedef struct wasm_valtype_t wasm_valtype_t;
typedef struct wasm_functype_t wasm_functype_t;
typedef struct wasmtime_store wasmtime_store_t;
typedef struct wasmtime_context wasmtime_context_t;
typedef struct wasmtime_module wasmtime_module_t;
typedef struct wasmtime_error wasmtime_error_t;
typedef struct wasmtime_caller wasmtime_caller_t;
typedef struct wasmtime_pooling_allocation_config_t wasmtime_pooling_allocation_config_t;

/// wasm_valkind_t: WASM_I32 = 0, WASM_I64 = 1, WASM_F32 = 2, WASM_F64 = 3.
typedef uint8_t wasm_valkind_t;
/// wasmtime_valkind_t: WASMTIME_I32 = 0, WASMTIME_I64 = 1, WASMTIME_F32 = 2, WASMTIME_F64 = 3.
typedef uint8_t wasmtime_valkind_t;
/// wasmtime_extern_kind_t: WASMTIME_EXTERN_FUNC = 0, ..., WASMTIME_EXTERN_MEMORY = 3.
typedef uint8_t wasmtime_extern_kind_t;
/// Trap codes; WASMTIME_TRAP_CODE_INTERRUPT = 10 (an epoch deadline), OUT_OF_FUEL = 11.
typedef uint8_t wasmtime_trap_code_t;

typedef struct wasm_byte_vec_t {
    size_t size;
    char *data;
} wasm_byte_vec_t;

typedef struct wasm_valtype_vec_t {
    size_t size;
    wasm_valtype_t **data;
} wasm_valtype_vec_t;

typedef struct wasmtime_func {
    uint64_t store_id;
    void *private_;
} wasmtime_func_t;

typedef struct wasmtime_instance {
    uint64_t store_id;
    size_t private_;
} wasmtime_instance_t;

typedef struct wasmtime_memory {
    struct {
        uint64_t store_id;
        uint32_t private1;
    } inner;
    uint32_t private2;
} wasmtime_memory_t;

/// Only the size and alignment of the GC reference members matter here.
typedef struct cwasmtime_gc_ref {
    uint64_t store_id;
    uint32_t private1;
    uint32_t private2;
    void *private3;
} cwasmtime_gc_ref;

typedef union wasmtime_valunion {
    int32_t i32;
    int64_t i64;
    float f32;
    double f64;
    cwasmtime_gc_ref anyref;
    cwasmtime_gc_ref externref;
    cwasmtime_gc_ref exnref;
    wasmtime_func_t funcref;
    uint8_t v128[16];
} wasmtime_valunion_t;

typedef struct wasmtime_val {
    wasmtime_valkind_t kind;
    wasmtime_valunion_t of;
} wasmtime_val_t;

typedef union wasmtime_extern_union {
    wasmtime_func_t func;
    struct {
        uint64_t store_id;
        uint32_t private1, private2, private3;
    } global;
    wasmtime_memory_t table;
    wasmtime_memory_t memory;
    void *sharedmemory;
} wasmtime_extern_union_t;

typedef struct wasmtime_extern {
    wasmtime_extern_kind_t kind;
    wasmtime_extern_union_t of;
} wasmtime_extern_t;

// The layouts Swift (and Benchmarks/wasmtime/harness.c) read and write, as Wasmtime 50's headers
// define them (x86-64, aarch64).
_Static_assert(sizeof(wasmtime_val_t) == 32, "wasmtime_val_t layout");
_Static_assert(offsetof(wasmtime_val_t, of) == 8, "wasmtime_val_t layout");
_Static_assert(sizeof(wasmtime_extern_t) == 32, "wasmtime_extern_t layout");
_Static_assert(offsetof(wasmtime_extern_t, of) == 8, "wasmtime_extern_t layout");
_Static_assert(sizeof(wasmtime_func_t) == 16, "wasmtime_func_t layout");
_Static_assert(sizeof(wasmtime_memory_t) == 24, "wasmtime_memory_t layout");
_Static_assert(sizeof(wasmtime_instance_t) == 16, "wasmtime_instance_t layout");
_Static_assert(sizeof(wasm_byte_vec_t) == 16, "wasm_byte_vec_t layout");

typedef wasm_trap_t *(*wasmtime_func_callback_t)(
    void *env, wasmtime_caller_t *caller, const wasmtime_val_t *args, size_t nargs, wasmtime_val_t *results,
    size_t nresults);

/// The functions Wasmton calls, resolved from the library by name.
typedef struct cwasmtime_api {
    // Engine and configuration.
    wasm_config_t *(*_Nonnull wasm_config_new)(void);
    void (*_Nonnull wasmtime_config_consume_fuel_set)(wasm_config_t *, bool);
    void (*_Nonnull wasmtime_config_epoch_interruption_set)(wasm_config_t *, bool);
    void (*_Nonnull wasmtime_config_max_wasm_stack_set)(wasm_config_t *, size_t);
    wasmtime_pooling_allocation_config_t *(*_Nonnull wasmtime_pooling_allocation_config_new)(void);
    void (*_Nonnull wasmtime_pooling_allocation_config_delete)(wasmtime_pooling_allocation_config_t *);
    void (*_Nonnull wasmtime_pooling_allocation_config_total_memories_set)(wasmtime_pooling_allocation_config_t *, uint32_t);
    void (*_Nonnull wasmtime_pooling_allocation_config_total_core_instances_set)(wasmtime_pooling_allocation_config_t *, uint32_t);
    void (*_Nonnull wasmtime_pooling_allocation_config_total_tables_set)(wasmtime_pooling_allocation_config_t *, uint32_t);
    void (*_Nonnull wasmtime_pooling_allocation_config_max_memory_size_set)(wasmtime_pooling_allocation_config_t *, size_t);
    void (*_Nonnull wasmtime_pooling_allocation_strategy_set)(wasm_config_t *, const wasmtime_pooling_allocation_config_t *);
    wasm_engine_t *(*_Nonnull wasm_engine_new_with_config)(wasm_config_t *);
    void (*_Nonnull wasm_engine_delete)(wasm_engine_t *);
    void (*_Nonnull wasmtime_engine_increment_epoch)(wasm_engine_t *);

    // Modules.
    wasmtime_error_t *(*_Nonnull wasmtime_module_new)(wasm_engine_t *, const uint8_t *, size_t, wasmtime_module_t **);
    void (*_Nonnull wasmtime_module_delete)(wasmtime_module_t *);
    wasmtime_error_t *(*_Nonnull wasmtime_module_serialize)(wasmtime_module_t *, wasm_byte_vec_t *);
    wasmtime_error_t *(*_Nonnull wasmtime_module_deserialize)(wasm_engine_t *, const uint8_t *, size_t, wasmtime_module_t **);
    void (*_Nonnull wasm_byte_vec_delete)(wasm_byte_vec_t *);

    // Stores.
    wasmtime_store_t *(*_Nonnull wasmtime_store_new)(wasm_engine_t *, void *, void (*_Nullable)(void *));
    wasmtime_context_t *(*_Nonnull wasmtime_store_context)(wasmtime_store_t *);
    void (*_Nonnull wasmtime_store_delete)(wasmtime_store_t *);
    void (*_Nonnull wasmtime_store_limiter)(wasmtime_store_t *, int64_t, int64_t, int64_t, int64_t, int64_t);
    wasmtime_error_t *(*_Nonnull wasmtime_context_set_fuel)(wasmtime_context_t *, uint64_t);
    wasmtime_error_t *(*_Nonnull wasmtime_context_get_fuel)(const wasmtime_context_t *, uint64_t *);
    void (*_Nonnull wasmtime_context_set_epoch_deadline)(wasmtime_context_t *, uint64_t);

    // Functions and instances.
    wasm_valtype_t *(*_Nonnull wasm_valtype_new)(wasm_valkind_t);
    void (*_Nonnull wasm_valtype_vec_new)(wasm_valtype_vec_t *, size_t, wasm_valtype_t *const[]);
    void (*_Nonnull wasm_valtype_vec_new_empty)(wasm_valtype_vec_t *);
    wasm_functype_t *(*_Nonnull wasm_functype_new)(wasm_valtype_vec_t *, wasm_valtype_vec_t *);
    void (*_Nonnull wasm_functype_delete)(wasm_functype_t *);
    void (*_Nonnull wasmtime_func_new)(
        wasmtime_context_t *, const wasm_functype_t *, wasmtime_func_callback_t, void *, void (*_Nullable)(void *),
        wasmtime_func_t *);
    wasmtime_error_t *(*_Nonnull wasmtime_func_call)(
        wasmtime_context_t *, const wasmtime_func_t *, const wasmtime_val_t *, size_t, wasmtime_val_t *, size_t,
        wasm_trap_t **);
    wasmtime_error_t *(*_Nonnull wasmtime_instance_new)(
        wasmtime_context_t *, const wasmtime_module_t *, const wasmtime_extern_t *, size_t, wasmtime_instance_t *,
        wasm_trap_t **);
    bool (*_Nonnull wasmtime_instance_export_get)(
        wasmtime_context_t *, const wasmtime_instance_t *, const char *, size_t, wasmtime_extern_t *);
    bool (*_Nonnull wasmtime_instance_export_nth)(
        wasmtime_context_t *, const wasmtime_instance_t *, size_t, char **, size_t *, wasmtime_extern_t *);
    bool (*_Nonnull wasmtime_caller_export_get)(wasmtime_caller_t *, const char *, size_t, wasmtime_extern_t *);
    wasmtime_context_t *(*_Nonnull wasmtime_caller_context)(wasmtime_caller_t *);
    uint8_t *(*_Nonnull wasmtime_memory_data)(const wasmtime_context_t *, const wasmtime_memory_t *);
    size_t (*_Nonnull wasmtime_memory_data_size)(const wasmtime_context_t *, const wasmtime_memory_t *);

    // Errors and traps.
    void (*_Nonnull wasmtime_error_message)(const wasmtime_error_t *, wasm_byte_vec_t *);
    void (*_Nonnull wasmtime_error_delete)(wasmtime_error_t *);
    bool (*_Nonnull wasmtime_error_exit_status)(const wasmtime_error_t *, int *);
    void (*_Nonnull wasm_trap_message)(const wasm_trap_t *, wasm_byte_vec_t *);
    bool (*_Nonnull wasmtime_trap_code)(const wasm_trap_t *, wasmtime_trap_code_t *);
    void (*_Nonnull wasm_trap_delete)(wasm_trap_t *);
    wasm_trap_t *(*_Nonnull wasmtime_trap_new)(const char *, size_t);
    wasmtime_error_t *(*_Nonnull wasmtime_error_new)(const char *);
    void (*_Nonnull wasmtime_config_host_memory_creator_set)(wasm_config_t *, const void *);
    void (*_Nonnull wasmtime_config_memory_init_cow_set)(wasm_config_t *, bool);
} cwasmtime_api;

/// Opens the library at `path` and resolves every function of `cwasmtime_api`. Returns NULL
/// and writes a one-line reason into `error` (`error_size` bytes) when the file cannot be
/// opened or lacks a function (a different Wasmtime version).
const cwasmtime_api *cwasmtime_load(const char *path, char *error, size_t error_size);

/// The memory limit of one sandbox, for the linear memories its instance creates. Owned by the
/// instance (which frees it after deleting its store, and with it the memories).
typedef struct cwasmtime_memory_limit {
    /// The most bytes a memory may have; SIZE_MAX for no limit.
    size_t max_bytes;
    /// Set when a growth (or an initial size) past `max_bytes` was refused; the instance clears it.
    bool denied;
} cwasmtime_memory_limit;

/// Makes engines built from `config` create linear memories through Wasmton (mmap'd with the
/// reservation and guard Wasmtime asks for), so that each memory obeys the limit of the instance
/// being created on this thread (`cwasmtime_set_instantiating_limit`) and a refused growth is
/// recorded, which Wasmtime's C API has no other way to report. Growth past the limit fails, so
/// `memory.grow` returns -1 to the guest, as on WasmKit.
void cwasmtime_use_limited_memories(const cwasmtime_api *api, wasm_config_t *config);

/// The limit that memories created on this thread from now on obey (NULL: none).
void cwasmtime_set_instantiating_limit(cwasmtime_memory_limit *limit);

#ifdef __clang__
#pragma clang diagnostic pop
#endif

#endif
