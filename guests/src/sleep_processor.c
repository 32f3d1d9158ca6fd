/*
 * A stream processor that simulates 10 ms of I/O, for Benchmarks/streams.sh:
 * it pulls the task's value, then blocks for 10 ms with nanosleep, which
 * wasi-libc turns into WASI poll_oneoff with one relative clock subscription
 * (the host thread sleeps; no CPU is burned).
 */
#include <time.h>

#include "wasmton_task.h"

static char value[65536];

WASMTON_EXPORT("run")
void run(void) {
    (void)decaton_poll_task(value, sizeof value);
    struct timespec ten_ms = {.tv_sec = 0, .tv_nsec = 10 * 1000 * 1000};
    (void)nanosleep(&ten_ms, NULL);
}
