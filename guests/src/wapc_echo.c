/*
 * wapc_echo.c: a waPC guest with one small operation per host feature, used by
 * Wasmton's tests and benchmarks, and an example for guest authors.
 *
 *   echo       any bytes               -> the same bytes
 *   fail       error text              -> guest error with that text
 *                                         ("418 I'm a teapot": the gateway maps a
 *                                         leading 4xx/5xx code to the HTTP status)
 *   log        text                    -> __console_log(text); empty response
 *   call_host  msgpack [binding: str, namespace: str, operation: str,
 *                       payload: bin | str]
 *                                      -> the host's response bytes, or a guest
 *                                         error with the host's error text
 *   kv_set     anything                -> __host_call("default", "wasmton:kv", "set", payload)
 *   kv_get     anything                -> __host_call("default", "wasmton:kv", "get", payload)
 *                                         (response or error as for call_host)
 *   sleep      msgpack uint (ms)       -> sleeps that long (WASI poll_oneoff, the
 *                                         thread blocks), then echoes the payload
 *   size       any bytes               -> msgpack uint: the payload's length
 *   trap       -                       -> traps (unreachable)
 *   loop       -                       -> never returns (for deadlines and fuel)
 *   bomb       -                       -> mallocs until memory runs out, then traps
 *   oob        -                       -> __guest_response with a pointer and length
 *                                         far outside memory (the host must refuse)
 * Any other operation: guest error "unknown operation: NAME".
 */
#define WAPC_GUEST_IMPLEMENTATION
#include "wapc.h"
#include "wapc_msgpack.h"

#include <stdint.h>
#include <stdlib.h>
#include <time.h>

static int echo(const uint8_t *payload, size_t len) {
    return wapc_response(payload, len);
}

static int fail(const uint8_t *payload, size_t len) {
    return wapc_error_bytes(payload, len);
}

static int log_payload(const uint8_t *payload, size_t len) {
    wapc_console_log_bytes(payload, len);
    return wapc_response("", 0);
}

/* Answer with what the host answered: its response, or its error as ours. */
static int forward_host_result(int ok, uint8_t *out, size_t out_len) {
    if (out == NULL) return wapc_error("guest out of memory for the host's answer");
    int result = ok ? wapc_response(out, out_len) : wapc_error_bytes(out, out_len);
    free(out);
    return result;
}

static int call_host(const uint8_t *payload, size_t len) {
    wapc_mp_reader r = wapc_mp_reader_init(payload, len);
    uint32_t count;
    const char *binding, *namespace_, *operation;
    uint32_t binding_len, namespace_len, operation_len, inner_len;
    const uint8_t *inner;
    if (!wapc_mp_read_array(&r, &count) || count != 4 ||
        !wapc_mp_read_str(&r, &binding, &binding_len) ||
        !wapc_mp_read_str(&r, &namespace_, &namespace_len) ||
        !wapc_mp_read_str(&r, &operation, &operation_len) ||
        !wapc_mp_read_bytes(&r, &inner, &inner_len))
        return wapc_error("call_host expects a MessagePack array "
                          "[binding: str, namespace: str, operation: str, payload: bin or str]");
    uint8_t *out;
    size_t out_len;
    int ok = wapc_host_call_bytes(binding, binding_len, namespace_, namespace_len,
                                  operation, operation_len, inner, inner_len, &out, &out_len);
    return forward_host_result(ok, out, out_len);
}

static int kv(const char *operation, const uint8_t *payload, size_t len) {
    uint8_t *out;
    size_t out_len;
    int ok = wapc_host_call("default", "wasmton:kv", operation, payload, len, &out, &out_len);
    return forward_host_result(ok, out, out_len);
}

static int kv_set(const uint8_t *payload, size_t len) { return kv("set", payload, len); }
static int kv_get(const uint8_t *payload, size_t len) { return kv("get", payload, len); }

/* nanosleep becomes WASI poll_oneoff with one relative clock subscription:
 * the host blocks the calling thread, no CPU is burned. */
static int sleep_ms(const uint8_t *payload, size_t len) {
    wapc_mp_reader r = wapc_mp_reader_init(payload, len);
    uint64_t ms;
    if (!wapc_mp_read_uint(&r, &ms)) return wapc_error("sleep expects a MessagePack uint (milliseconds)");
    struct timespec duration = {.tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000L};
    (void)nanosleep(&duration, NULL);
    return wapc_response(payload, len);
}

static int size(const uint8_t *payload, size_t len) {
    (void)payload;
    uint8_t storage[9];
    wapc_mp_writer w = wapc_mp_writer_init(storage, sizeof storage);
    wapc_mp_write_uint(&w, len);
    return wapc_response(w.data, w.len);
}

static int trap(const uint8_t *payload, size_t len) {
    (void)payload, (void)len;
    __builtin_trap();
}

/* A volatile store each iteration: the compiler must keep the loop. */
static volatile uint32_t loop_counter;

static int loop(const uint8_t *payload, size_t len) {
    (void)payload, (void)len;
    for (;;) loop_counter++;
}

/* Big blocks first, halving whenever malloc fails, until not even 64 KiB is
 * left. Each block links to the previous one and the newest is in a volatile
 * global, so every allocation stays reachable and none can be elided. */
static void *volatile bomb_head;

static int bomb(const uint8_t *payload, size_t len) {
    (void)payload, (void)len;
    for (size_t block_size = (size_t)64 << 20; block_size >= ((size_t)64 << 10);) {
        void **block = malloc(block_size);
        if (block == NULL) {
            block_size /= 2;
            continue;
        }
        *block = bomb_head;
        bomb_head = block;
    }
    __builtin_trap();
}

static int oob(const uint8_t *payload, size_t len) {
    (void)payload, (void)len;
    /* 64 KiB at 4 GiB - 1 MiB: beyond any memory a wasm32 guest will have
     * (and the end does not wrap past 2^32, to keep the test plain). */
    __guest_response((const void *)(uintptr_t)0xfff00000u, 0x10000);
    return 1;
}

void wapc_init(void) {
    wapc_register_function("echo", echo);
    wapc_register_function("fail", fail);
    wapc_register_function("log", log_payload);
    wapc_register_function("call_host", call_host);
    wapc_register_function("kv_set", kv_set);
    wapc_register_function("kv_get", kv_get);
    wapc_register_function("sleep", sleep_ms);
    wapc_register_function("size", size);
    wapc_register_function("trap", trap);
    wapc_register_function("loop", loop);
    wapc_register_function("bomb", bomb);
    wapc_register_function("oob", oob);
}
