/*
 * wapc.h: write a waPC guest in C (single-header library).
 *
 * waPC (WebAssembly Procedure Calls, wapc.io) is the call protocol of the
 * book's chapter 5: the host invokes a named operation with a byte payload and
 * gets bytes (or an error message) back. Payloads are opaque; by convention
 * they are MessagePack (see wapc_msgpack.h). A module built with this header
 * runs on any waPC host (Wasmton, wapc-rs, @wapc/host, ...).
 *
 * Usage: in exactly ONE .c file, define WAPC_GUEST_IMPLEMENTATION before
 * including this header; that file gets the __guest_call export and the
 * helpers' bodies. Other files of the same guest include it plainly.
 *
 *   #define WAPC_GUEST_IMPLEMENTATION
 *   #include "wapc.h"
 *
 *   static int hello(const uint8_t *payload, size_t len) {
 *       (void)payload; (void)len;
 *       return wapc_response("hi", 2);          // or: return wapc_error("...");
 *   }
 *
 *   void wapc_init(void) {                      // exported by this header
 *       wapc_register_function("hello", hello);
 *   }
 *
 * Build a reactor: clang --target=wasm32-wasi -mexec-model=reactor ... (see
 * guests/Makefile). The host instantiates the module, then calls whichever
 * exist of _start, _initialize (the reactor's libc set-up) and wapc_init, in
 * that order; after that, one __guest_call per invocation.
 *
 * ---- The ABI (what this header does for you) -------------------------------
 *
 * Everything is i32; strings and payloads are (pointer, length) in the guest's
 * exported `memory`; operation names are UTF-8, not NUL-terminated.
 *
 * Guest export:
 *   __guest_call(op_len, payload_len) -> i32   1 = success, 0 = error
 *     The host has stored the operation name and payload and tells the guest
 *     their lengths. The guest allocates op_len + payload_len bytes, calls
 *     __guest_request(op_ptr, payload_ptr) to have the host copy both in,
 *     runs the operation, and before returning calls exactly one of
 *     __guest_response(ptr, len) (then returns 1) or __guest_error(ptr, len)
 *     (then returns 0). The host copies the bytes during that call.
 *
 * Host imports (module "wapc"):
 *   __guest_request(op_ptr, ptr)         copy the current operation and payload in
 *   __guest_response(ptr, len)           the successful result of this call
 *   __guest_error(ptr, len)              the error message of this call
 *   __host_call(bd_ptr, bd_len, ns_ptr, ns_len, op_ptr, op_len, ptr, len) -> i32
 *                                        call the host: binding, namespace,
 *                                        operation, payload; 1 = ok, 0 = error
 *   __host_response_len() -> i32         length of the last host call's result
 *   __host_response(ptr)                 copy that result to ptr
 *   __host_error_len() -> i32            length of the last host call's error
 *   __host_error(ptr)                    copy that error message to ptr
 *   __console_log(ptr, len)              log a UTF-8 line through the host
 *
 * The linker keeps only the imports a guest uses: a guest that never calls
 * the host imports just __guest_request, __guest_response and __guest_error.
 */
#ifndef WAPC_H
#define WAPC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- raw ABI ------------------------------------------------------------ */

#define WAPC_IMPORT(name) __attribute__((import_module("wapc"), import_name(name)))
#define WAPC_EXPORT(name) __attribute__((export_name(name)))

WAPC_IMPORT("__guest_request")
void __guest_request(uint8_t *op_ptr, uint8_t *payload_ptr);
WAPC_IMPORT("__guest_response")
void __guest_response(const void *ptr, size_t len);
WAPC_IMPORT("__guest_error")
void __guest_error(const void *ptr, size_t len);
WAPC_IMPORT("__host_call")
int32_t __host_call(const void *bd_ptr, size_t bd_len, const void *ns_ptr, size_t ns_len,
                    const void *op_ptr, size_t op_len, const void *ptr, size_t len);
