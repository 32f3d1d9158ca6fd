/*
 * wapc_greeter.c: a waPC guest in two versions, for `wasmton replay --wapc`:
 *
 *   wapc_greeter_v1  greet: payload NAME -> "Hello, NAME!"
 *   wapc_greeter_v2  the same, but an empty name is a guest error ("name required")
 *                    and a name is capitalized ("bob" -> "Hello, Bob!")
 *
 * Any other operation: guest error "unknown operation".
 */
#define WAPC_GUEST_IMPLEMENTATION
#include "wapc.h"

#include <stdint.h>
#include <string.h>

static uint8_t out[1100];

static int greet(const uint8_t *payload, size_t len) {
    if (len > 1024) return wapc_error("name too long");
#if defined(GREETER_V2)
    if (len == 0) return wapc_error("name required");
#endif
    memcpy(out, "Hello, ", 7);
    memcpy(out + 7, payload, len);
#if defined(GREETER_V2)
    if (out[7] >= 'a' && out[7] <= 'z') out[7] = (uint8_t)(out[7] - 'a' + 'A');
#endif
    out[7 + len] = '!';
    return wapc_response(out, 7 + len + 1);
}

void wapc_init(void) {
    wapc_register_function("greet", greet);
}
