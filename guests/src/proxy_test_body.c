/*
 * proxy_test_body.c: a test filter for body streaming, on proxy_wasm.h. The
 * request header x-body-mode picks what it does with each exchange:
 *
 *   upper    streams both bodies, upper-casing ASCII letters chunk by chunk
 *            (same length, so Content-Length stays right). The response
 *            headers get x-request-calls (on_request_body calls),
 *            x-request-bytes (bytes seen) and x-request-ends (calls with
 *            end_of_stream). on_log logs "response calls=N bytes=B ends=E".
 *   collect  pauses the request headers (unless no body follows) and buffers the request body until
 *            its end, then replaces it with "seen N bytes"; pauses the
 *            response headers, buffers the response body until its end, then
 *            replaces it with "response had N bytes" and adds
 *            x-response-bytes: N. The host must recompute Content-Length.
 *   limit    streams the request body and answers 413 "too big" locally once
 *            more than x-body-limit bytes have gone by.
 * Anything else (or no header) continues everywhere and touches nothing.
 */
#define PROXY_WASM_IMPLEMENTATION
#include "proxy_wasm.h"

#include <stdlib.h>
#include <string.h>

enum mode { MODE_NONE, MODE_UPPER, MODE_COLLECT, MODE_LIMIT };

/* One stream's state; contexts are looked up by id in a small open table. */
typedef struct {
    uint32_t id;
    enum mode mode;
    uint32_t limit;
    uint32_t request_calls, request_bytes, request_ends;
    uint32_t response_calls, response_bytes, response_ends;
} stream;

#define STREAMS 256
static stream streams[STREAMS];

static stream *find(uint32_t id) {
    for (uint32_t i = 0; i < STREAMS; i++) {
        stream *s = &streams[(id + i) % STREAMS];
        if (s->id == id) return s;
    }
    return NULL;
}

static stream *create(uint32_t id) {
    for (uint32_t i = 0; i < STREAMS; i++) {
        stream *s = &streams[(id + i) % STREAMS];
        if (s->id == 0) {
            memset(s, 0, sizeof *s);
            s->id = id;
            return s;
        }
    }
    return NULL;
}

static void format_uint(char *out, uint32_t v) {
    char digits[10];
    size_t n = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++) out[i] = digits[n - 1 - i];
    out[n] = 0;
}

static void add_number(proxy_wasm_map_type map, const char *key, uint32_t v) {
    char text[11];
    format_uint(text, v);
    proxy_wasm_replace_header(map, key, text);
}

/* Upper-cases the `size` bytes the host holds in `buffer`, in place. */
static void upper(proxy_wasm_buffer_type buffer, size_t size) {
    char *data = NULL;
    size_t len = 0;
    if (size == 0 || proxy_wasm_get_buffer(buffer, 0, size, &data, &len) != PROXY_WASM_OK) return;
    for (size_t i = 0; i < len; i++)
        if (data[i] >= 'a' && data[i] <= 'z') data[i] = (char)(data[i] - 'a' + 'A');
    proxy_wasm_set_buffer(buffer, 0, len, data, len);
    free(data);
}

/* Replaces the whole buffer with `prefix` followed by the decimal `n` and `suffix`. */
static void replace(proxy_wasm_buffer_type buffer, size_t size, const char *prefix, uint32_t n,
                    const char *suffix) {
    char text[64];
    size_t p = strlen(prefix);
    memcpy(text, prefix, p);
    format_uint(text + p, n);
    strcat(text, suffix);
    proxy_wasm_set_buffer(buffer, 0, size, text, strlen(text));
}

static void on_context_create(uint32_t context_id, uint32_t parent_context_id) {
    if (parent_context_id != 0) create(context_id);
}

static proxy_wasm_action on_request_headers(uint32_t context_id, size_t num_headers,
                                            int end_of_stream) {
    (void)num_headers;
    stream *s = find(context_id);
    if (s == NULL) return PROXY_WASM_CONTINUE;
    char *mode = proxy_wasm_get_header(PROXY_WASM_MAP_HTTP_REQUEST_HEADERS, "x-body-mode", NULL);
    if (mode != NULL) {
        if (strcmp(mode, "upper") == 0) s->mode = MODE_UPPER;
        if (strcmp(mode, "collect") == 0) s->mode = MODE_COLLECT;
        if (strcmp(mode, "limit") == 0) s->mode = MODE_LIMIT;
        free(mode);
    }
    char *limit = proxy_wasm_get_header(PROXY_WASM_MAP_HTTP_REQUEST_HEADERS, "x-body-limit", NULL);
    if (limit != NULL) {
        s->limit = (uint32_t)strtoul(limit, NULL, 10);
        free(limit);
    }
    /* Pausing headers that have no body after them would hold them forever. */
    return s->mode == MODE_COLLECT && !end_of_stream ? PROXY_WASM_PAUSE : PROXY_WASM_CONTINUE;
}

