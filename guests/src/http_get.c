/*
 * http_get.c: the Decaton/Wasmton article's network processor (Part 2), in C.
 *
 * Each task is JSON like {"path": "/users/42"}. The processor connects to
 * $HTTP_HOST:$HTTP_PORT (default localhost:8080) with Wasmton's sock_connect
 * extension, sends
 *
 *     GET <path> HTTP/1.0\r\nHost: <host>\r\n\r\n
 *
 * with write() and copies the whole answer to stdout with read()/write()
 * until the server closes the connection. The host must allow the
 * destination (--allow-connect localhost:8080); a denied connect fails with
 * errno 2 (EACCES) without touching the network.
 *
 * A task that is not an object with a string "path" is reported on stderr and
 * committed (retrying cannot fix it). A network error (or a bad HTTP_PORT) is
 * reported on stderr as one line, e.g.
 *
 *     http_get: connect localhost:8080: errno 2 (access denied by the host's allow-list)
 *
 * and the task is failed with wasmton.set_status(WASMTON_RETRY), so the
 * engine's retry and dead-letter path sees it. (Not a trap: that would
 * discard the instance for an error that is not the guest's fault.)
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wasmton_socket.h"
#include "wasmton_task.h"

/* ---- errno text ---------------------------------------------------------- */

/* One line on stderr in one write: wasi-libc's stderr is unbuffered, so a
 * fprintf would reach the host in pieces that other workers' lines can split. */
static void say(const char *format, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *format, ...) {
    char line[512];
    va_list args;
    va_start(args, format);
    int n = vsnprintf(line, sizeof line, format, args);
    va_end(args);
    if (n < 0) return;
    size_t len = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
    (void)write(2, line, len);
}

static const char *errno_text(int e) {
    switch (e) {
    case WASMTON_EACCES: return "access denied by the host's allow-list";
    case WASMTON_EAGAIN: return "resource temporarily unavailable";
    case WASMTON_EBADF: return "bad descriptor";
    case WASMTON_ECONNREFUSED: return "connection refused";
    case WASMTON_ECONNRESET: return "connection reset by peer";
    case WASMTON_EHOSTUNREACH: return "host unreachable";
    case WASMTON_EINVAL: return "invalid argument";
    case WASMTON_EIO: return "I/O error";
    case WASMTON_EMFILE: return "too many open sockets";
    case WASMTON_ENOENT: return "name does not resolve";
    case WASMTON_ENOTCONN: return "not connected";
    case WASMTON_ENOTSOCK: return "not a socket";
    case WASMTON_EPIPE: return "broken pipe";
    case WASMTON_ETIMEDOUT: return "timed out";
    case 76: return "not capable (denied by the host)"; /* WASI ENOTCAPABLE */
    default: return "error";
    }
}

/* ---- the task ------------------------------------------------------------ */

static const char *skip_space(const char *p, const char *end) {
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
    return p;
}

/* Reads a JSON string at p (at its opening quote) into out (NUL-terminated,
 * out_len including the NUL; out may be NULL to skip it). Handles \" \\ \/
 * \b \f \n \r \t; \uXXXX only for ASCII. Returns the position after the
 * closing quote, or NULL if the string is malformed or does not fit. */
static const char *read_string(const char *p, const char *end, char *out, size_t out_len) {
    size_t n = 0;
    if (p >= end || *p != '"') return NULL;
    p++;
    while (p < end && *p != '"') {
        char c = *p++;
        if ((unsigned char)c < 0x20) return NULL;
        if (c == '\\') {
            if (p >= end) return NULL;
            c = *p++;
            switch (c) {
            case '"': case '\\': case '/': break;
            case 'b': c = '\b'; break;
            case 'f': c = '\f'; break;
            case 'n': c = '\n'; break;
            case 'r': c = '\r'; break;
            case 't': c = '\t'; break;
            case 'u': {
                unsigned v = 0;
                if (end - p < 4) return NULL;
                for (int i = 0; i < 4; i++) {
                    char h = *p++;
                    v <<= 4;
                    if (h >= '0' && h <= '9') v |= (unsigned)(h - '0');
                    else if (h >= 'a' && h <= 'f') v |= (unsigned)(h - 'a' + 10);
                    else if (h >= 'A' && h <= 'F') v |= (unsigned)(h - 'A' + 10);
                    else return NULL;
                }
                if (v == 0 || v > 0x7f) return NULL;
                c = (char)v;
                break;
            }
            default: return NULL;
            }
        }
        if (out != NULL) {
            if (n + 1 >= out_len) return NULL;
            out[n++] = c;
        }
    }
    if (p >= end) return NULL;
    if (out != NULL) out[n] = '\0';
    return p + 1;
}

/* Skips one JSON value of any kind (strings, numbers, literals, nested
 * objects and arrays). Returns the position after it, or NULL. */
