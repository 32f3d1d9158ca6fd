/*
 * pricing.c: an order-pricing stream processor in four versions, built from this
 * one file, for `wasmton replay` (tests and the README's "Before you deploy"):
 *
 *   pricing_v1     the deployed version
 *   pricing_v2     the next version: 10% off for 10 or more items, and orders of
 *                  0 items are discarded instead of priced at 0
 *   pricing_loop   v1 with a bug: an order of a negative quantity never ends
 *   pricing_heavy  v1 that validates each order twice (same outputs, about 2x fuel)
 *
 * A record's value is "SKU,QUANTITY,UNIT_PRICE_CENTS" (e.g. "apple,3,120"); the
 * processor emits, under the record's key, "SKU total=CENTS". A value that does
 * not parse is discarded.
 */
#include <stdint.h>
#include <string.h>

#include "wasmton_task.h"

#if defined(PRICING_HEAVY)
#define VALIDATION_ROUNDS 2
#else
#define VALIDATION_ROUNDS 1
#endif

static char value[4096];
static char key[256];
static char out[512];
static volatile uint32_t checksum_sink;

/* The order's checksum, as a validation step that costs work proportional to its size. */
static uint32_t checksum(const char *bytes, int len) {
    uint32_t h = 2166136261u;
    for (int round = 0; round < 32; round++) {
        for (int i = 0; i < len; i++) h = (h ^ (uint8_t)bytes[i]) * 16777619u;
    }
    return h;
}

/* Parses a signed decimal number from text[*at..len) up to a comma or the end. */
static int parse_number(const char *text, int len, int *at, long long *number) {
    int i = *at;
    int negative = 0;
    if (i < len && text[i] == '-') { negative = 1; i++; }
    if (i >= len || text[i] < '0' || text[i] > '9') return 0;
    long long n = 0;
    while (i < len && text[i] >= '0' && text[i] <= '9') n = n * 10 + (text[i++] - '0');
    if (i < len && text[i] != ',') return 0;
    *at = i + 1;
    *number = negative ? -n : n;
    return 1;
}

static int append(int at, const char *text, int n) {
    if (at + n > (int)sizeof out) n = (int)sizeof out - at;
    memcpy(out + at, text, (size_t)n);
    return at + n;
}

static int append_number(int at, long long v) {
    char digits[24];
    int n = 0;
    do { digits[n++] = (char)('0' + v % 10); v /= 10; } while (v);
    for (int i = 0; i < n / 2; i++) { char t = digits[i]; digits[i] = digits[n - 1 - i]; digits[n - 1 - i] = t; }
    return append(at, digits, n);
}

WASMTON_EXPORT("run")
void run(void) {
    int len = decaton_poll_task(value, sizeof value);
    if (len < 0) return;
    for (int round = 0; round < VALIDATION_ROUNDS; round++) checksum_sink = checksum(value, len);

    int comma = 0;
    while (comma < len && value[comma] != ',') comma++;
    int at = comma + 1;
    long long quantity, price;
    if (comma == 0 || comma >= len || !parse_number(value, len, &at, &quantity) || !parse_number(value, len, &at, &price)) {
        wasmton_set_status(WASMTON_DISCARD);
        return;
    }
#if defined(PRICING_LOOP)
    if (quantity < 0) { for (volatile int i = 0;; i++) {} }
#endif
    long long total = quantity * price;
#if defined(PRICING_V2)
    if (quantity == 0) { wasmton_set_status(WASMTON_DISCARD); return; }
    if (quantity >= 10) total = total * 9 / 10;
#endif
    int n = append(0, value, comma);
    n = append(n, " total=", 7);
    if (total < 0) { n = append(n, "-", 1); total = -total; }
    n = append_number(n, total);
    int key_len = wasmton_task_key(key, sizeof key);
    wasmton_emit(key, key_len, out, n);
}
