/*
 * proxy_wasm.h: write a proxy-wasm (ABI 0.2.1) HTTP filter in C
 * (single-header library).
 *
 * proxy-wasm is the ABI of Envoy's Wasm filters (proxy-wasm/spec): the proxy
 * calls the module's proxy_on_* exports as a request goes through, and the
 * module calls the proxy's proxy_* imports (module "env") to read and change
 * headers, bodies and properties, log, and answer locally. A module built with
 * this header runs on any proxy-wasm 0.2.1 host (Envoy, Istio, Wasmton's
 * gateway, ...). guests/PROXY_WASM_NOTES.md describes the whole ABI.
 *
 * Usage: in exactly ONE .c file, define PROXY_WASM_IMPLEMENTATION before
 * including this header; that file gets the exports and the helpers' bodies,
 * and defines the filter's callbacks in `proxy_wasm_filter_callbacks`. Other
 * files of the same guest include the header plainly.
 *
 *   #define PROXY_WASM_IMPLEMENTATION
 *   #include "proxy_wasm.h"
 *
 *   static proxy_wasm_action on_request_headers(uint32_t context_id,
 *                                               size_t num_headers, int end_of_stream) {
 *       (void)context_id; (void)num_headers; (void)end_of_stream;
 *       proxy_wasm_add_header(PROXY_WASM_MAP_HTTP_REQUEST_HEADERS, "x-hello", "world");
 *       return PROXY_WASM_CONTINUE;
 *   }
 *
 *   const proxy_wasm_filter proxy_wasm_filter_callbacks = {
 *       .on_request_headers = on_request_headers,   // unset callbacks use the defaults
 *   };
 *
 * Build a reactor: clang --target=wasm32-wasi -mexec-model=reactor ... (see
 * guests/Makefile). The module exports memory, _initialize (wasi-libc's reactor
 * start-up), proxy_abi_version_0_2_1, proxy_on_memory_allocate and the
 * proxy_on_* callbacks listed below, and imports only the env.proxy_*
 * functions it calls (the linker drops the rest).
 *
 * ---- What the host does (see PROXY_WASM_NOTES.md for the details) ----------
 *
 *   start-up   _initialize; proxy_on_context_create(root, 0);
 *              proxy_on_vm_start(root, vm_config_size);
 *              proxy_on_configure(root, plugin_config_size)
 *   a request  proxy_on_context_create(ctx, root);
 *              proxy_on_request_headers(ctx, n, eos) [, proxy_on_request_body ...]
 *              [proxy_on_response_headers, proxy_on_response_body ...]
 *              proxy_on_done(ctx); proxy_on_log(ctx); proxy_on_delete(ctx)
 *
 * Memory: whatever the host returns (a header value, a buffer, a map, a
 * property) it writes into memory it gets from proxy_on_memory_allocate, which
 * this header implements with malloc. The guest owns it: the helpers below
 * hand it to you as malloc'd memory, and you free() it.
 *
 * Header names are lower case in proxy-wasm (":authority", "authorization");
 * the pseudo-headers :method, :path, :authority and :scheme are in the request
 * map, :status in the response map.
 */
#ifndef PROXY_WASM_H
#define PROXY_WASM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- ABI types (proxy-wasm/spec abi-versions/v0.2.1) ---------------------- */

/* proxy_status_t: what every proxy_* import returns. */
typedef enum proxy_wasm_status {
    PROXY_WASM_OK = 0,
    PROXY_WASM_NOT_FOUND = 1,
    PROXY_WASM_BAD_ARGUMENT = 2,
    PROXY_WASM_SERIALIZATION_FAILURE = 3,
    PROXY_WASM_PARSE_FAILURE = 4,
    PROXY_WASM_BAD_EXPRESSION = 5,       /* not in the spec; Envoy's WasmResult */
    PROXY_WASM_INVALID_MEMORY_ACCESS = 6,
    PROXY_WASM_EMPTY = 7,
    PROXY_WASM_CAS_MISMATCH = 8,
    PROXY_WASM_RESULT_MISMATCH = 9,      /* not in the spec; Envoy's WasmResult */
    PROXY_WASM_INTERNAL_FAILURE = 10,
    PROXY_WASM_BROKEN_CONNECTION = 11,   /* not in the spec; Envoy's WasmResult */
    PROXY_WASM_UNIMPLEMENTED = 12,
} proxy_wasm_status;

/* proxy_action_t: what the stream callbacks return. */
typedef enum proxy_wasm_action {
    PROXY_WASM_CONTINUE = 0,   /* pass this part on (downstream or upstream) */
    PROXY_WASM_PAUSE = 1,      /* stop here; resume with proxy_wasm_continue_request() */
} proxy_wasm_action;

