// Wasmtime side of Wasmton's runtime benchmark: the same measurements as `runtime-bench`,
// against Wasmtime's C API in the `_libwasmtime.so` that PyPI's `wasmtime` wheel ships.
//
// The wheel has no C headers, so the handful of declarations used here are written out below,
// following wasm.h / wasmtime.h of the wheel's version (checked against the layouts of the
// wheel's own generated ctypes bindings, `wasmtime/_bindings.py`; the static asserts pin them).
//
// Usage: harness GUEST_DIR [--memloop PATH.wat] [--target pulley64] [--quick]
//   Without --target, Wasmtime compiles to native code with Cranelift (its default).
//   --target pulley64 selects Pulley, Wasmtime's portable interpreter (still compiled by
//   Cranelift, to Pulley bytecode), the closer analogue of WasmKit's interpreter.
// Prints one JSON object per measurement on stdout, times in microseconds per operation.

#define _POSIX_C_SOURCE 200809L
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

// ---- Wasmtime C API declarations (subset of wasm.h and wasmtime.h) ----
// The types (and the static asserts on their layouts) are Wasmton's own, from Sources/CWasmtime;
// the functions, which Wasmton resolves at run time, are linked directly here.
#include "../../Sources/CWasmtime/include/CWasmtime.h"

enum { WASM_I32 = 0 };
enum { WASMTIME_I32 = 0 };
enum { WASMTIME_EXTERN_FUNC = 0 };
typedef wasm_byte_vec_t wasm_name_t;
typedef wasm_byte_vec_t wasm_message_t;

extern wasm_config_t *wasm_config_new(void);
extern wasm_engine_t *wasm_engine_new_with_config(wasm_config_t *config);
extern void wasm_engine_delete(wasm_engine_t *engine);
extern wasmtime_error_t *wasmtime_config_target_set(wasm_config_t *config, const char *target);
extern void wasmtime_config_parallel_compilation_set(wasm_config_t *config, bool enable);

extern wasmtime_store_t *wasmtime_store_new(wasm_engine_t *engine, void *data, void (*finalizer)(void *));
extern void wasmtime_config_epoch_interruption_set(wasm_config_t *config, bool enable);
extern void wasmtime_context_set_epoch_deadline(wasmtime_context_t *context, uint64_t ticks_beyond_current);
extern wasmtime_context_t *wasmtime_store_context(wasmtime_store_t *store);
extern void wasmtime_store_delete(wasmtime_store_t *store);

extern wasmtime_error_t *wasmtime_module_new(
    wasm_engine_t *engine, const uint8_t *wasm, size_t wasm_len, wasmtime_module_t **ret);
extern void wasmtime_module_delete(wasmtime_module_t *module);

extern wasmtime_error_t *wasmtime_instance_new(
    wasmtime_context_t *store, const wasmtime_module_t *module, const wasmtime_extern_t *imports, size_t nimports,
    wasmtime_instance_t *instance, wasm_trap_t **trap);
extern bool wasmtime_instance_export_get(
    wasmtime_context_t *store, const wasmtime_instance_t *instance, const char *name, size_t name_len,
    wasmtime_extern_t *item);

extern void wasmtime_func_new(
    wasmtime_context_t *store, const wasm_functype_t *type, wasmtime_func_callback_t callback, void *env,
    void (*finalizer)(void *), wasmtime_func_t *ret);
extern wasmtime_error_t *wasmtime_func_call(
    wasmtime_context_t *store, const wasmtime_func_t *func, const wasmtime_val_t *args, size_t nargs,
    wasmtime_val_t *results, size_t nresults, wasm_trap_t **trap);

extern wasm_valtype_t *wasm_valtype_new(wasm_valkind_t kind);
extern void wasm_valtype_vec_new(wasm_valtype_vec_t *out, size_t size, wasm_valtype_t *const data[]);
extern wasm_functype_t *wasm_functype_new(wasm_valtype_vec_t *params, wasm_valtype_vec_t *results);
extern void wasm_functype_delete(wasm_functype_t *type);

extern void wasmtime_error_message(const wasmtime_error_t *error, wasm_name_t *message);
extern void wasmtime_error_delete(wasmtime_error_t *error);
extern void wasm_trap_message(const wasm_trap_t *trap, wasm_message_t *message);
extern void wasm_trap_delete(wasm_trap_t *trap);
extern void wasm_byte_vec_delete(wasm_byte_vec_t *vec);
extern wasmtime_error_t *wasmtime_wat2wasm(const char *wat, size_t wat_len, wasm_byte_vec_t *ret);

// ---- Errors ----

