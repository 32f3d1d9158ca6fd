/*
 * A processor for the stream engine's tests: it reports what it saw and does
 * what the task's value tells it to, so one module covers every path.
 *
 *   value "retry"    -> status retry        value "discard" -> status discard
 *   value "trap"     -> traps (unreachable) value "loop"    -> loops forever
 *   value "bomb"     -> allocates until memory runs out, then traps
 *   anything else    -> emits one record: key = the task's key, value =
 *                       "<topic>/<partition>/<offset>:<key>:<value>[:<header x-note>]"
 */
#include <stdlib.h>
#include <string.h>

#include "wasmton_task.h"

static char value[65536];
static char key[1024];
static char note[1024];
static char topic[256];
static char out[70000];
static char *volatile bomb_sink;

static int append(char *dst, int at, const char *src, int n) {
    if (at + n > (int)sizeof out) n = (int)sizeof out - at;
    memcpy(dst + at, src, (size_t)n);
    return at + n;
}

static int append_number(char *dst, int at, long long v) {
    char digits[24];
    int n = 0;
    int negative = v < 0;
    unsigned long long u = negative ? (unsigned long long)(-v) : (unsigned long long)v;
    do { digits[n++] = (char)('0' + u % 10); u /= 10; } while (u);
    if (negative) digits[n++] = '-';
    for (int i = 0; i < n / 2; i++) { char t = digits[i]; digits[i] = digits[n - 1 - i]; digits[n - 1 - i] = t; }
    return append(dst, at, digits, n);
}

WASMTON_EXPORT("run")
void run(void) {
    int len = decaton_poll_task(value, sizeof value);
    if (len < 0) return;
    if (len == 5 && memcmp(value, "retry", 5) == 0) { wasmton_set_status(WASMTON_RETRY); return; }
    if (len == 7 && memcmp(value, "discard", 7) == 0) { wasmton_set_status(WASMTON_DISCARD); return; }
    if (len == 4 && memcmp(value, "trap", 4) == 0) __builtin_trap();
    if (len == 4 && memcmp(value, "loop", 4) == 0) { for (volatile int i = 0;; i++) {} }
    if (len == 4 && memcmp(value, "bomb", 4) == 0) {
        for (;;) {
            char *p = malloc(1 << 20);
            if (!p) __builtin_trap();
            memset(p, 1, 1 << 20);
            bomb_sink = p; /* keeps the allocation observable, so the compiler cannot elide it */
        }
    }
    int key_len = wasmton_task_key(key, sizeof key);
    int topic_len = wasmton_task_topic(topic, sizeof topic);
    int note_len = wasmton_task_header("x-note", 6, note, sizeof note);
    int n = 0;
    n = append(out, n, topic, topic_len > 0 ? topic_len : 0);
    n = append(out, n, "/", 1);
    n = append_number(out, n, wasmton_task_partition());
    n = append(out, n, "/", 1);
    n = append_number(out, n, wasmton_task_offset());
    n = append(out, n, ":", 1);
    n = append(out, n, key, key_len > 0 ? key_len : 0);
    n = append(out, n, ":", 1);
    n = append(out, n, value, len);
    if (note_len >= 0) { n = append(out, n, ":", 1); n = append(out, n, note, note_len); }
    wasmton_emit(key, key_len, out, n);
}