/* proxy_log_level_t */
typedef enum proxy_wasm_log_level {
    PROXY_WASM_LOG_TRACE = 0,
    PROXY_WASM_LOG_DEBUG = 1,
    PROXY_WASM_LOG_INFO = 2,
    PROXY_WASM_LOG_WARN = 3,
    PROXY_WASM_LOG_ERROR = 4,
    PROXY_WASM_LOG_CRITICAL = 5,
} proxy_wasm_log_level;

/* proxy_map_type_t: the header maps. */
typedef enum proxy_wasm_map_type {
    PROXY_WASM_MAP_HTTP_REQUEST_HEADERS = 0,
    PROXY_WASM_MAP_HTTP_REQUEST_TRAILERS = 1,
    PROXY_WASM_MAP_HTTP_RESPONSE_HEADERS = 2,
    PROXY_WASM_MAP_HTTP_RESPONSE_TRAILERS = 3,
    PROXY_WASM_MAP_GRPC_CALL_INITIAL_METADATA = 4,
    PROXY_WASM_MAP_GRPC_CALL_TRAILING_METADATA = 5,
    PROXY_WASM_MAP_HTTP_CALL_RESPONSE_HEADERS = 6,
    PROXY_WASM_MAP_HTTP_CALL_RESPONSE_TRAILERS = 7,
} proxy_wasm_map_type;

/* proxy_buffer_type_t */
typedef enum proxy_wasm_buffer_type {
    PROXY_WASM_BUFFER_HTTP_REQUEST_BODY = 0,
    PROXY_WASM_BUFFER_HTTP_RESPONSE_BODY = 1,
    PROXY_WASM_BUFFER_DOWNSTREAM_DATA = 2,
    PROXY_WASM_BUFFER_UPSTREAM_DATA = 3,
    PROXY_WASM_BUFFER_HTTP_CALL_RESPONSE_BODY = 4,
    PROXY_WASM_BUFFER_GRPC_CALL_MESSAGE = 5,
    PROXY_WASM_BUFFER_VM_CONFIGURATION = 6,
    PROXY_WASM_BUFFER_PLUGIN_CONFIGURATION = 7,
    PROXY_WASM_BUFFER_FOREIGN_FUNCTION_ARGUMENTS = 8,
} proxy_wasm_buffer_type;

/* proxy_stream_type_t: for proxy_continue_stream / proxy_close_stream. */
typedef enum proxy_wasm_stream_type {
    PROXY_WASM_STREAM_HTTP_REQUEST = 0,
    PROXY_WASM_STREAM_HTTP_RESPONSE = 1,
    PROXY_WASM_STREAM_DOWNSTREAM = 2,
    PROXY_WASM_STREAM_UPSTREAM = 3,
} proxy_wasm_stream_type;

/* proxy_metric_type_t */
typedef enum proxy_wasm_metric_type {
    PROXY_WASM_METRIC_COUNTER = 0,
    PROXY_WASM_METRIC_GAUGE = 1,
    PROXY_WASM_METRIC_HISTOGRAM = 2,
} proxy_wasm_metric_type;

/* ---- raw ABI: host functions (module "env") ------------------------------- */
/*
 * Every import is (i32...) -> i32 status, except the i64 metric values. A
 * `return_*` parameter is a pointer the host writes through; a returned
 * (data, size) pair points at memory the host got from
 * proxy_on_memory_allocate (the caller frees it). The linker keeps only the
 * imports a guest calls.
 */

#define PROXY_WASM_IMPORT(name) __attribute__((import_module("env"), import_name(name)))
#define PROXY_WASM_EXPORT(name) __attribute__((export_name(name)))

PROXY_WASM_IMPORT("proxy_log")
proxy_wasm_status proxy_log(proxy_wasm_log_level level, const char *message, size_t size);
PROXY_WASM_IMPORT("proxy_get_log_level")
proxy_wasm_status proxy_get_log_level(uint32_t *return_level);
PROXY_WASM_IMPORT("proxy_get_current_time_nanoseconds")
proxy_wasm_status proxy_get_current_time_nanoseconds(uint64_t *return_time);
PROXY_WASM_IMPORT("proxy_set_tick_period_milliseconds")
proxy_wasm_status proxy_set_tick_period_milliseconds(uint32_t period);

PROXY_WASM_IMPORT("proxy_get_buffer_bytes")
proxy_wasm_status proxy_get_buffer_bytes(proxy_wasm_buffer_type type, size_t start,
                                         size_t max_size, char **return_data,
                                         size_t *return_size);
PROXY_WASM_IMPORT("proxy_get_buffer_status")
proxy_wasm_status proxy_get_buffer_status(proxy_wasm_buffer_type type, size_t *return_size,
                                          uint32_t *return_flags);
PROXY_WASM_IMPORT("proxy_set_buffer_bytes")
proxy_wasm_status proxy_set_buffer_bytes(proxy_wasm_buffer_type type, size_t start,
                                         size_t size, const void *data, size_t data_size);