static void check(const char *what, wasmtime_error_t *error, wasm_trap_t *trap) {
    if (error == NULL && trap == NULL) return;
    wasm_byte_vec_t message = {0, NULL};
    if (error != NULL) {
        wasmtime_error_message(error, &message);
    } else {
        wasm_trap_message(trap, &message);
    }
    fprintf(stderr, "harness: %s failed: %.*s\n", what, (int)message.size, message.data);
    wasm_byte_vec_delete(&message);
    exit(1);
}

// ---- Timing ----

static inline double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static const char *variant = "cranelift";
// --epoch: compile with epoch interruption, as Wasmton configures Wasmtime for its deadlines (a
// check at every function entry and loop back-edge); each store gets a deadline far away.
static bool epoch = false;
static bool quick = false;

// One sample: runs the operation `batch` times and returns the nanoseconds per operation of the
// part it timed itself.
typedef double (*sample_fn)(void *context, int batch);

// Warms up, then takes samples until `max_samples` or `budget_s` seconds (at least `min_samples`),
// and prints median, p90, mean and min per operation in microseconds as one JSON line.
static void measure(
    const char *op, sample_fn sample, void *context, int batch, int warmup, int min_samples, int max_samples,
    double budget_s) {
    if (quick) {
        max_samples = max_samples / 10 > min_samples ? max_samples / 10 : min_samples;
        budget_s /= 10;
    }
    for (int i = 0; i < warmup; i++) sample(context, batch);
    double *samples = malloc(sizeof(double) * (size_t)max_samples);
    int count = 0;
    double start = now_ns();
    while (count < max_samples && (count < min_samples || now_ns() - start < budget_s * 1e9)) {
        samples[count++] = sample(context, batch) / 1000.0;
    }
    qsort(samples, (size_t)count, sizeof(double), compare_doubles);
    double sum = 0;
    for (int i = 0; i < count; i++) sum += samples[i];
    double median = count % 2 ? samples[count / 2] : (samples[count / 2 - 1] + samples[count / 2]) / 2;
    int p90_index = (int)((count * 9 + 9) / 10) - 1;
    printf(
        "{\"engine\":\"wasmtime\",\"variant\":\"%s\",\"op\":\"%s\",\"median_us\":%.4f,\"p90_us\":%.4f,"
        "\"mean_us\":%.4f,\"min_us\":%.4f,\"samples\":%d,\"batch\":%d}\n",
        variant, op, median, samples[p90_index], sum / count, samples[0], count, batch);
    fflush(stdout);
    free(samples);
}

// ---- Fixtures ----

static uint8_t *read_file(const char *path, size_t *size) {
    FILE *file = fopen(path, "rb");
    if (!file) {
        perror(path);
        exit(1);
    }
    fseek(file, 0, SEEK_END);
    long length = ftell(file);
    fseek(file, 0, SEEK_SET);
    uint8_t *bytes = malloc((size_t)length);
    if (fread(bytes, 1, (size_t)length, file) != (size_t)length) {
        perror(path);
        exit(1);
    }
    fclose(file);
    *size = (size_t)length;
    return bytes;
}

static wasm_trap_t *host_echo(
    void *env, wasmtime_caller_t *caller, const wasmtime_val_t *args, size_t nargs, wasmtime_val_t *results,
    size_t nresults) {
    (void)env, (void)caller, (void)nargs, (void)nresults;
    results[0].kind = WASMTIME_I32;
    results[0].of.i32 = args[0].of.i32;
    return NULL;
}

static wasmtime_func_t export_func(wasmtime_context_t *context, wasmtime_instance_t *instance, const char *name) {
    wasmtime_extern_t item;
    if (!wasmtime_instance_export_get(context, instance, name, strlen(name), &item) ||
        item.kind != WASMTIME_EXTERN_FUNC) {
        fprintf(stderr, "harness: no exported function %s\n", name);
        exit(1);
    }
    return item.of.func;
}

// ---- Measurements ----

struct compile_ctx {
    wasm_engine_t *engine;
    const uint8_t *bytes;
    size_t size;
};

static double sample_compile(void *raw, int batch) {
    struct compile_ctx *ctx = raw;
    double total = 0;
    for (int i = 0; i < batch; i++) {
        wasmtime_module_t *module = NULL;
        double start = now_ns();
        wasmtime_error_t *error = wasmtime_module_new(ctx->engine, ctx->bytes, ctx->size, &module);
        total += now_ns() - start;
        check("wasmtime_module_new(big.wasm)", error, NULL);
        wasmtime_module_delete(module);
    }
    return total / batch;
}

struct instantiate_ctx {
    wasm_engine_t *engine;
    wasmtime_module_t *module;
};