static proxy_wasm_action on_request_body(uint32_t context_id, size_t body_size, int end_of_stream) {
    stream *s = find(context_id);
    if (s == NULL) return PROXY_WASM_CONTINUE;
    s->request_calls++;
    if (end_of_stream) s->request_ends++;
    switch (s->mode) {
    case MODE_UPPER:
        s->request_bytes += (uint32_t)body_size;
        upper(PROXY_WASM_BUFFER_HTTP_REQUEST_BODY, body_size);
        return PROXY_WASM_CONTINUE;
    case MODE_COLLECT:
        /* body_size is everything buffered so far: earlier chunks plus this one. */
        if (!end_of_stream) return PROXY_WASM_PAUSE;
        replace(PROXY_WASM_BUFFER_HTTP_REQUEST_BODY, body_size, "seen ", (uint32_t)body_size,
                " bytes");
        return PROXY_WASM_CONTINUE;
    case MODE_LIMIT:
        s->request_bytes += (uint32_t)body_size;
        if (s->request_bytes > s->limit) {
            proxy_wasm_send_local_response(413, "body_limit", "too big\n", 8, NULL, 0);
            return PROXY_WASM_PAUSE;
        }
        return PROXY_WASM_CONTINUE;
    default:
        return PROXY_WASM_CONTINUE;
    }
}

static proxy_wasm_action on_response_headers(uint32_t context_id, size_t num_headers,
                                             int end_of_stream) {
    (void)num_headers;
    stream *s = find(context_id);
    if (s == NULL) return PROXY_WASM_CONTINUE;
    if (s->mode == MODE_UPPER) {
        add_number(PROXY_WASM_MAP_HTTP_RESPONSE_HEADERS, "x-request-calls", s->request_calls);
        add_number(PROXY_WASM_MAP_HTTP_RESPONSE_HEADERS, "x-request-bytes", s->request_bytes);
        add_number(PROXY_WASM_MAP_HTTP_RESPONSE_HEADERS, "x-request-ends", s->request_ends);
    }
    return s->mode == MODE_COLLECT && !end_of_stream ? PROXY_WASM_PAUSE : PROXY_WASM_CONTINUE;
}

static proxy_wasm_action on_response_body(uint32_t context_id, size_t body_size,
                                          int end_of_stream) {
    stream *s = find(context_id);
    if (s == NULL) return PROXY_WASM_CONTINUE;
    s->response_calls++;
    if (end_of_stream) s->response_ends++;
    switch (s->mode) {
    case MODE_UPPER:
        s->response_bytes += (uint32_t)body_size;
        upper(PROXY_WASM_BUFFER_HTTP_RESPONSE_BODY, body_size);
        return PROXY_WASM_CONTINUE;
    case MODE_COLLECT:
        if (!end_of_stream) return PROXY_WASM_PAUSE;
        add_number(PROXY_WASM_MAP_HTTP_RESPONSE_HEADERS, "x-response-bytes", (uint32_t)body_size);
        replace(PROXY_WASM_BUFFER_HTTP_RESPONSE_BODY, body_size, "response had ",
                (uint32_t)body_size, " bytes");
        return PROXY_WASM_CONTINUE;
    default:
        return PROXY_WASM_CONTINUE;
    }
}

static void on_log(uint32_t context_id) {
    stream *s = find(context_id);
    if (s == NULL || s->mode != MODE_UPPER) return;
    char calls[11], bytes[11], ends[11], line[64] = "response calls=";
    format_uint(calls, s->response_calls);
    format_uint(bytes, s->response_bytes);
    format_uint(ends, s->response_ends);
    strcat(line, calls);
    strcat(line, " bytes=");
    strcat(line, bytes);
    strcat(line, " ends=");
    strcat(line, ends);
    proxy_wasm_log(PROXY_WASM_LOG_INFO, line);
}

static void on_delete(uint32_t context_id) {
    stream *s = find(context_id);
    if (s != NULL) s->id = 0;
}

const proxy_wasm_filter proxy_wasm_filter_callbacks = {
    .on_context_create = on_context_create,
    .on_request_headers = on_request_headers,
    .on_request_body = on_request_body,
    .on_response_headers = on_response_headers,
    .on_response_body = on_response_body,
    .on_log = on_log,
    .on_delete = on_delete,
};