PROXY_WASM_IMPORT("proxy_get_header_map_pairs")
proxy_wasm_status proxy_get_header_map_pairs(proxy_wasm_map_type type, char **return_data,
                                             size_t *return_size);
PROXY_WASM_IMPORT("proxy_set_header_map_pairs")
proxy_wasm_status proxy_set_header_map_pairs(proxy_wasm_map_type type, const void *data,
                                             size_t size);
PROXY_WASM_IMPORT("proxy_get_header_map_size")
proxy_wasm_status proxy_get_header_map_size(proxy_wasm_map_type type, size_t *return_size);
PROXY_WASM_IMPORT("proxy_get_header_map_value")
proxy_wasm_status proxy_get_header_map_value(proxy_wasm_map_type type, const char *key,
                                             size_t key_size, char **return_value,
                                             size_t *return_value_size);
PROXY_WASM_IMPORT("proxy_add_header_map_value")
proxy_wasm_status proxy_add_header_map_value(proxy_wasm_map_type type, const char *key,
                                             size_t key_size, const char *value,
                                             size_t value_size);
PROXY_WASM_IMPORT("proxy_replace_header_map_value")
proxy_wasm_status proxy_replace_header_map_value(proxy_wasm_map_type type, const char *key,
                                                 size_t key_size, const char *value,
                                                 size_t value_size);
PROXY_WASM_IMPORT("proxy_remove_header_map_value")
proxy_wasm_status proxy_remove_header_map_value(proxy_wasm_map_type type, const char *key,
                                                size_t key_size);

PROXY_WASM_IMPORT("proxy_get_property")
proxy_wasm_status proxy_get_property(const char *path, size_t path_size, char **return_value,
                                     size_t *return_value_size);
PROXY_WASM_IMPORT("proxy_set_property")
proxy_wasm_status proxy_set_property(const char *path, size_t path_size, const void *value,
                                     size_t value_size);

PROXY_WASM_IMPORT("proxy_continue_stream")
proxy_wasm_status proxy_continue_stream(proxy_wasm_stream_type type);
PROXY_WASM_IMPORT("proxy_close_stream")
proxy_wasm_status proxy_close_stream(proxy_wasm_stream_type type);
PROXY_WASM_IMPORT("proxy_send_local_response")
proxy_wasm_status proxy_send_local_response(uint32_t status_code, const char *details,
                                            size_t details_size, const void *body,
                                            size_t body_size, const void *headers,
                                            size_t headers_size, int32_t grpc_status);

PROXY_WASM_IMPORT("proxy_set_effective_context")
proxy_wasm_status proxy_set_effective_context(uint32_t context_id);
PROXY_WASM_IMPORT("proxy_done")
proxy_wasm_status proxy_done(void);

PROXY_WASM_IMPORT("proxy_http_call")
proxy_wasm_status proxy_http_call(const char *upstream, size_t upstream_size,
                                  const void *headers, size_t headers_size, const void *body,
                                  size_t body_size, const void *trailers, size_t trailers_size,
                                  uint32_t timeout_ms, uint32_t *return_call_id);

PROXY_WASM_IMPORT("proxy_get_shared_data")
proxy_wasm_status proxy_get_shared_data(const char *key, size_t key_size, char **return_value,
                                        size_t *return_value_size, uint32_t *return_cas);
PROXY_WASM_IMPORT("proxy_set_shared_data")
proxy_wasm_status proxy_set_shared_data(const char *key, size_t key_size, const void *value,
                                        size_t value_size, uint32_t cas);

PROXY_WASM_IMPORT("proxy_define_metric")
proxy_wasm_status proxy_define_metric(proxy_wasm_metric_type type, const char *name,
                                      size_t name_size, uint32_t *return_metric_id);
PROXY_WASM_IMPORT("proxy_increment_metric")
proxy_wasm_status proxy_increment_metric(uint32_t metric_id, int64_t delta);
PROXY_WASM_IMPORT("proxy_record_metric")
proxy_wasm_status proxy_record_metric(uint32_t metric_id, uint64_t value);
PROXY_WASM_IMPORT("proxy_get_metric")
proxy_wasm_status proxy_get_metric(uint32_t metric_id, uint64_t *return_value);

/* ---- callbacks: what a filter implements ----------------------------------- */

/*
 * The filter's callbacks. Any member left NULL gets the default: 1 (success)
 * for on_vm_start, on_configure and on_done, PROXY_WASM_CONTINUE for the
 * stream callbacks, nothing for the rest. `end_of_stream` is 1 when no more
 * body (or trailers) follow.
 */
