/*
 * net_probe.c: a WASI command for testing the host's sockets
 * (wasi_snapshot_preview1.sock_connect and friends, wasmton.resolve).
 *
 *   net_probe.wasm SUBCOMMAND ARGS...
 *
 * Every subcommand prints exactly one line to stdout and exits 0, whatever the
 * network did (except `http`, which prints the server's whole answer). Bad
 * usage prints a usage line to stderr and exits 2. HOST is a name or a dotted
 * IPv4 literal: it goes through wasmton.resolve and the first address is used.
 * N below is a WASI errno (2 EACCES: denied by the allow-list, 8 EBADF,
 * 14 ECONNREFUSED, 33 EMFILE, 44 ENOENT, 73 ETIMEDOUT, ...).
 *
 *   resolve NAME              resolve: A.B.C.D[,A.B.C.D...] | resolve: none | resolve: errno N
 *   connect HOST PORT         connect: ok | connect: errno N         (closes on success)
 *   connect-ip A.B.C.D PORT   connect-ip: ok | connect-ip: errno N   (sock_connect only, no resolve)
 *   echo HOST PORT MESSAGE    write(MESSAGE), sock_shutdown(WR), read() to EOF:
 *                             echo: <received> | echo: errno N | echo: <step> errno N
 *   peek HOST PORT MESSAGE    sock_send(MESSAGE), sock_recv(MSG_PEEK) into A, then
 *                             sock_recv into B until |MESSAGE| bytes:
 *                             peek: <A> / <B> | peek: errno N | peek: <step> errno N
 *   many HOST PORT COUNT      opens up to COUNT connections, then closes them all:
 *                             many: opened K | many: opened K, then errno N
 *   reuse HOST PORT           connect (fd a), close(a), sock_send on a, fd_close(a)
 *                             again, connect again (fd b):
 *                             reuse: send-after-close errno X, close-again errno Y, new fd differs: yes|no
 *                             (X or Y 0: that call succeeded; if the second connect
 *                             fails, "new fd: errno N" replaces "new fd differs: ...")
 *   recv HOST PORT            sock_recv without sending anything:
 *                             recv: <received> | recv: eof | recv: errno N
 *   read-all HOST PORT MSG    sock_send(MSG), then read() to EOF:
 *                             read-all: K bytes | read-all: errno N after K bytes
 *   poll HOST PORT MS         poll() for POLLIN with timeout MS (-1: none):
 *                             poll: timeout | poll: readable | poll: revents 0xXX | poll: errno N
 *   fdstat HOST PORT          fd_fdstat_get on the socket:
 *                             fdstat: filetype N (6: socket stream) | fdstat: errno N
 *   nonblock HOST PORT MSG    fcntl(O_NONBLOCK), read() at once, write(MSG), poll()
 *                             up to 5 s, read() again:
 *                             nonblock: first read errno N, then <received> | nonblock: <step> errno N
 *   http HOST PORT PATH       GET PATH HTTP/1.0 (as http_get.wasm); prints the
 *                             whole answer, or http: errno N | http: <step> errno N
 *
 * <step> is send, shutdown, recv, read, write, peek or close; "errno N" alone
 * means resolving or connecting failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wasi/api.h>

#include "wasmton_socket.h"

static const char *command = "net_probe";

static const char usage_text[] =
    "usage: net_probe resolve NAME | connect HOST PORT | connect-ip A.B.C.D PORT |"
    " echo HOST PORT MESSAGE | peek HOST PORT MESSAGE | many HOST PORT COUNT |"
    " reuse HOST PORT | recv HOST PORT | read-all HOST PORT MESSAGE |"
    " poll HOST PORT MS | fdstat HOST PORT | nonblock HOST PORT MESSAGE | http HOST PORT PATH";

static int usage(const char *problem) {
    if (problem != NULL) fprintf(stderr, "net_probe: %s\n", problem);
    fprintf(stderr, "%s\n", usage_text);
    return 2;
}

/* The one line every subcommand prints (exit status 0): "SUBCOMMAND: ...". */
static int say(const char *format, ...) __attribute__((format(printf, 1, 2)));

static int say(const char *format, ...) {
    va_list args;
    printf("%s: ", command);
    va_start(args, format);
    vprintf(format, args);
    va_end(args);
    putchar('\n');
    return 0;
}

/* The same with bytes from the network as they are (NULs included). */
static int say_bytes(const void *data, size_t len) {
    printf("%s: ", command);
    fwrite(data, 1, len, stdout);
    putchar('\n');
    return 0;
}

/* ---- parsing ------------------------------------------------------------- */

/* A decimal number in [min, max] (an optional leading '-', at most 9
 * digits, so it cannot overflow); 0 on success. */
