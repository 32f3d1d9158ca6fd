/*
 * wasmton_socket.h: outbound TCP for Wasmton guests written in C.
 *
 * WASI preview 1 cannot open a socket. Wasmton adds the Decaton article's
 * extension (Part 2) to wasi_snapshot_preview1:
 *
 *   sock_connect(ipv4_addr: u32, port: u32, fd_out: *u32) -> errno
 *
 * The address is a u32 whose most significant byte is the first octet
 * (127.0.0.1 is 0x7F000001); the port is the plain number. The descriptor it
 * returns is an ordinary WASI descriptor: sock_send, sock_recv (MSG_PEEK),
 * sock_shutdown, fd_read, fd_write, fd_close, fd_fdstat_get and poll_oneoff
 * work on it, so read()/write()/close()/poll() from wasi-libc work too.
 *
 * And a name lookup of its own:
 *
 *   wasmton.resolve(name_ptr, name_len, addrs_ptr: *u32, max) -> i32
 *
 * writes up to `max` IPv4 addresses (same u32 form) and returns how many, or
 * a negative WASI errno.
 *
 * The network is denied by default. The operator allows destinations with
 * `--allow-connect HOST:PORT`; anything else fails with WASMTON_EACCES
 * without touching the network. A name resolves only to addresses the
 * allow-list lets the guest reach.
 *
 * Every helper below returns a negative WASI errno on failure:
 *
 *   int fd = wasmton_dial("localhost", 8080);          // resolve + connect
 *   if (fd < 0) { ... -fd is the errno ... }
 *   wasmton_send_all(fd, request, request_len);
 *   char buf[4096]; int n;
 *   while ((n = wasmton_recv(fd, buf, sizeof buf, 0)) > 0) { ... }
 *   wasmton_close(fd);
 */
#ifndef WASMTON_SOCKET_H
#define WASMTON_SOCKET_H

#include <stddef.h>
#include <stdint.h>

#include "wasmton.h"

/* WASI errno values a socket call returns (negated by the helpers). */
#define WASMTON_EACCES 2        /* the allow-list denies this address or port */
#define WASMTON_EAGAIN 6
#define WASMTON_EBADF 8         /* not an open descriptor (closed, or never opened) */
#define WASMTON_ECONNREFUSED 14
#define WASMTON_ECONNRESET 15
#define WASMTON_EHOSTUNREACH 23
#define WASMTON_EINVAL 28
#define WASMTON_EIO 29
#define WASMTON_EMFILE 33       /* the instance has as many sockets open as allowed */
#define WASMTON_ENOENT 44       /* the name does not resolve */
#define WASMTON_ENOTCONN 53
#define WASMTON_ENOTSOCK 57
#define WASMTON_EPIPE 64
#define WASMTON_ETIMEDOUT 73    /* connect or I/O took longer than the host allows */

/* sock_recv flags and sock_shutdown directions, as in WASI preview 1. */
#define WASMTON_MSG_PEEK 1
#define WASMTON_MSG_WAITALL 2
#define WASMTON_SHUT_RD 1
#define WASMTON_SHUT_WR 2

/* An IPv4 address from its four octets: WASMTON_IPV4(127, 0, 0, 1). */
#define WASMTON_IPV4(a, b, c, d) \
    (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (uint32_t)(d))

/* ---- the raw imports --------------------------------------------------- */

typedef struct {
    const void *buf;
    uint32_t len;
} wasmton_ciovec;

typedef struct {
    void *buf;
    uint32_t len;
} wasmton_iovec;

WASMTON_IMPORT("wasi_snapshot_preview1", "sock_connect")
int32_t wasmton_sock_connect(uint32_t ipv4_addr, uint32_t port, uint32_t *fd_out);

WASMTON_IMPORT("wasi_snapshot_preview1", "sock_send")
int32_t wasmton_sock_send(int32_t fd, const wasmton_ciovec *data, uint32_t data_len, uint32_t flags,
                          uint32_t *sent);

WASMTON_IMPORT("wasi_snapshot_preview1", "sock_recv")
int32_t wasmton_sock_recv(int32_t fd, const wasmton_iovec *data, uint32_t data_len, uint32_t flags,
                          uint32_t *received, uint16_t *out_flags);