typedef struct proxy_wasm_filter {
    /* The plugin (root) context, once per VM / plugin. Return 1 on success,
     * 0 to fail: the host must then not use the VM / plugin. Read the
     * configurations with proxy_wasm_get_vm_configuration() and
     * proxy_wasm_get_plugin_configuration() from inside these calls. */
    int (*on_vm_start)(uint32_t root_context_id, size_t vm_configuration_size);
    int (*on_configure)(uint32_t root_context_id, size_t plugin_configuration_size);
    /* Every tick period (proxy_set_tick_period_milliseconds). */
    void (*on_tick)(uint32_t root_context_id);

    /* A new context: the root (parent_context_id == 0) or one per request. */
    void (*on_context_create)(uint32_t context_id, uint32_t parent_context_id);

    /* One request/response exchange (context_id is the stream context). */
    proxy_wasm_action (*on_request_headers)(uint32_t context_id, size_t num_headers,
                                            int end_of_stream);
    proxy_wasm_action (*on_request_body)(uint32_t context_id, size_t body_size,
                                         int end_of_stream);
    proxy_wasm_action (*on_request_trailers)(uint32_t context_id, size_t num_trailers);
    proxy_wasm_action (*on_response_headers)(uint32_t context_id, size_t num_headers,
                                             int end_of_stream);
    proxy_wasm_action (*on_response_body)(uint32_t context_id, size_t body_size,
                                          int end_of_stream);
    proxy_wasm_action (*on_response_trailers)(uint32_t context_id, size_t num_trailers);

    /* The end of a context: on_done (return 1 when finished; 0 means "I will
     * call proxy_done() later"), then on_log, then on_delete. */
    int (*on_done)(uint32_t context_id);
    void (*on_log)(uint32_t context_id);
    void (*on_delete)(uint32_t context_id);
} proxy_wasm_filter;

/* The filter defines this, in the file that defines PROXY_WASM_IMPLEMENTATION. */
extern const proxy_wasm_filter proxy_wasm_filter_callbacks;

/* ---- helpers ----------------------------------------------------------------- */

/* Log a message (NUL-terminated, or `len` bytes) at `level`. */
proxy_wasm_status proxy_wasm_log(proxy_wasm_log_level level, const char *message);
proxy_wasm_status proxy_wasm_log_bytes(proxy_wasm_log_level level, const void *message,
                                       size_t len);
/* printf-style; pulls in wasi-libc's vsnprintf (tens of KB). Messages longer
 * than 1 KiB are truncated. */
proxy_wasm_status proxy_wasm_logf(proxy_wasm_log_level level, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

/* One header (or trailer / metadata entry): not necessarily NUL-terminated
 * when you build one; NUL-terminated when proxy_wasm_get_headers made it. */
typedef struct proxy_wasm_header {
    const char *key;
    size_t key_len;
    const char *value;
    size_t value_len;
} proxy_wasm_header;

/* A whole map, as proxy_wasm_get_headers returns it. */
typedef struct proxy_wasm_headers {
    proxy_wasm_header *items;
    size_t count;
    void *raw; /* the serialized map the strings point into */
} proxy_wasm_headers;

/* Every entry of `map`, in the host's order (proxy_get_header_map_pairs).
 * On PROXY_WASM_OK, free with proxy_wasm_headers_free; keys and values are
 * NUL-terminated. PROXY_WASM_PARSE_FAILURE if the host's serialization is
 * malformed. */
proxy_wasm_status proxy_wasm_get_headers(proxy_wasm_map_type map, proxy_wasm_headers *out);
void proxy_wasm_headers_free(proxy_wasm_headers *headers);

/* Replace the whole map (proxy_set_header_map_pairs). */
proxy_wasm_status proxy_wasm_set_headers(proxy_wasm_map_type map,
                                         const proxy_wasm_header *items, size_t count);

/* The value of `key` as a malloc'd NUL-terminated string (free it), or NULL
 * when the key is absent (or the host failed). If `len` is not NULL it gets
 * the value's length. */
char *proxy_wasm_get_header(proxy_wasm_map_type map, const char *key, size_t *len);

/* Add `key: value` (a second value if the key exists), replace all values of
 * `key` (or add it), remove `key` (PROXY_WASM_OK even if it was absent). */
proxy_wasm_status proxy_wasm_add_header(proxy_wasm_map_type map, const char *key,
                                        const char *value);
proxy_wasm_status proxy_wasm_replace_header(proxy_wasm_map_type map, const char *key,
                                            const char *value);
proxy_wasm_status proxy_wasm_remove_header(proxy_wasm_map_type map, const char *key);

/* Serialize `count` entries in the proxy-wasm map format into a malloc'd
 * buffer (free it); *size gets its length. NULL if out of memory. */
void *proxy_wasm_serialize_headers(const proxy_wasm_header *items, size_t count, size_t *size);

/* Up to `max_size` bytes of a buffer from `start` (proxy_get_buffer_bytes).
 * On PROXY_WASM_OK, *data is a malloc'd copy with a NUL after the last byte
 * (free it), or NULL when the buffer is empty; *len its length. Other
 * statuses are the host's (PROXY_WASM_NOT_FOUND: no such buffer now). */
proxy_wasm_status proxy_wasm_get_buffer(proxy_wasm_buffer_type type, size_t start,
                                        size_t max_size, char **data, size_t *len);
/* The whole plugin / VM configuration (only inside on_configure / on_vm_start). */
proxy_wasm_status proxy_wasm_get_plugin_configuration(char **data, size_t *len);
proxy_wasm_status proxy_wasm_get_vm_configuration(char **data, size_t *len);
/* Replace `size` bytes at `start` of a body buffer with `len` bytes of data. */
proxy_wasm_status proxy_wasm_set_buffer(proxy_wasm_buffer_type type, size_t start, size_t size,
                                        const void *data, size_t len);

/* Answer the request here instead of the upstream: status code, optional
 * details (NULL: none; a short token that goes to the host's access log),
 * body and extra response headers. After it, return PROXY_WASM_PAUSE from the
 * callback: the host does not forward the request. */
proxy_wasm_status proxy_wasm_send_local_response(uint32_t status_code, const char *details,
                                                 const void *body, size_t body_len,
                                                 const proxy_wasm_header *headers,
                                                 size_t header_count);

/* A property by dotted name ("request.path", "source.address",
 * "plugin_root_id"): each '.' separates a path segment, as the ABI wants
 * (segments joined with NUL bytes). *value is a malloc'd copy with a NUL after
 * the last byte (free it); *len its length. Strings are raw bytes; Envoy
 * encodes integers (source.port, response.code) as 8 bytes little-endian. */
proxy_wasm_status proxy_wasm_get_property(const char *dotted_path, char **value, size_t *len);
/* The same with explicit segments, for names that contain dots. */
proxy_wasm_status proxy_wasm_get_property_segments(const char *const *segments, size_t count,
                                                   char **value, size_t *len);

/* Resume a request / response paused by returning PROXY_WASM_PAUSE. */
proxy_wasm_status proxy_wasm_continue_request(void);
proxy_wasm_status proxy_wasm_continue_response(void);

/* Wall-clock time in nanoseconds since the Unix epoch (0 if the host fails). */
uint64_t proxy_wasm_now_ns(void);

#ifdef __cplusplus
}
#endif