static int parse_long(const char *text, long min, long max, long *out) {
    const char *p = text;
    int negative = 0, digits = 0;
    long v = 0;
    if (*p == '-') { negative = 1; p++; }
    for (; *p; p++) {
        if (*p < '0' || *p > '9' || ++digits > 9) return -1;
        v = v * 10 + (*p - '0');
    }
    if (digits == 0) return -1;
    if (negative) v = -v;
    if (v < min || v > max) return -1;
    *out = v;
    return 0;
}

static int parse_port(const char *text, uint16_t *port) {
    long v;
    if (parse_long(text, 0, 65535, &v) != 0) return -1;
    *port = (uint16_t)v;
    return 0;
}

/* A dotted IPv4 literal, four decimal octets; 0 on success. */
static int parse_ipv4(const char *text, uint32_t *addr) {
    uint32_t result = 0;
    const char *p = text;
    for (int i = 0; i < 4; i++) {
        unsigned octet = 0;
        int digits = 0;
        while (*p >= '0' && *p <= '9') {
            octet = octet * 10 + (unsigned)(*p++ - '0');
            if (++digits > 3 || octet > 255) return -1;
        }
        if (digits == 0) return -1;
        result = (result << 8) | octet;
        if (i < 3 && *p++ != '.') return -1;
    }
    if (*p != '\0') return -1;
    *addr = result;
    return 0;
}

static void format_ipv4(uint32_t addr, char out[16]) {
    snprintf(out, 16, "%u.%u.%u.%u", (unsigned)(addr >> 24), (unsigned)(addr >> 16 & 0xff),
             (unsigned)(addr >> 8 & 0xff), (unsigned)(addr & 0xff));
}

/* ---- network helpers ----------------------------------------------------- */

/* wasmton.resolve; the first address, or -errno (-ENOENT for none). */
static int64_t resolve_first(const char *host) {
    uint32_t addrs[8];
    int count = wasmton_resolve(host, addrs, 8);
    if (count < 0) return count;
    if (count == 0) return -WASMTON_ENOENT;
    return addrs[0];
}

/* wasmton.resolve, then sock_connect to the first address; fd or -errno. */
static int dial(const char *host, uint16_t port) {
    int64_t addr = resolve_first(host);
    if (addr < 0) return (int)addr;
    return wasmton_connect((uint32_t)addr, port);
}

/* write() until all of buf is out; 0 or the errno. */
static int write_all(int fd, const void *buf, size_t len) {
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) return errno;
        if (n == 0) return EIO;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* What the peer sent, for printing. Bytes beyond the buffer are read and
 * counted but not kept. */
static char received[1 << 20];

/* read() until EOF into received; returns 0 or the errno, *len the count kept. */
static int read_to_eof(int fd, size_t *len, size_t *total) {
    char scratch[4096];
    *len = 0;
    *total = 0;
    for (;;) {
        char *into = *len < sizeof received ? received + *len : scratch;
        size_t room = *len < sizeof received ? sizeof received - *len : sizeof scratch;
        ssize_t n = read(fd, into, room);
        if (n < 0) return errno;
        if (n == 0) return 0;
        if (into != scratch) *len += (size_t)n;
        *total += (size_t)n;
    }
}

/* ---- subcommands --------------------------------------------------------- */

static int do_resolve(const char *name) {
    uint32_t addrs[16];
    int count = wasmton_resolve(name, addrs, 16);
    if (count < 0) return say("errno %d", -count);
    if (count == 0) return say("none");
    if (count > 16) count = 16;
    char line[16 * 16];
    size_t at = 0;
    for (int i = 0; i < count; i++) {
        char dotted[16];
        format_ipv4(addrs[i], dotted);
        at += (size_t)snprintf(line + at, sizeof line - at, "%s%s", i ? "," : "", dotted);
    }
    return say("%s", line);
}

static int do_connect(const char *host, uint16_t port) {
    int fd = dial(host, port);
    if (fd < 0) return say("errno %d", -fd);
    close(fd);
    return say("ok");
}

static int do_connect_ip(uint32_t addr, uint16_t port) {
    int fd = wasmton_connect(addr, port);
    if (fd < 0) return say("errno %d", -fd);
    close(fd);
    return say("ok");
}

static int do_echo(const char *host, uint16_t port, const char *message) {
    int fd = dial(host, port);
    if (fd < 0) return say("errno %d", -fd);
    int e = write_all(fd, message, strlen(message));
    if (e != 0) { close(fd); return say("write errno %d", e); }
    e = -wasmton_shutdown(fd, WASMTON_SHUT_WR);
    if (e != 0) { close(fd); return say("shutdown errno %d", e); }
    size_t len, total;
    e = read_to_eof(fd, &len, &total);
    close(fd);
    if (e != 0) return say("read errno %d", e);
    return say_bytes(received, len);
}