// A store, with a far epoch deadline under --epoch (the epoch never advances here).
static wasmtime_store_t *new_store(wasm_engine_t *engine) {
    wasmtime_store_t *store = wasmtime_store_new(engine, NULL, NULL);
    if (epoch) wasmtime_context_set_epoch_deadline(wasmtime_store_context(store), 1ULL << 62);
    return store;
}

// A fresh store per instance, as Wasmton makes one per instance; the store's teardown is not timed
// (Wasmton's instance teardown is not timed either).
static double sample_instantiate(void *raw, int batch) {
    struct instantiate_ctx *ctx = raw;
    double total = 0;
    for (int i = 0; i < batch; i++) {
        wasmtime_instance_t instance;
        wasm_trap_t *trap = NULL;
        double start = now_ns();
        wasmtime_store_t *store = new_store(ctx->engine);
        wasmtime_error_t *error =
            wasmtime_instance_new(wasmtime_store_context(store), ctx->module, NULL, 0, &instance, &trap);
        total += now_ns() - start;
        check("wasmtime_instance_new(big.wasm)", error, trap);
        wasmtime_store_delete(store);
    }
    return total / batch;
}

struct call_ctx {
    wasmtime_context_t *context;
    wasmtime_instance_t instance;
    wasmtime_func_t func;
    const char *name;
    wasmtime_val_t args[2];
    size_t nargs, nresults;
    bool lookup;
};

static double sample_call(void *raw, int batch) {
    struct call_ctx *ctx = raw;
    wasmtime_val_t results[1];
    wasm_trap_t *trap = NULL;
    wasmtime_error_t *error = NULL;
    double start = now_ns();
    for (int i = 0; i < batch; i++) {
        wasmtime_func_t func = ctx->lookup ? export_func(ctx->context, &ctx->instance, ctx->name) : ctx->func;
        error = wasmtime_func_call(ctx->context, &func, ctx->args, ctx->nargs, results, ctx->nresults, &trap);
        if (error || trap) break;
    }
    double elapsed = now_ns() - start;
    check(ctx->name, error, trap);
    return elapsed / batch;
}

static void measure_call(
    const char *op, wasmtime_context_t *context, wasmtime_instance_t instance, const char *name, int32_t arg,
    size_t nargs, size_t nresults, bool lookup, int batch, int max_samples) {
    struct call_ctx ctx = {.context = context, .instance = instance, .name = name, .nargs = nargs,
                           .nresults = nresults, .lookup = lookup};
    ctx.func = export_func(context, &instance, name);
    ctx.args[0].kind = WASMTIME_I32;
    ctx.args[0].of.i32 = arg;
    measure(op, sample_call, &ctx, batch, 20, 20, max_samples, 3.0);
}