WAPC_IMPORT("__host_response_len")
size_t __host_response_len(void);
WAPC_IMPORT("__host_response")
void __host_response(uint8_t *ptr);
WAPC_IMPORT("__host_error_len")
size_t __host_error_len(void);
WAPC_IMPORT("__host_error")
void __host_error(uint8_t *ptr);
WAPC_IMPORT("__console_log")
void __console_log(const void *ptr, size_t len);

/* The guest defines this; it registers the guest's operations. The
 * declaration exports it, so the definition needs no attribute. */
WAPC_EXPORT("wapc_init")
void wapc_init(void);

/* ---- operations ----------------------------------------------------------- */

/* An operation handler. `payload` holds `len` bytes (valid until the handler
 * returns; not NUL-terminated). Answer with `return wapc_response(...)` or
 * `return wapc_error(...)`. Returning 1 without answering sends an empty
 * response; returning 0 without answering sends "operation NAME failed". */
typedef int (*wapc_handler)(const uint8_t *payload, size_t len);

/* Most operations a guest can register (override with -DWAPC_MAX_FUNCTIONS=N). */
#ifndef WAPC_MAX_FUNCTIONS
#define WAPC_MAX_FUNCTIONS 64
#endif

/* Route operation `name` to `fn`. `name` is NUL-terminated and must stay valid
 * (a string literal). Registering a name again replaces its handler.
 * Returns 1, or 0 when the table is full. Call it from wapc_init. */
int wapc_register_function(const char *name, wapc_handler fn);

/* Answer the current call with `len` bytes (copied by the host at once, so a
 * stack buffer is fine). Returns 1. */
int wapc_response(const void *data, size_t len);

/* Fail the current call with a message (NUL-terminated; used as is, no
 * formatting). Returns 0. */
int wapc_error(const char *message);

/* Fail the current call with `len` bytes of message. Returns 0. */
int wapc_error_bytes(const void *message, size_t len);

/* Log a line through the host (__console_log). */
void wapc_console_log(const char *message);
void wapc_console_log_bytes(const void *message, size_t len);

/* Call the host: binding, namespace and operation are NUL-terminated
 * strings. Returns 1 if the host succeeded, 0 if it failed. Either way, if
 * `out` is not NULL, *out receives a malloc'd copy of the host's response
 * (on 1) or error message (on 0), with a NUL after the last byte for
 * convenience, and *out_len its length; free(*out) when done. *out is NULL
 * if that copy could not be allocated. */
int wapc_host_call(const char *binding, const char *namespace_, const char *operation,
                   const void *payload, size_t len, uint8_t **out, size_t *out_len);

/* The same with explicit lengths (for names that are not NUL-terminated). */
int wapc_host_call_bytes(const void *binding, size_t binding_len,
                         const void *namespace_, size_t namespace_len,
                         const void *operation, size_t operation_len,
                         const void *payload, size_t len, uint8_t **out, size_t *out_len);

#ifdef __cplusplus
}
#endif

/* ---- implementation (one .c file defines WAPC_GUEST_IMPLEMENTATION) ------- */

#ifdef WAPC_GUEST_IMPLEMENTATION

#include <stdlib.h>
#include <string.h>

static struct {
    const char *name;
    size_t name_len;
    wapc_handler fn;
} wapc__functions[WAPC_MAX_FUNCTIONS];
static size_t wapc__function_count;

/* Set by wapc_response / wapc_error during a __guest_call. */
static int wapc__answered;

int wapc_register_function(const char *name, wapc_handler fn) {
    size_t name_len = strlen(name);
    for (size_t i = 0; i < wapc__function_count; i++) {
        if (wapc__functions[i].name_len == name_len &&
            memcmp(wapc__functions[i].name, name, name_len) == 0) {
            wapc__functions[i].fn = fn;
            return 1;
        }
    }
    if (wapc__function_count == WAPC_MAX_FUNCTIONS) return 0;
    wapc__functions[wapc__function_count].name = name;
    wapc__functions[wapc__function_count].name_len = name_len;
    wapc__functions[wapc__function_count].fn = fn;
    wapc__function_count++;
    return 1;
}

