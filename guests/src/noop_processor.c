/*
 * The trivial stream processor, for Benchmarks/streams.sh: it pulls the
 * task's value into a buffer and returns. What remains is the host's per-task
 * cost (consume, dispatch, one guest call, one poll_task copy, commit).
 */
#include "wasmton_task.h"

static char value[65536];

WASMTON_EXPORT("run")
void run(void) {
    (void)decaton_poll_task(value, sizeof value);
}