int main(int argc, char **argv) {
    const char *guests = NULL;
    const char *target = NULL;
    const char *memloop_path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--target") == 0 && i + 1 < argc) {
            target = argv[++i];
        } else if (strcmp(argv[i], "--memloop") == 0 && i + 1 < argc) {
            memloop_path = argv[++i];
        } else if (strcmp(argv[i], "--quick") == 0) {
            quick = true;
        } else if (strcmp(argv[i], "--epoch") == 0) {
            epoch = true;
        } else {
            guests = argv[i];
        }
    }
    if (!guests) {
        fprintf(stderr, "usage: harness GUEST_DIR [--memloop PATH.wat] [--target pulley64] [--epoch] [--quick]\n");
        return 2;
    }
    wasm_config_t *config = wasm_config_new();
    if (epoch) {
        wasmtime_config_epoch_interruption_set(config, true);
        variant = target ? "pulley64-epoch" : "cranelift-epoch";
    }
    if (target) {
        check("wasmtime_config_target_set", wasmtime_config_target_set(config, target), NULL);
        variant = target;
    }
    wasm_engine_t *engine = wasm_engine_new_with_config(config);

    char path[4096];
    size_t big_size, bench_size;
    snprintf(path, sizeof path, "%s/big.wasm", guests);
    uint8_t *big = read_file(path, &big_size);
    snprintf(path, sizeof path, "%s/bench.wasm", guests);
    uint8_t *bench = read_file(path, &bench_size);

    // 1. Load + validate + compile (Cranelift: to native code, or to Pulley bytecode).
    struct compile_ctx compile = {engine, big, big_size};
    measure("load_validate_big", sample_compile, &compile, 1, 1, 5, 30, 10.0);

    // 1b. The same on one thread: Wasmtime compiles functions in parallel by default, Wasmton's
    //     load runs on one thread.
    if (!target) {
        wasm_config_t *serial_config = wasm_config_new();
        wasmtime_config_parallel_compilation_set(serial_config, false);
        struct compile_ctx serial = {wasm_engine_new_with_config(serial_config), big, big_size};
        measure("load_validate_big_serial", sample_compile, &serial, 1, 1, 5, 30, 10.0);
        wasm_engine_delete(serial.engine);
    }

    // 2. Instantiate big.wasm from the compiled module.
    wasmtime_module_t *big_module = NULL;
    check("wasmtime_module_new(big.wasm)", wasmtime_module_new(engine, big, big_size, &big_module), NULL);
    struct instantiate_ctx inst = {engine, big_module};
    measure("instantiate_big", sample_instantiate, &inst, 1, 20, 50, 2000, 3.0);

    // 3./4. Calls into bench.wasm, whose import bench.host_echo echoes its argument.
    wasmtime_module_t *bench_module = NULL;
    check("wasmtime_module_new(bench.wasm)", wasmtime_module_new(engine, bench, bench_size, &bench_module), NULL);
    wasmtime_store_t *store = new_store(engine);
    wasmtime_context_t *context = wasmtime_store_context(store);
    wasm_valtype_t *param = wasm_valtype_new(WASM_I32), *result = wasm_valtype_new(WASM_I32);
    wasm_valtype_vec_t params, results;
    wasm_valtype_vec_new(&params, 1, &param);
    wasm_valtype_vec_new(&results, 1, &result);
    wasm_functype_t *echo_type = wasm_functype_new(&params, &results);
    wasmtime_extern_t import;
    import.kind = WASMTIME_EXTERN_FUNC;
    wasmtime_func_new(context, echo_type, host_echo, NULL, NULL, &import.of.func);
    wasm_functype_delete(echo_type);
    wasmtime_instance_t instance;
    wasm_trap_t *trap = NULL;
    check("wasmtime_instance_new(bench.wasm)",
          wasmtime_instance_new(context, bench_module, &import, 1, &instance, &trap), trap);

    measure_call("call_noop", context, instance, "noop", 0, 0, 0, false, 1000, 300);
    measure_call("call_noop_lookup", context, instance, "noop", 0, 0, 0, true, 1000, 300);
    measure_call("call_host_roundtrip", context, instance, "call_host", 7, 1, 1, false, 1000, 300);

    // 5. A small workload: big.wasm's run(1) calls 64 generated functions (arithmetic, loops,
    //    memory loads and stores, call_indirect).
    wasmtime_store_t *big_store = new_store(engine);
    wasmtime_context_t *big_context = wasmtime_store_context(big_store);
    wasmtime_instance_t big_instance;
    check("wasmtime_instance_new(big.wasm)",
          wasmtime_instance_new(big_context, big_module, NULL, 0, &big_instance, &trap), trap);
    measure_call("call_run_workload", big_context, big_instance, "run", 1, 1, 1, false, 20, 300);

    // 6. A memory-bound loop: memloop(10000), 10,000 iterations of one load and one store.
    wasmtime_module_t *memloop_module = NULL;
    wasmtime_store_t *memloop_store = NULL;
    if (memloop_path) {
        size_t wat_size;
        uint8_t *wat = read_file(memloop_path, &wat_size);
        wasm_byte_vec_t binary;
        check("wasmtime_wat2wasm(memloop)", wasmtime_wat2wasm((const char *)wat, wat_size, &binary), NULL);
        check("wasmtime_module_new(memloop)",
              wasmtime_module_new(engine, (const uint8_t *)binary.data, binary.size, &memloop_module), NULL);
        wasm_byte_vec_delete(&binary);
        free(wat);
        memloop_store = new_store(engine);
        wasmtime_context_t *memloop_context = wasmtime_store_context(memloop_store);
        wasmtime_instance_t memloop_instance;
        check("wasmtime_instance_new(memloop)",
              wasmtime_instance_new(memloop_context, memloop_module, NULL, 0, &memloop_instance, &trap), trap);
        struct call_ctx ctx = {.context = memloop_context, .instance = memloop_instance, .name = "memloop",
                               .nargs = 1, .nresults = 1};
        ctx.func = export_func(memloop_context, &memloop_instance, "memloop");
        ctx.args[0].kind = WASMTIME_I32;
        ctx.args[0].of.i32 = 10000;
        measure("call_memloop_workload", sample_call, &ctx, 1, 5, 20, 300, 3.0);
        wasmtime_store_delete(memloop_store);
        wasmtime_module_delete(memloop_module);
    }

    wasmtime_store_delete(big_store);
    wasmtime_store_delete(store);
    wasmtime_module_delete(bench_module);
    wasmtime_module_delete(big_module);
    wasm_engine_delete(engine);
    free(big);
    free(bench);
    return 0;
}