static int do_peek(const char *host, uint16_t port, const char *message) {
    size_t len = strlen(message);
    /* a and b, then the line: "A / B". */
    char *line = malloc(2 * len + 3);
    if (line == NULL) return say("out of memory");
    char *a = line, *b = line + len + 3;
    int fd = dial(host, port);
    if (fd < 0) { free(line); return say("errno %d", -fd); }
    int n = wasmton_send_all(fd, message, len);
    if (n < 0) { free(line); close(fd); return say("send errno %d", -n); }

    /* Peek until the whole message is there (it may arrive in pieces); a peek
     * leaves the bytes in place, so each one sees everything so far. */
    size_t peeked = 0;
    for (int tries = 0; peeked < len && tries < 200; tries++) {
        if (tries > 0) {
            struct timespec five_ms = {.tv_sec = 0, .tv_nsec = 5 * 1000 * 1000};
            (void)nanosleep(&five_ms, NULL);
        }
        n = wasmton_recv(fd, a, len, WASMTON_MSG_PEEK);
        if (n < 0) { free(line); close(fd); return say("peek errno %d", -n); }
        if (n == 0) break;
        peeked = (size_t)n;
    }

    size_t got = 0;
    while (got < len) {
        n = wasmton_recv(fd, b + got, len - got, 0);
        if (n < 0) { free(line); close(fd); return say("recv errno %d", -n); }
        if (n == 0) break;
        got += (size_t)n;
    }
    close(fd);
    /* Close the gap between A and B, whose lengths may be short of len. */
    memcpy(a + peeked, " / ", 3);
    memmove(a + peeked + 3, b, got);
    say_bytes(line, peeked + 3 + got);
    free(line);
    return 0;
}

static int do_many(const char *host, uint16_t port, long count) {
    int *fds = calloc((size_t)count, sizeof *fds);
    if (fds == NULL) return say("out of memory");
    long opened = 0;
    int error = 0;
    int64_t addr = resolve_first(host);
    if (addr < 0) { free(fds); return say("opened 0, then errno %d", (int)-addr); }
    while (opened < count) {
        int fd = wasmton_connect((uint32_t)addr, port);
        if (fd < 0) { error = -fd; break; }
        fds[opened++] = fd;
    }
    for (long i = 0; i < opened; i++) wasmton_close(fds[i]);
    free(fds);
    if (error != 0) return say("opened %ld, then errno %d", opened, error);
    return say("opened %ld", opened);
}

static int do_reuse(const char *host, uint16_t port) {
    int a = dial(host, port);
    if (a < 0) return say("errno %d", -a);
    if (close(a) != 0) return say("close errno %d", errno);
    int sent = wasmton_send(a, "x", 1);
    int send_errno = sent < 0 ? -sent : 0;
    int close_errno = -wasmton_close(a);
    int b = dial(host, port);
    if (b < 0)
        return say("send-after-close errno %d, close-again errno %d, new fd: errno %d", send_errno, close_errno, -b);
    close(b);
    return say("send-after-close errno %d, close-again errno %d, new fd differs: %s", send_errno, close_errno,
               a != b ? "yes" : "no");
}

static int do_recv(const char *host, uint16_t port) {
    int fd = dial(host, port);
    if (fd < 0) return say("errno %d", -fd);
    int n = wasmton_recv(fd, received, 65536, 0);
    close(fd);
    if (n < 0) return say("errno %d", -n);
    if (n == 0) return say("eof");
    return say_bytes(received, (size_t)n);
}

static int do_read_all(const char *host, uint16_t port, const char *message) {
    int fd = dial(host, port);
    if (fd < 0) return say("errno %d", -fd);
    int n = wasmton_send_all(fd, message, strlen(message));
    if (n < 0) { close(fd); return say("send errno %d", -n); }
    size_t len, total;
    int e = read_to_eof(fd, &len, &total);
    close(fd);
    if (e != 0) return say("errno %d after %zu bytes", e, total);
    return say("%zu bytes", total);
}

static int do_poll(const char *host, uint16_t port, int timeout_ms) {
    int fd = dial(host, port);
    if (fd < 0) return say("errno %d", -fd);
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int n = poll(&p, 1, timeout_ms);
    int e = errno;
    close(fd);
    if (n < 0) return say("errno %d", e);
    if (n == 0) return say("timeout");
    if (p.revents & POLLIN) return say("readable");
    return say("revents 0x%x", (unsigned)p.revents);
}