static const char *skip_value(const char *p, const char *end) {
    int depth = 0;
    do {
        p = skip_space(p, end);
        if (p >= end) return NULL;
        if (*p == '"') {
            p = read_string(p, end, NULL, 0);
            if (p == NULL) return NULL;
        } else if (*p == '{' || *p == '[') {
            depth++;
            p++;
        } else if (*p == '}' || *p == ']') {
            if (depth == 0) return NULL;
            depth--;
            p++;
        } else if (*p == ',' || *p == ':') {
            if (depth == 0) return NULL;
            p++;
        } else {
            const char *start = p;
            while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\t' &&
                   *p != '\n' && *p != '\r' && *p != ':' && *p != '"')
                p++;
            if (p == start) return NULL;
        }
    } while (depth > 0);
    return p;
}

/* Finds the top-level "path" string of the JSON object json[0..len).
 * Returns 0 and fills out, or -1. */
static int find_path(const char *json, size_t len, char *out, size_t out_len) {
    const char *p = json, *end = json + len;
    char key[8];
    p = skip_space(p, end);
    if (p >= end || *p != '{') return -1;
    p = skip_space(p + 1, end);
    if (p < end && *p == '}') return -1;
    for (;;) {
        const char *after_key = read_string(p, end, key, sizeof key);
        /* A key too long for key[] is not "path": skip it. */
        int is_path = after_key != NULL && strcmp(key, "path") == 0;
        if (after_key == NULL) after_key = read_string(p, end, NULL, 0);
        if (after_key == NULL) return -1;
        p = skip_space(after_key, end);
        if (p >= end || *p != ':') return -1;
        p = skip_space(p + 1, end);
        if (is_path) return read_string(p, end, out, out_len) != NULL ? 0 : -1;
        p = skip_value(p, end);
        if (p == NULL) return -1;
        p = skip_space(p, end);
        if (p >= end || *p != ',') return -1;
        p = skip_space(p + 1, end);
    }
}

/* A path that fits on the request line: starts with '/', no spaces or
 * control characters. */
static int valid_path(const char *path) {
    if (path[0] != '/') return 0;
    for (const char *p = path; *p; p++)
        if ((unsigned char)*p <= 0x20 || *p == 0x7f) return 0;
    return 1;
}

/* ---- the request --------------------------------------------------------- */

/* Writes all of buf to fd with write(); returns 0 or the errno. */
static int write_all(int fd, const char *buf, size_t len) {
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0) return errno;
        if (n == 0) return EIO;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

static char task[65536];
static char path[4096];
static char request[4096 + 1024];
static char answer[16384];

static void fail(const char *step, const char *host, unsigned port, int e) {
    say("http_get: %s %s:%u: errno %d (%s)\n", step, host, port, e, errno_text(e));
    wasmton_set_status(WASMTON_RETRY);
}

WASMTON_EXPORT("run")
void run(void) {
    int len = decaton_poll_task(task, sizeof task);
    if (len < 0) {
        say("http_get: no task, or a task larger than %u bytes\n", (unsigned)sizeof task);
        return;
    }
    if (find_path(task, (size_t)len, path, sizeof path) != 0 || !valid_path(path)) {
        say("http_get: bad task: expected {\"path\": \"/...\"} (at most %u bytes, no spaces)\n",
                (unsigned)sizeof path - 1);
        return;
    }

    const char *host = getenv("HTTP_HOST");
    if (host == NULL || host[0] == '\0') host = "localhost";
    unsigned long port = 8080;
    const char *port_text = getenv("HTTP_PORT");
    if (port_text != NULL && port_text[0] != '\0') {
        char *rest;
        port = strtoul(port_text, &rest, 10);
        if (*rest != '\0' || port == 0 || port > 65535 || port_text[0] < '0' || port_text[0] > '9') {
            say("http_get: bad HTTP_PORT \"%s\" (expected 1-65535)\n", port_text);
            wasmton_set_status(WASMTON_RETRY);
            return;
        }
    }

    int request_len = snprintf(request, sizeof request, "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n", path, host);
    if (request_len < 0 || (size_t)request_len >= sizeof request) {
        say("http_get: HTTP_HOST is too long\n");
        wasmton_set_status(WASMTON_RETRY);
        return;
    }

    int fd = wasmton_dial(host, (uint16_t)port);
    if (fd < 0) {
        fail("connect", host, (unsigned)port, -fd);
        return;
    }
    int e = write_all(fd, request, (size_t)request_len);
    if (e != 0) {
        fail("send to", host, (unsigned)port, e);
        close(fd);
        return;
    }
    for (;;) {
        ssize_t n = read(fd, answer, sizeof answer);
        if (n == 0) break;
        if (n < 0) {
            fail("receive from", host, (unsigned)port, errno);
            close(fd);
            return;
        }
        e = write_all(1, answer, (size_t)n);
        if (e != 0) {
            say("http_get: write to stdout: errno %d\n", e);
            wasmton_set_status(WASMTON_RETRY);
            close(fd);
            return;
        }
    }
    /* The answer is out: a failed close is reported, not retried. */
    if (close(fd) != 0) {
        e = errno;
        say("http_get: close %s:%lu: errno %d (%s)\n", host, port, e, errno_text(e));
    }
}