WASMTON_IMPORT("wasi_snapshot_preview1", "sock_shutdown")
int32_t wasmton_sock_shutdown(int32_t fd, uint32_t how);

WASMTON_IMPORT("wasi_snapshot_preview1", "fd_close")
int32_t wasmton_fd_close(int32_t fd);

WASMTON_IMPORT("wasmton", "resolve")
int32_t wasmton_resolve_raw(const char *name, uint32_t name_len, uint32_t *addrs, uint32_t max);

/* ---- helpers ------------------------------------------------------------ */

/* Opens a TCP connection; returns the descriptor, or -errno. */
static inline int wasmton_connect(uint32_t ipv4_addr, uint16_t port) {
    uint32_t fd = 0;
    int32_t err = wasmton_sock_connect(ipv4_addr, port, &fd);
    return err ? -err : (int)fd;
}

/* Largest count one call moves, so a byte count always fits the int result. */
#define WASMTON_IO_MAX ((size_t)0x7fffffff)

/* Sends up to len bytes; returns how many were sent, or -errno. */
static inline int wasmton_send(int fd, const void *buf, size_t len) {
    if (len > WASMTON_IO_MAX) len = WASMTON_IO_MAX;
    wasmton_ciovec iov = {buf, (uint32_t)len};
    uint32_t sent = 0;
    int32_t err = wasmton_sock_send(fd, &iov, 1, 0, &sent);
    return err ? -err : (int)sent;
}

/* Sends all len bytes; returns len, or -errno. */
static inline int wasmton_send_all(int fd, const void *buf, size_t len) {
    const char *p = (const char *)buf;
    size_t left = len;
    while (left > 0) {
        int n = wasmton_send(fd, p, left);
        if (n < 0) return n;
        if (n == 0) return -WASMTON_EIO; /* no progress: do not spin */
        p += n;
        left -= (size_t)n;
    }
    return (int)len;
}

/* Receives up to len bytes (flags: 0 or WASMTON_MSG_PEEK); returns how many
 * were received, 0 when the peer has closed, or -errno. */
static inline int wasmton_recv(int fd, void *buf, size_t len, uint32_t flags) {
    if (len > WASMTON_IO_MAX) len = WASMTON_IO_MAX;
    wasmton_iovec iov = {buf, (uint32_t)len};
    uint32_t received = 0;
    uint16_t out_flags = 0;
    int32_t err = wasmton_sock_recv(fd, &iov, 1, flags, &received, &out_flags);
    return err ? -err : (int)received;
}

/* Shuts down one or both directions; returns 0 or -errno. */
static inline int wasmton_shutdown(int fd, uint32_t how) {
    int32_t err = wasmton_sock_shutdown(fd, how);
    return err ? -err : 0;
}

/* Closes the socket; returns 0 or -errno. */
static inline int wasmton_close(int fd) {
    int32_t err = wasmton_fd_close(fd);
    return err ? -err : 0;
}

/* Looks a name up (or parses a dotted IPv4 literal); writes up to max
 * addresses the allow-list permits and returns their count, or -errno. */
static inline int wasmton_resolve(const char *name, uint32_t *addrs, int max) {
    uint32_t len = 0;
    while (name[len]) len++;
    return wasmton_resolve_raw(name, len, addrs, max > 0 ? (uint32_t)max : 0);
}

/* Resolves host and connects to the first address that accepts; returns the
 * descriptor, or the last -errno. */
static inline int wasmton_dial(const char *host, uint16_t port) {
    uint32_t addrs[8];
    int count = wasmton_resolve(host, addrs, 8);
    if (count < 0) return count;
    if (count == 0) return -WASMTON_ENOENT;
    if (count > 8) count = 8; /* never read past addrs, whatever the host says */
    int result = -WASMTON_ECONNREFUSED;
    for (int i = 0; i < count; i++) {
        result = wasmton_connect(addrs[i], port);
        if (result >= 0) return result;
    }
    return result;
}

#endif /* WASMTON_SOCKET_H */
