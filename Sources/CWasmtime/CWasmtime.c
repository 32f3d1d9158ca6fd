// Loads Wasmtime's C library at run time (see CWasmtime.h).

#define _GNU_SOURCE
#include "CWasmtime.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

const cwasmtime_api *cwasmtime_load(const char *path, char *error, size_t error_size) {
    void *library = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) {
        const char *reason = dlerror();
        snprintf(error, error_size, "%s", reason ? reason : "dlopen failed");
        return NULL;
    }
    cwasmtime_api *api = calloc(1, sizeof(cwasmtime_api));
    if (api == NULL) {
        snprintf(error, error_size, "out of memory");
        dlclose(library);
        return NULL;
    }
#define RESOLVE(name)                                                                              \
    do {                                                                                           \
        *(void **)(&api->name) = dlsym(library, #name);                                            \
        if (api->name == NULL) {                                                                   \
            snprintf(error, error_size, "%s has no function %s", path, #name);                     \
            free(api);                                                                             \
            dlclose(library);                                                                      \
            return NULL;                                                                           \
        }                                                                                          \
    } while (0)
    RESOLVE(wasm_config_new);
    RESOLVE(wasmtime_config_consume_fuel_set);
    RESOLVE(wasmtime_config_epoch_interruption_set);
    RESOLVE(wasmtime_config_max_wasm_stack_set);
    RESOLVE(wasmtime_pooling_allocation_config_new);
    RESOLVE(wasmtime_pooling_allocation_config_delete);
    RESOLVE(wasmtime_pooling_allocation_config_total_memories_set);
    RESOLVE(wasmtime_pooling_allocation_config_total_core_instances_set);
    RESOLVE(wasmtime_pooling_allocation_config_total_tables_set);
    RESOLVE(wasmtime_pooling_allocation_config_max_memory_size_set);
    RESOLVE(wasmtime_pooling_allocation_strategy_set);
    RESOLVE(wasm_engine_new_with_config);
    RESOLVE(wasm_engine_delete);
    RESOLVE(wasmtime_engine_increment_epoch);
    RESOLVE(wasmtime_module_new);
    RESOLVE(wasmtime_module_delete);
    RESOLVE(wasmtime_module_serialize);
    RESOLVE(wasmtime_module_deserialize);
    RESOLVE(wasm_byte_vec_delete);
    RESOLVE(wasmtime_store_new);
    RESOLVE(wasmtime_store_context);
    RESOLVE(wasmtime_store_delete);
    RESOLVE(wasmtime_store_limiter);
    RESOLVE(wasmtime_context_set_fuel);
    RESOLVE(wasmtime_context_get_fuel);
    RESOLVE(wasmtime_context_set_epoch_deadline);
    RESOLVE(wasm_valtype_new);
    RESOLVE(wasm_valtype_vec_new);
    RESOLVE(wasm_valtype_vec_new_empty);
    RESOLVE(wasm_functype_new);
    RESOLVE(wasm_functype_delete);
    RESOLVE(wasmtime_func_new);
    RESOLVE(wasmtime_func_call);
    RESOLVE(wasmtime_instance_new);
    RESOLVE(wasmtime_instance_export_get);
    RESOLVE(wasmtime_instance_export_nth);
    RESOLVE(wasmtime_caller_export_get);
    RESOLVE(wasmtime_caller_context);
    RESOLVE(wasmtime_memory_data);
    RESOLVE(wasmtime_memory_data_size);
    RESOLVE(wasmtime_error_message);
    RESOLVE(wasmtime_error_delete);
    RESOLVE(wasmtime_error_exit_status);
    RESOLVE(wasm_trap_message);
    RESOLVE(wasmtime_trap_code);
    RESOLVE(wasm_trap_delete);
    RESOLVE(wasmtime_trap_new);
    RESOLVE(wasmtime_error_new);
    RESOLVE(wasmtime_config_host_memory_creator_set);
    RESOLVE(wasmtime_config_memory_init_cow_set);
#undef RESOLVE
    // Kept open for the life of the process: engines and modules made from it may live as long.
    return api;
}

// ---- Linear memories with a per-instance limit ----------------------------------------------

typedef struct wasmtime_linear_memory {
    void *env;
    uint8_t *(*get_memory)(void *env, size_t *byte_size, size_t *byte_capacity);
    wasmtime_error_t *(*grow_memory)(void *env, size_t new_size);
    void (*finalizer)(void *env);
} wasmtime_linear_memory_t;

typedef struct wasmtime_memory_creator {
    void *env;
    wasmtime_error_t *(*new_memory)(
        void *env, const void *type, size_t minimum, size_t maximum, size_t reserved_size_in_bytes,
        size_t guard_size_in_bytes, wasmtime_linear_memory_t *memory_ret);
    void (*finalizer)(void *env);
} wasmtime_memory_creator_t;

typedef struct limited_memory {
    const cwasmtime_api *api;
    uint8_t *base;
    size_t size;
    size_t reserved;
    size_t mapped;
    size_t maximum;
    cwasmtime_memory_limit *limit;
} limited_memory;

static _Thread_local cwasmtime_memory_limit *instantiating_limit = NULL;

void cwasmtime_set_instantiating_limit(cwasmtime_memory_limit *limit) { instantiating_limit = limit; }

static uint8_t *limited_get(void *env, size_t *byte_size, size_t *byte_capacity) {
    limited_memory *memory = env;
    *byte_size = memory->size;
    *byte_capacity = memory->reserved;
    return memory->base;
}

static wasmtime_error_t *limited_grow(void *env, size_t new_size) {
    limited_memory *memory = env;
    if (memory->limit != NULL && new_size > memory->limit->max_bytes) {
        memory->limit->denied = true;
        return memory->api->wasmtime_error_new("memory growth past the sandbox's memory limit");
    }
    if (new_size > memory->reserved) {
        return memory->api->wasmtime_error_new("memory growth past the memory's reservation");
    }
    if (new_size > memory->size && mprotect(memory->base, new_size, PROT_READ | PROT_WRITE) != 0) {
        return memory->api->wasmtime_error_new("mprotect failed while growing a linear memory");
    }
    memory->size = new_size;
    return NULL;
}

// Memories given back by dropped instances, kept mapped for the next instance: a fresh mapping
// of Wasmtime's reservation (gigabytes of address space) costs an mmap, page faults and, when it
// is unmapped, a TLB shootdown on every core, which was most of what a fresh instance per
// request cost. A kept memory had its used bytes zeroed (small ones only) and stays readable
// and writable up to `accessible`; the rest of its reservation is still inaccessible.
enum { kept_capacity = 64 };
static const size_t keep_resident_bytes = (size_t)1 << 20;
typedef struct kept_region {
    uint8_t *base;
    size_t mapped;
    size_t reserved;
    size_t accessible;
} kept_region;
static kept_region kept[kept_capacity];
static size_t kept_count = 0;
static pthread_mutex_t kept_lock = PTHREAD_MUTEX_INITIALIZER;

static void limited_free(void *env) {
    limited_memory *memory = env;
    bool kept_it = false;
    if (memory->size <= keep_resident_bytes) {
        memset(memory->base, 0, memory->size);
        pthread_mutex_lock(&kept_lock);
        if (kept_count < kept_capacity) {
            kept[kept_count++] = (kept_region){memory->base, memory->mapped, memory->reserved, memory->size};
            kept_it = true;
        }
        pthread_mutex_unlock(&kept_lock);
    }
    if (!kept_it) munmap(memory->base, memory->mapped);
    free(memory);
}

/// A kept region of exactly this shape, made accessible up to `minimum` (and no further).
static uint8_t *take_kept(size_t mapped, size_t reserved, size_t minimum) {
    kept_region region = {0};
    pthread_mutex_lock(&kept_lock);
    for (size_t index = kept_count; index > 0; index--) {
        if (kept[index - 1].mapped == mapped && kept[index - 1].reserved == reserved) {
            region = kept[index - 1];
            kept[index - 1] = kept[--kept_count];
            break;
        }
    }
    pthread_mutex_unlock(&kept_lock);
    if (region.base == NULL) return NULL;
    int status = 0;
    if (region.accessible > minimum) {
        status = mprotect(region.base + minimum, region.accessible - minimum, PROT_NONE);
    } else if (region.accessible < minimum) {
        status = mprotect(region.base, minimum, PROT_READ | PROT_WRITE);
    }
    if (status != 0) {
        munmap(region.base, region.mapped);
        return NULL;
    }
    return region.base;
}

static wasmtime_error_t *limited_new(
    void *env, const void *type, size_t minimum, size_t maximum, size_t reserved_size_in_bytes, size_t guard_size_in_bytes,
    wasmtime_linear_memory_t *memory_ret) {
    (void)type;
    const cwasmtime_api *api = env;
    cwasmtime_memory_limit *limit = instantiating_limit;
    if (limit != NULL && minimum > limit->max_bytes) {
        limit->denied = true;
        return api->wasmtime_error_new("memory minimum size exceeds the sandbox's memory limit");
    }
    // Wasmtime asks for a fixed reservation (so compiled code can rely on guard pages); without
    // one, reserve up to the maximum (4 GiB for a 32-bit memory) so the memory never moves.
    size_t reserved = reserved_size_in_bytes;
    if (reserved == 0) reserved = maximum != 0 && maximum < ((size_t)4 << 30) ? maximum : ((size_t)4 << 30);
    if (reserved < minimum) reserved = minimum;
    size_t mapped = reserved + guard_size_in_bytes;
    uint8_t *base = take_kept(mapped, reserved, minimum);
    if (base == NULL) {
        base = mmap(NULL, mapped, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (base == MAP_FAILED) return api->wasmtime_error_new("mmap failed for a linear memory");
        if (minimum > 0 && mprotect(base, minimum, PROT_READ | PROT_WRITE) != 0) {
            munmap(base, mapped);
            return api->wasmtime_error_new("mprotect failed for a linear memory");
        }
    }
    limited_memory *memory = calloc(1, sizeof(limited_memory));
    if (memory == NULL) {
        munmap(base, mapped);
        return api->wasmtime_error_new("out of memory");
    }
    memory->api = api;
    memory->base = base;
    memory->size = minimum;
    memory->reserved = reserved;
    memory->mapped = mapped;
    memory->maximum = maximum;
    memory->limit = limit;
    memory_ret->env = memory;
    memory_ret->get_memory = limited_get;
    memory_ret->grow_memory = limited_grow;
    memory_ret->finalizer = limited_free;
    return NULL;
}

void cwasmtime_use_limited_memories(const cwasmtime_api *api, wasm_config_t *config) {
    wasmtime_memory_creator_t creator = {(void *)api, limited_new, NULL};
    // Copy-on-write initialization needs Wasmtime's own mmap'd memories.
    api->wasmtime_config_memory_init_cow_set(config, false);
    api->wasmtime_config_host_memory_creator_set(config, &creator);
}