/* ---- implementation (one .c file defines PROXY_WASM_IMPLEMENTATION) -------- */

#ifdef PROXY_WASM_IMPLEMENTATION

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The ABI version this module speaks; the host looks for the export's name
 * and never calls it. */
PROXY_WASM_EXPORT("proxy_abi_version_0_2_1")
void proxy_abi_version_0_2_1(void) {}

/* The host allocates here whatever it returns to the guest. 0 means failure;
 * a zero-byte request still gets a unique pointer. */
PROXY_WASM_EXPORT("proxy_on_memory_allocate")
void *proxy_on_memory_allocate(size_t size) {
    return malloc(size ? size : 1);
}

#define PROXY_WASM_CALLBACK(name) PROXY_WASM_EXPORT(name)

PROXY_WASM_CALLBACK("proxy_on_context_create")
void proxy_on_context_create(uint32_t context_id, uint32_t parent_context_id) {
    if (proxy_wasm_filter_callbacks.on_context_create)
        proxy_wasm_filter_callbacks.on_context_create(context_id, parent_context_id);
}

PROXY_WASM_CALLBACK("proxy_on_vm_start")
uint32_t proxy_on_vm_start(uint32_t root_context_id, uint32_t vm_configuration_size) {
    if (!proxy_wasm_filter_callbacks.on_vm_start) return 1;
    return proxy_wasm_filter_callbacks.on_vm_start(root_context_id, vm_configuration_size) ? 1 : 0;
}

PROXY_WASM_CALLBACK("proxy_on_configure")
uint32_t proxy_on_configure(uint32_t root_context_id, uint32_t plugin_configuration_size) {
    if (!proxy_wasm_filter_callbacks.on_configure) return 1;
    return proxy_wasm_filter_callbacks.on_configure(root_context_id, plugin_configuration_size)
               ? 1 : 0;
}

PROXY_WASM_CALLBACK("proxy_on_tick")
void proxy_on_tick(uint32_t root_context_id) {
    if (proxy_wasm_filter_callbacks.on_tick) proxy_wasm_filter_callbacks.on_tick(root_context_id);
}

PROXY_WASM_CALLBACK("proxy_on_request_headers")
uint32_t proxy_on_request_headers(uint32_t context_id, uint32_t num_headers,
                                  uint32_t end_of_stream) {
    if (!proxy_wasm_filter_callbacks.on_request_headers) return PROXY_WASM_CONTINUE;
    return proxy_wasm_filter_callbacks.on_request_headers(context_id, num_headers,
                                                          end_of_stream != 0);
}

