/*
 * wapc_tcp.c: a waPC guest that talks TCP through Wasmton's sockets
 * (wasi_snapshot_preview1.sock_connect, wasmton.resolve; see wasmton_socket.h).
 *
 *   tcp_echo   msgpack {"host": str, "port": uint, "message": str | bin}
 *              -> connects (resolve + connect), sends message, shuts down its
 *                 side (SHUT_WR), reads until the peer closes and answers with
 *                 the received bytes as a MessagePack str.
 *
 * Errors start with an HTTP status, which the gateway maps:
 *
 *   400 tcp_echo expects a MessagePack map {"host": str, "port": uint, "message": str}
 *   403 connect HOST:PORT denied by the allow-list          (EACCES)
 *   504 connect HOST:PORT timed out                         (ETIMEDOUT; also send/recv)
 *   502 connect HOST:PORT failed: errno N                   (any other errno; also send/recv)
 */
#define WAPC_GUEST_IMPLEMENTATION
#include "wapc.h"
#include "wapc_msgpack.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wasmton_socket.h"

#define MAX_HOST 253   /* the longest DNS name */
#define MAX_ANSWER (16u << 20)

static const char bad_payload[] =
    "400 tcp_echo expects a MessagePack map {\"host\": str, \"port\": uint, \"message\": str}";

/* A bounded string builder (no stdio: snprintf would pull in fd_write). */
typedef struct {
    char text[MAX_HOST + 96];
    size_t len;
} line;

static void add(line *l, const char *s) {
    while (*s && l->len + 1 < sizeof l->text) l->text[l->len++] = *s++;
    l->text[l->len] = '\0';
}

static void add_number(line *l, unsigned v) {
    char digits[12];
    int n = 0;
    do { digits[n++] = (char)('0' + v % 10); v /= 10; } while (v);
    while (n > 0 && l->len + 1 < sizeof l->text) l->text[l->len++] = digits[--n];
    l->text[l->len] = '\0';
}

/* Fails with the status that fits errno e for `step` ("connect", "send to",
 * "shut down", "receive from") on host:port:
 *   403 STEP HOST:PORT denied by the allow-list    (EACCES)
 *   504 STEP HOST:PORT timed out                   (ETIMEDOUT)
 *   502 STEP HOST:PORT failed: errno N             (anything else) */
static int fail_network(const char *step, const char *host, unsigned port, int e) {
    line l = {.len = 0};
    add(&l, e == WASMTON_EACCES ? "403 " : e == WASMTON_ETIMEDOUT ? "504 " : "502 ");
    add(&l, step);
    add(&l, " ");
    add(&l, host);
    add(&l, ":");
    add_number(&l, port);
    if (e == WASMTON_EACCES) {
        add(&l, " denied by the allow-list");
    } else if (e == WASMTON_ETIMEDOUT) {
        add(&l, " timed out");
    } else {
        add(&l, " failed: errno ");
        add_number(&l, (unsigned)e);
    }
    return wapc_error(l.text);
}

static int tcp_echo(const uint8_t *payload, size_t len) {
    const char *host_ptr;
    const uint8_t *message;
    uint32_t host_len, message_len;
    uint64_t port;

    wapc_mp_reader r = wapc_mp_reader_init(payload, len);
    if (!wapc_mp_find_key(&r, "host") || !wapc_mp_read_str(&r, &host_ptr, &host_len))
        return wapc_error(bad_payload);
    r = wapc_mp_reader_init(payload, len);
    if (!wapc_mp_find_key(&r, "port") || !wapc_mp_read_uint(&r, &port))
        return wapc_error(bad_payload);
    r = wapc_mp_reader_init(payload, len);
    if (!wapc_mp_find_key(&r, "message") ||
        !wapc_mp_read_bytes(&r, &message, &message_len))
        return wapc_error(bad_payload);
    if (host_len == 0 || host_len > MAX_HOST || memchr(host_ptr, '\0', host_len) != NULL)
        return wapc_error("400 \"host\" must be 1-253 bytes, no NUL");
    if (port == 0 || port > 65535) return wapc_error("400 \"port\" must be 1-65535");

    char host[MAX_HOST + 1];
    memcpy(host, host_ptr, host_len);
    host[host_len] = '\0';

    int fd = wasmton_dial(host, (uint16_t)port);
    if (fd < 0) return fail_network("connect", host, (unsigned)port, -fd);
    int n = wasmton_send_all(fd, message, message_len);
    if (n < 0) {
        wasmton_close(fd);
        return fail_network("send to", host, (unsigned)port, -n);
    }
    n = wasmton_shutdown(fd, WASMTON_SHUT_WR);
    if (n < 0) {
        wasmton_close(fd);
        return fail_network("shut down", host, (unsigned)port, -n);
    }

    /* The answer, encoded as a str once its length is known: read it after
     * room for the longest str header (5 bytes), then write the header just
     * before it. */
    size_t cap = 4096, got = 0;
    uint8_t *buf = malloc(5 + cap);
    if (buf == NULL) {
        wasmton_close(fd);
        return wapc_error("500 guest out of memory");
    }
    for (;;) {
        if (got == cap) {
            if (cap >= MAX_ANSWER) {
                free(buf);
                wasmton_close(fd);
                return wapc_error("502 the answer is larger than 16 MiB");
            }
            uint8_t *bigger = realloc(buf, 5 + cap * 2);
            if (bigger == NULL) {
                free(buf);
                wasmton_close(fd);
                return wapc_error("500 guest out of memory");
            }
            buf = bigger;
            cap *= 2;
        }
        n = wasmton_recv(fd, buf + 5 + got, cap - got, 0);
        if (n == 0) break;
        if (n < 0) {
            free(buf);
            wasmton_close(fd);
            return fail_network("receive from", host, (unsigned)port, -n);
        }
        got += (size_t)n;
    }
    wasmton_close(fd);

    uint8_t header[5];
    wapc_mp_writer w = wapc_mp_writer_init(header, sizeof header);
    wapc_mp_write_str_header(&w, got);
    memcpy(buf + 5 - w.len, header, w.len);
    int ok = wapc_response(buf + 5 - w.len, w.len + got);
    free(buf);
    return ok;
}

void wapc_init(void) { wapc_register_function("tcp_echo", tcp_echo); }
