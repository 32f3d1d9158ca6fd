/*
 * proxy_header_filter.c: the book's Envoy filter (chapter 8, envoy_wasm), in C
 * on proxy_wasm.h, as a proxy-wasm 0.2.1 module.
 *
 * On the request headers:
 *   - logs "Got N HTTP headers in #CTX." and then every header as
 *     "#CTX -> NAME: VALUE" (info level),
 *   - sets "x-hello: Hello world from AUTHORITY", AUTHORITY being the request's
 *     :authority (empty if there is none). Like the book's
 *     set_http_request_header, this replaces any x-hello the client sent
 *     (proxy_replace_header_map_value adds the header when it is absent),
 *   - continues the chain.
 * No configuration; everything else is the header's default (continue).
 *
 *   curl -H "name: shashank" http://127.0.0.1:18000/
 *   -> the upstream sees x-hello: Hello world from 127.0.0.1:18000
 */
#define PROXY_WASM_IMPLEMENTATION
#include "proxy_wasm.h"

#include <stdlib.h>
#include <string.h>

/* A growable string, enough for log lines without pulling in printf. */
typedef struct {
    char *data;
    size_t len, cap;
    int failed;
} text;

static void text_append(text *t, const char *s, size_t n) {
    if (t->failed) return;
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 64;
        while (cap < t->len + n + 1) cap *= 2;
        char *data = realloc(t->data, cap);
        if (data == NULL) {
            t->failed = 1;
            return;
        }
        t->data = data;
        t->cap = cap;
    }
    memcpy(t->data + t->len, s, n);
    t->len += n;
    t->data[t->len] = 0;
}

static void text_cstr(text *t, const char *s) { text_append(t, s, strlen(s)); }

static void text_uint(text *t, uint32_t v) {
    char digits[10];
    size_t n = 0;
    do {
        digits[sizeof digits - 1 - n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    text_append(t, digits + sizeof digits - n, n);
}

static void log_text(text *t) {
    if (!t->failed && t->len) proxy_wasm_log_bytes(PROXY_WASM_LOG_INFO, t->data, t->len);
    t->len = 0;
}

static proxy_wasm_action on_request_headers(uint32_t context_id, size_t num_headers,
                                            int end_of_stream) {
    (void)end_of_stream;
    text line = {0};

    text_cstr(&line, "Got ");
    text_uint(&line, (uint32_t)num_headers);
    text_cstr(&line, " HTTP headers in #");
    text_uint(&line, context_id);
    text_cstr(&line, ".");
    log_text(&line);

    const char *authority = "";
    size_t authority_len = 0;
    proxy_wasm_headers headers;
    if (proxy_wasm_get_headers(PROXY_WASM_MAP_HTTP_REQUEST_HEADERS, &headers) == PROXY_WASM_OK) {
        for (size_t i = 0; i < headers.count; i++) {
            const proxy_wasm_header *h = &headers.items[i];
            text_cstr(&line, "#");
            text_uint(&line, context_id);
            text_cstr(&line, " -> ");
            text_append(&line, h->key, h->key_len);
            text_cstr(&line, ": ");
            text_append(&line, h->value, h->value_len);
            log_text(&line);
            if (h->key_len == 10 && memcmp(h->key, ":authority", 10) == 0) {
                authority = h->value;
                authority_len = h->value_len;
            }
        }
    } else {
        proxy_wasm_log(PROXY_WASM_LOG_WARN, "header filter: cannot read the request headers");
        headers.items = NULL;
        headers.raw = NULL;
        headers.count = 0;
    }

    text_cstr(&line, "Hello world from ");
    text_append(&line, authority, authority_len);
    if (!line.failed)
        proxy_replace_header_map_value(PROXY_WASM_MAP_HTTP_REQUEST_HEADERS, "x-hello", 7,
                                       line.data, line.len);
    else
        proxy_wasm_log(PROXY_WASM_LOG_ERROR, "header filter: out of memory");

    free(line.data);
    proxy_wasm_headers_free(&headers);
    return PROXY_WASM_CONTINUE;
}

const proxy_wasm_filter proxy_wasm_filter_callbacks = {
    .on_request_headers = on_request_headers,
};