PROXY_WASM_CALLBACK("proxy_on_request_body")
uint32_t proxy_on_request_body(uint32_t context_id, uint32_t body_size, uint32_t end_of_stream) {
    if (!proxy_wasm_filter_callbacks.on_request_body) return PROXY_WASM_CONTINUE;
    return proxy_wasm_filter_callbacks.on_request_body(context_id, body_size, end_of_stream != 0);
}

PROXY_WASM_CALLBACK("proxy_on_request_trailers")
uint32_t proxy_on_request_trailers(uint32_t context_id, uint32_t num_trailers) {
    if (!proxy_wasm_filter_callbacks.on_request_trailers) return PROXY_WASM_CONTINUE;
    return proxy_wasm_filter_callbacks.on_request_trailers(context_id, num_trailers);
}

PROXY_WASM_CALLBACK("proxy_on_response_headers")
uint32_t proxy_on_response_headers(uint32_t context_id, uint32_t num_headers,
                                   uint32_t end_of_stream) {
    if (!proxy_wasm_filter_callbacks.on_response_headers) return PROXY_WASM_CONTINUE;
    return proxy_wasm_filter_callbacks.on_response_headers(context_id, num_headers,
                                                           end_of_stream != 0);
}

PROXY_WASM_CALLBACK("proxy_on_response_body")
uint32_t proxy_on_response_body(uint32_t context_id, uint32_t body_size, uint32_t end_of_stream) {
    if (!proxy_wasm_filter_callbacks.on_response_body) return PROXY_WASM_CONTINUE;
    return proxy_wasm_filter_callbacks.on_response_body(context_id, body_size, end_of_stream != 0);
}

PROXY_WASM_CALLBACK("proxy_on_response_trailers")
uint32_t proxy_on_response_trailers(uint32_t context_id, uint32_t num_trailers) {
    if (!proxy_wasm_filter_callbacks.on_response_trailers) return PROXY_WASM_CONTINUE;
    return proxy_wasm_filter_callbacks.on_response_trailers(context_id, num_trailers);
}

PROXY_WASM_CALLBACK("proxy_on_done")
uint32_t proxy_on_done(uint32_t context_id) {
    if (!proxy_wasm_filter_callbacks.on_done) return 1;
    return proxy_wasm_filter_callbacks.on_done(context_id) ? 1 : 0;
}

PROXY_WASM_CALLBACK("proxy_on_log")
void proxy_on_log(uint32_t context_id) {
    if (proxy_wasm_filter_callbacks.on_log) proxy_wasm_filter_callbacks.on_log(context_id);
}

PROXY_WASM_CALLBACK("proxy_on_delete")
void proxy_on_delete(uint32_t context_id) {
    if (proxy_wasm_filter_callbacks.on_delete) proxy_wasm_filter_callbacks.on_delete(context_id);
}

#undef PROXY_WASM_CALLBACK

/* -- logging -- */

proxy_wasm_status proxy_wasm_log_bytes(proxy_wasm_log_level level, const void *message,
                                       size_t len) {
    return proxy_log(level, len ? (const char *)message : "", len);
}

proxy_wasm_status proxy_wasm_log(proxy_wasm_log_level level, const char *message) {
    return proxy_wasm_log_bytes(level, message, strlen(message));
}

proxy_wasm_status proxy_wasm_logf(proxy_wasm_log_level level, const char *format, ...) {
    char buffer[1024];
    va_list args;
    va_start(args, format);
    int n = vsnprintf(buffer, sizeof buffer, format, args);
    va_end(args);
    if (n < 0) return PROXY_WASM_BAD_ARGUMENT;
    size_t len = (size_t)n < sizeof buffer ? (size_t)n : sizeof buffer - 1;
    return proxy_wasm_log_bytes(level, buffer, len);
}

/* -- maps -- */

