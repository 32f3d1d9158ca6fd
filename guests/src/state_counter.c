/*
 * A stateful processor: counts the records of each key. The count is the key's
 * state (decimal text, so `wasmton state --json` shows it as it is), and each
 * record emits "<key> <count>" to the output.
 *
 *   wasmton process guests/build/state_counter.wasm --input a.jsonl --input-format jsonl --state-dir state/
 *   wasmton state --state-dir state/ --json          # {"k1":"3","k2":"1"}
 *
 * Records whose value is "reset" delete the key's count; "big:N" tries to store
 * an N-byte value (the value-size limit, for the tests). A failed put fails the
 * task (status retry), so a count is never silently lost. Keyless records are
 * counted under no key: they are only emitted, with count 0. With the
 * environment variable STATE_COUNTER_QUIET set (--env STATE_COUNTER_QUIET=1) it
 * emits nothing, so a benchmark measures the state and not the output.
 */
#include <stdlib.h>
#include <string.h>

#include "wasmton_task.h"

static char value[4096];
static char key[1024];
static char state[64];
static char line[1200];
static char big[1 << 16];
static int quiet = -1;

static int format_count(char *out, long long count) {
    char digits[24];
    int n = 0;
    do { digits[n++] = (char)('0' + count % 10); count /= 10; } while (count);
    for (int i = 0; i < n; i++) out[i] = digits[n - 1 - i];
    return n;
}

WASMTON_EXPORT("run")
void run(void) {
    int value_len = decaton_poll_task(value, sizeof value);
    int key_len = wasmton_task_key(key, sizeof key);
    if (key_len < 0) {
        wasmton_emit(0, -1, "0", 1);
        return;
    }
    if (value_len == 5 && memcmp(value, "reset", 5) == 0) {
        if (wasmton_state_delete() != WASMTON_STATE_OK) wasmton_set_status(WASMTON_RETRY);
        return;
    }
    if (value_len > 4 && memcmp(value, "big:", 4) == 0) {
        long long size = 0;
        for (int i = 4; i < value_len && value[i] >= '0' && value[i] <= '9'; i++) size = size * 10 + (value[i] - '0');
        if (size > (long long)sizeof big) size = sizeof big;
        memset(big, 'x', (size_t)size);
        int result = wasmton_state_put_sub("big", 3, big, (int32_t)size);
        int n = format_count(line, result < 0 ? -result : result);
        wasmton_emit(key, key_len, line, n);
        return;
    }

    long long count = 0;
    int n = wasmton_state_get(state, sizeof state);
    if (n > (int)sizeof state) {
        wasmton_set_status(WASMTON_RETRY); /* not a count this processor wrote */
        return;
    }
    for (int i = 0; i < n; i++) count = count * 10 + (state[i] - '0');
    count += 1;
    n = format_count(state, count);
    if (wasmton_state_put(state, n) != WASMTON_STATE_OK) {
        wasmton_set_status(WASMTON_RETRY);
        return;
    }
    if (quiet < 0) quiet = getenv("STATE_COUNTER_QUIET") != 0;
    if (quiet) return;
    memcpy(line, key, (size_t)key_len);
    line[key_len] = ' ';
    memcpy(line + key_len + 1, state, (size_t)n);
    wasmton_emit(key, key_len, line, key_len + 1 + n);
}