static int do_fdstat(const char *host, uint16_t port) {
    int fd = dial(host, port);
    if (fd < 0) return say("errno %d", -fd);
    __wasi_fdstat_t stat;
    __wasi_errno_t e = __wasi_fd_fdstat_get((__wasi_fd_t)fd, &stat);
    close(fd);
    if (e != 0) return say("errno %d", (int)e);
    return say("filetype %d", (int)stat.fs_filetype);
}

static int do_nonblock(const char *host, uint16_t port, const char *message) {
    int fd = dial(host, port);
    if (fd < 0) return say("errno %d", -fd);
    if (fcntl(fd, F_SETFL, O_NONBLOCK) != 0) {
        int e = errno;
        close(fd);
        return say("fcntl errno %d", e);
    }
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof buf);
    int first = n < 0 ? errno : 0;
    int e = write_all(fd, message, strlen(message));
    if (e != 0) { close(fd); return say("write errno %d", e); }
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, 5000) != 1) { close(fd); return say("poll errno %d", errno); }
    n = read(fd, buf, sizeof buf - 1);
    e = errno;
    close(fd);
    if (n < 0) return say("read errno %d", e);
    buf[n] = '\0';
    return say("first read errno %d, then %s", first, buf);
}

static int do_http(const char *host, uint16_t port, const char *path) {
    int fd = dial(host, port);
    if (fd < 0) return say("errno %d", -fd);
    static const char get[] = "GET ", version[] = " HTTP/1.0\r\nHost: ", tail[] = "\r\n\r\n";
    int e = write_all(fd, get, sizeof get - 1);
    if (e == 0) e = write_all(fd, path, strlen(path));
    if (e == 0) e = write_all(fd, version, sizeof version - 1);
    if (e == 0) e = write_all(fd, host, strlen(host));
    if (e == 0) e = write_all(fd, tail, sizeof tail - 1);
    if (e != 0) { close(fd); return say("write errno %d", e); }
    char buf[16384];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n == 0) break;
        if (n < 0) { e = errno; close(fd); return say("read errno %d", e); }
        fwrite(buf, 1, (size_t)n, stdout);
    }
    close(fd);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) return usage(NULL);
    command = argv[1];
    const char *sub = argv[1];
    int nargs = argc - 2;
    char **args = argv + 2;
    uint16_t port = 0;

    if (strcmp(sub, "resolve") == 0) {
        if (nargs != 1) return usage("resolve takes NAME");
        return do_resolve(args[0]);
    }

    /* Everything else is SUB HOST PORT [ARG]. */
    static const struct { const char *name; int nargs; } shapes[] = {
        {"connect", 2}, {"connect-ip", 2}, {"echo", 3}, {"peek", 3}, {"many", 3}, {"reuse", 2},
        {"recv", 2},    {"read-all", 3},   {"poll", 3}, {"fdstat", 2}, {"nonblock", 3}, {"http", 3},
    };
    int known = 0;
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        if (strcmp(sub, shapes[i].name) != 0) continue;
        known = 1;
        if (nargs != shapes[i].nargs) return usage("wrong number of arguments");
    }
    if (!known) return usage("unknown subcommand");
    if (parse_port(args[1], &port) != 0) return usage("PORT must be 0-65535");

    if (strcmp(sub, "connect") == 0) return do_connect(args[0], port);
    if (strcmp(sub, "connect-ip") == 0) {
        uint32_t addr;
        if (parse_ipv4(args[0], &addr) != 0) return usage("connect-ip takes a dotted IPv4 address");
        return do_connect_ip(addr, port);
    }
    if (strcmp(sub, "echo") == 0) return do_echo(args[0], port, args[2]);
    if (strcmp(sub, "peek") == 0) {
        if (args[2][0] == '\0') return usage("peek needs a non-empty MESSAGE");
        return do_peek(args[0], port, args[2]);
    }
    if (strcmp(sub, "many") == 0) {
        long count;
        if (parse_long(args[2], 1, 1000000, &count) != 0) return usage("COUNT must be 1-1000000");
        return do_many(args[0], port, count);
    }
    if (strcmp(sub, "reuse") == 0) return do_reuse(args[0], port);
    if (strcmp(sub, "recv") == 0) return do_recv(args[0], port);
    if (strcmp(sub, "read-all") == 0) return do_read_all(args[0], port, args[2]);
    if (strcmp(sub, "poll") == 0) {
        long ms;
        if (parse_long(args[2], -1, 86400000, &ms) != 0) return usage("MS must be -1-86400000");
        return do_poll(args[0], port, (int)ms);
    }
    if (strcmp(sub, "fdstat") == 0) return do_fdstat(args[0], port);
    if (strcmp(sub, "nonblock") == 0) return do_nonblock(args[0], port, args[2]);
    return do_http(args[0], port, args[2]);
}