int wapc_response(const void *data, size_t len) {
    __guest_response(len ? data : "", len);
    wapc__answered = 1;
    return 1;
}

int wapc_error_bytes(const void *message, size_t len) {
    __guest_error(len ? message : "", len);
    wapc__answered = 1;
    return 0;
}

int wapc_error(const char *message) {
    return wapc_error_bytes(message, strlen(message));
}

void wapc_console_log_bytes(const void *message, size_t len) {
    __console_log(len ? message : "", len);
}

void wapc_console_log(const char *message) {
    wapc_console_log_bytes(message, strlen(message));
}

/* Fail with prefix + name + suffix (for messages that name the operation). */
static int wapc__error_about(const char *prefix, const uint8_t *name, size_t name_len,
                             const char *suffix) {
    size_t prefix_len = strlen(prefix), suffix_len = strlen(suffix);
    char *message = malloc(prefix_len + name_len + suffix_len);
    if (message == NULL) return wapc_error(prefix);
    memcpy(message, prefix, prefix_len);
    memcpy(message + prefix_len, name, name_len);
    memcpy(message + prefix_len + name_len, suffix, suffix_len);
    wapc_error_bytes(message, prefix_len + name_len + suffix_len);
    free(message);
    return 0;
}

WAPC_EXPORT("__guest_call")
int32_t __guest_call(int32_t op_len, int32_t payload_len);

int32_t __guest_call(int32_t op_len, int32_t payload_len) {
    if (op_len < 0 || payload_len < 0) return wapc_error("invalid operation or payload length");

    /* One block: the operation name, then the payload. */
    uint8_t *buffer = malloc((size_t)op_len + (size_t)payload_len + 1);
    if (buffer == NULL) return wapc_error("guest out of memory for the request");
    uint8_t *op = buffer, *payload = buffer + op_len;
    __guest_request(op, payload);

    wapc_handler fn = NULL;
    for (size_t i = 0; i < wapc__function_count; i++) {
        if (wapc__functions[i].name_len == (size_t)op_len &&
            memcmp(wapc__functions[i].name, op, (size_t)op_len) == 0) {
            fn = wapc__functions[i].fn;
            break;
        }
    }

    int32_t ok;
    if (fn == NULL) {
        ok = wapc__error_about("unknown operation: ", op, (size_t)op_len, "");
    } else {
        wapc__answered = 0;
        ok = fn(payload, (size_t)payload_len) ? 1 : 0;
        if (!wapc__answered) {
            if (ok) wapc_response("", 0);
            else wapc__error_about("operation ", op, (size_t)op_len, " failed");
        }
    }
    free(buffer);
    return ok;
}

int wapc_host_call_bytes(const void *binding, size_t binding_len,
                         const void *namespace_, size_t namespace_len,
                         const void *operation, size_t operation_len,
                         const void *payload, size_t len, uint8_t **out, size_t *out_len) {
    int ok = __host_call(binding, binding_len, namespace_, namespace_len,
                         operation, operation_len, len ? payload : "", len) == 1;
    if (out == NULL) return ok;
    size_t n = ok ? __host_response_len() : __host_error_len();
    uint8_t *copy = malloc(n + 1);
    if (copy != NULL) {
        if (ok) __host_response(copy);
        else __host_error(copy);
        copy[n] = 0;
    }
    *out = copy;
    if (out_len != NULL) *out_len = copy != NULL ? n : 0;
    return ok;
}

int wapc_host_call(const char *binding, const char *namespace_, const char *operation,
                   const void *payload, size_t len, uint8_t **out, size_t *out_len) {
    return wapc_host_call_bytes(binding, strlen(binding), namespace_, strlen(namespace_),
                                operation, strlen(operation), payload, len, out, out_len);
}

#endif /* WAPC_GUEST_IMPLEMENTATION */

#endif /* WAPC_H */