static uint32_t proxy_wasm__read_u32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void proxy_wasm__write_u32(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

void proxy_wasm_headers_free(proxy_wasm_headers *headers) {
    if (headers == NULL) return;
    free(headers->items);
    free(headers->raw);
    headers->items = NULL;
    headers->raw = NULL;
    headers->count = 0;
}

proxy_wasm_status proxy_wasm_get_headers(proxy_wasm_map_type map, proxy_wasm_headers *out) {
    char *data = NULL;
    size_t size = 0;
    out->items = NULL;
    out->count = 0;
    out->raw = NULL;
    proxy_wasm_status status = proxy_get_header_map_pairs(map, &data, &size);
    if (status != PROXY_WASM_OK) {
        free(data);
        return status;
    }
    /* An empty map is size 0 (no data), or a lone count of 0. */
    if (data == NULL || size < 4) {
        free(data);
        return PROXY_WASM_OK;
    }
    const unsigned char *p = (const unsigned char *)data;
    uint32_t count = proxy_wasm__read_u32(p);
    if (count == 0) {
        free(data);
        return PROXY_WASM_OK;
    }
    /* Every entry needs 8 bytes of lengths and two NULs. */
    if (count > (size - 4) / 10) {
        free(data);
        return PROXY_WASM_PARSE_FAILURE;
    }
    proxy_wasm_header *items = calloc(count, sizeof *items);
    if (items == NULL) {
        free(data);
        return PROXY_WASM_INTERNAL_FAILURE;
    }
    size_t offset = 4 + (size_t)count * 8;
    for (uint32_t i = 0; i < count; i++) {
        size_t key_len = proxy_wasm__read_u32(p + 4 + (size_t)i * 8);
        size_t value_len = proxy_wasm__read_u32(p + 8 + (size_t)i * 8);
        /* key, NUL, value, NUL, all inside the buffer */
        if (key_len >= size - offset || p[offset + key_len] != 0) goto malformed;
        items[i].key = data + offset;
        items[i].key_len = key_len;
        offset += key_len + 1;
        if (value_len >= size - offset || p[offset + value_len] != 0) goto malformed;
        items[i].value = data + offset;
        items[i].value_len = value_len;
        offset += value_len + 1;
    }
    out->items = items;
    out->count = count;
    out->raw = data;
    return PROXY_WASM_OK;
malformed:
    free(items);
    free(data);
    return PROXY_WASM_PARSE_FAILURE;
}

void *proxy_wasm_serialize_headers(const proxy_wasm_header *items, size_t count, size_t *size) {
    size_t total = 4;
    for (size_t i = 0; i < count; i++) total += 8 + items[i].key_len + 1 + items[i].value_len + 1;
    unsigned char *buffer = malloc(total);
    if (buffer == NULL) return NULL;
    proxy_wasm__write_u32(buffer, (uint32_t)count);
    unsigned char *lengths = buffer + 4;
    unsigned char *strings = buffer + 4 + count * 8;
    for (size_t i = 0; i < count; i++) {
        proxy_wasm__write_u32(lengths + i * 8, (uint32_t)items[i].key_len);
        proxy_wasm__write_u32(lengths + i * 8 + 4, (uint32_t)items[i].value_len);
        if (items[i].key_len) memcpy(strings, items[i].key, items[i].key_len);
        strings += items[i].key_len;
        *strings++ = 0;
        if (items[i].value_len) memcpy(strings, items[i].value, items[i].value_len);
        strings += items[i].value_len;
        *strings++ = 0;
    }
    *size = total;
    return buffer;
}

proxy_wasm_status proxy_wasm_set_headers(proxy_wasm_map_type map,
                                         const proxy_wasm_header *items, size_t count) {
    size_t size;
    void *buffer = proxy_wasm_serialize_headers(items, count, &size);
    if (buffer == NULL) return PROXY_WASM_INTERNAL_FAILURE;
    proxy_wasm_status status = proxy_set_header_map_pairs(map, buffer, size);
    free(buffer);
    return status;
}

/* Make the host's (data, len) a NUL-terminated malloc'd string. */
static char *proxy_wasm__terminate(char *data, size_t len) {
    char *copy = realloc(data, len + 1);
    if (copy == NULL) {
        free(data);
        return NULL;
    }
    copy[len] = 0;
    return copy;
}

char *proxy_wasm_get_header(proxy_wasm_map_type map, const char *key, size_t *len) {
    char *value = NULL;
    size_t size = 0;
    proxy_wasm_status status = proxy_get_header_map_value(map, key, strlen(key), &value, &size);
    if (status != PROXY_WASM_OK) {
        free(value);
        return NULL;
    }
    if (value == NULL) size = 0; /* an empty value may come back as (NULL, 0) */
    char *result = proxy_wasm__terminate(value, size);
    if (result != NULL && len != NULL) *len = size;
    return result;
}

proxy_wasm_status proxy_wasm_add_header(proxy_wasm_map_type map, const char *key,
                                        const char *value) {
    return proxy_add_header_map_value(map, key, strlen(key), value, strlen(value));
}

proxy_wasm_status proxy_wasm_replace_header(proxy_wasm_map_type map, const char *key,
                                            const char *value) {
    return proxy_replace_header_map_value(map, key, strlen(key), value, strlen(value));
}

proxy_wasm_status proxy_wasm_remove_header(proxy_wasm_map_type map, const char *key) {
    return proxy_remove_header_map_value(map, key, strlen(key));
}

/* -- buffers -- */

proxy_wasm_status proxy_wasm_get_buffer(proxy_wasm_buffer_type type, size_t start,
                                        size_t max_size, char **data, size_t *len) {
    char *bytes = NULL;
    size_t size = 0;
    *data = NULL;
    *len = 0;
    proxy_wasm_status status = proxy_get_buffer_bytes(type, start, max_size, &bytes, &size);
    if (status != PROXY_WASM_OK) {
        free(bytes);
        return status;
    }
    /* Hosts return (NULL, 0) for an empty buffer and may leave both unwritten. */
    if (bytes == NULL) return PROXY_WASM_OK;
    *data = proxy_wasm__terminate(bytes, size);
    if (*data == NULL) return PROXY_WASM_INTERNAL_FAILURE;
    *len = size;
    return PROXY_WASM_OK;
}

proxy_wasm_status proxy_wasm_get_plugin_configuration(char **data, size_t *len) {
    return proxy_wasm_get_buffer(PROXY_WASM_BUFFER_PLUGIN_CONFIGURATION, 0, SIZE_MAX, data, len);
}

proxy_wasm_status proxy_wasm_get_vm_configuration(char **data, size_t *len) {
    return proxy_wasm_get_buffer(PROXY_WASM_BUFFER_VM_CONFIGURATION, 0, SIZE_MAX, data, len);
}

proxy_wasm_status proxy_wasm_set_buffer(proxy_wasm_buffer_type type, size_t start, size_t size,
                                        const void *data, size_t len) {
    return proxy_set_buffer_bytes(type, start, size, len ? data : "", len);
}

/* -- local responses -- */

proxy_wasm_status proxy_wasm_send_local_response(uint32_t status_code, const char *details,
                                                 const void *body, size_t body_len,
                                                 const proxy_wasm_header *headers,
                                                 size_t header_count) {
    size_t headers_size;
    void *serialized = proxy_wasm_serialize_headers(headers, header_count, &headers_size);
    if (serialized == NULL) return PROXY_WASM_INTERNAL_FAILURE;
    size_t details_len = details ? strlen(details) : 0;
    /* grpc_status -1: not a gRPC response. */
    proxy_wasm_status status = proxy_send_local_response(
        status_code, details_len ? details : "", details_len, body_len ? body : "", body_len,
        serialized, headers_size, -1);
    free(serialized);
    return status;
}

/* -- properties -- */

static proxy_wasm_status proxy_wasm__get_property_raw(const char *path, size_t path_len,
                                                      char **value, size_t *len) {
    char *bytes = NULL;
    size_t size = 0;
    *value = NULL;
    *len = 0;
    proxy_wasm_status status = proxy_get_property(path, path_len, &bytes, &size);
    if (status != PROXY_WASM_OK) {
        free(bytes);
        return status;
    }
    if (bytes == NULL) size = 0;
    *value = proxy_wasm__terminate(bytes, size);
    if (*value == NULL) return PROXY_WASM_INTERNAL_FAILURE;
    *len = size;
    return PROXY_WASM_OK;
}

proxy_wasm_status proxy_wasm_get_property(const char *dotted_path, char **value, size_t *len) {
    size_t path_len = strlen(dotted_path);
    char *path = malloc(path_len + 1);
    if (path == NULL) return PROXY_WASM_INTERNAL_FAILURE;
    for (size_t i = 0; i < path_len; i++) path[i] = dotted_path[i] == '.' ? 0 : dotted_path[i];
    proxy_wasm_status status = proxy_wasm__get_property_raw(path, path_len, value, len);
    free(path);
    return status;
}

proxy_wasm_status proxy_wasm_get_property_segments(const char *const *segments, size_t count,
                                                   char **value, size_t *len) {
    size_t path_len = 0;
    for (size_t i = 0; i < count; i++) path_len += strlen(segments[i]) + (i ? 1 : 0);
    char *path = malloc(path_len + 1);
    if (path == NULL) return PROXY_WASM_INTERNAL_FAILURE;
    char *p = path;
    for (size_t i = 0; i < count; i++) {
        if (i) *p++ = 0; /* separators only: no trailing NUL */
        size_t n = strlen(segments[i]);
        memcpy(p, segments[i], n);
        p += n;
    }
    proxy_wasm_status status = proxy_wasm__get_property_raw(path, path_len, value, len);
    free(path);
    return status;
}

/* -- streams, time -- */

proxy_wasm_status proxy_wasm_continue_request(void) {
    return proxy_continue_stream(PROXY_WASM_STREAM_HTTP_REQUEST);
}

proxy_wasm_status proxy_wasm_continue_response(void) {
    return proxy_continue_stream(PROXY_WASM_STREAM_HTTP_RESPONSE);
}

uint64_t proxy_wasm_now_ns(void) {
    uint64_t now = 0;
    if (proxy_get_current_time_nanoseconds(&now) != PROXY_WASM_OK) return 0;
    return now;
}

#endif /* PROXY_WASM_IMPLEMENTATION */

#endif /* PROXY_WASM_H */
