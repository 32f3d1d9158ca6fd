/*
 * wasmton_task.h: the PollTask contract for stream processors written in C.
 *
 * A processor is a reactor (clang -mexec-model=reactor) that exports `memory`
 * (clang does by default) and `run`. For every record the host calls `run` once;
 * inside it the guest pulls the record with poll_task. That is the whole contract
 * of the Decaton/Wasmton article; everything after it below is optional.
 *
 *   WASMTON_EXPORT("run")
 *   void run(void) {
 *       char buf[4096];
 *       int len = decaton_poll_task(buf, sizeof buf);
 *       if (len < 0) return;            // no task, or the buffer is too small
 *       ... process buf[0..len) ...
 *   }
 *
 * Buffer-filling functions return the number of bytes copied, or -1 when there
 * is nothing to copy or the buffer is too small (ask wasmton_task_value_len()
 * for the size and call again with a bigger buffer).
 */
#ifndef WASMTON_TASK_H
#define WASMTON_TASK_H

#include <stdint.h>
#include "wasmton.h"

/* decaton.poll_task(buf_addr: i64, buf_len: i32) -> i32: the record's value. */
WASMTON_IMPORT("decaton", "poll_task")
int32_t decaton_poll_task_raw(int64_t buf_addr, int32_t buf_len);

static inline int32_t decaton_poll_task(void *buf, int32_t buf_len) {
    return decaton_poll_task_raw((int64_t)(uintptr_t)buf, buf_len);
}

/* ---- Wasmton extensions (optional) ---------------------------------------- */

/* Length of the record's value, or -1 outside a task. */
WASMTON_IMPORT("wasmton", "task_value_len")
int32_t wasmton_task_value_len(void);

/* The record's key; -1 for a keyless record. */
WASMTON_IMPORT("wasmton", "task_key")
int32_t wasmton_task_key(void *buf, int32_t buf_len);

/* The value of the first header called name; -1 if there is none. */
WASMTON_IMPORT("wasmton", "task_header")
int32_t wasmton_task_header(const char *name, int32_t name_len, void *buf, int32_t buf_len);

/* Where the record came from. */
WASMTON_IMPORT("wasmton", "task_topic")
int32_t wasmton_task_topic(char *buf, int32_t buf_len);
WASMTON_IMPORT("wasmton", "task_partition")
int32_t wasmton_task_partition(void);
WASMTON_IMPORT("wasmton", "task_offset")
int64_t wasmton_task_offset(void);

/* Emit a record to the output topic (--output-topic). key_len -1: no key.
 * Returns how many records this task has emitted so far. */
WASMTON_IMPORT("wasmton", "emit")
int32_t wasmton_emit(const void *key, int32_t key_len, const void *value, int32_t value_len);

/* What the host should do with this record once run returns. */
enum wasmton_status { WASMTON_OK = 0, WASMTON_RETRY = 1, WASMTON_DISCARD = 2 };
WASMTON_IMPORT("wasmton", "set_status")
int32_t wasmton_set_status(int32_t status);

/* ---- Key-scoped state (wasmton process --state-dir) ------------------------
 *
 * The state of the current record's key: bytes that survive restarts and
 * rebalances. A processor reaches only its record's key (and named sub-keys of
 * it), never another key's. Changes are staged while run() runs and take effect
 * only if the task succeeds (status ok): after its outputs are delivered, once
 * per record even when a record is delivered again.
 *
 * state_get copies the value into buf and returns its length; -1 when the key
 * has none (or the record has no state); when buf_len is too small it returns
 * the length needed and copies nothing (so check: n > buf_len).
 * state_put / state_delete return 0, or one of the negative codes below; a
 * processor that cannot go on without its change should fail the task
 * (wasmton_set_status(WASMTON_RETRY), or trap).
 */
enum wasmton_state_result {
    WASMTON_STATE_OK = 0,
    WASMTON_STATE_NONE = -1,            /* state_get: no state for this key */
    WASMTON_STATE_TOO_LARGE = -2,       /* value over --state-max-value-bytes */
    WASMTON_STATE_FULL = -3,            /* partition store over --state-max-bytes */
    WASMTON_STATE_UNAVAILABLE = -4,     /* keyless record, no --state-dir, or a retried record */
};

WASMTON_IMPORT("wasmton", "state_get")
int32_t wasmton_state_get(void *buf, int32_t buf_len);
WASMTON_IMPORT("wasmton", "state_put")
int32_t wasmton_state_put(const void *value, int32_t value_len);
WASMTON_IMPORT("wasmton", "state_delete")
int32_t wasmton_state_delete(void);

/* The same for a named sub-key of the record's key (name_len bytes of UTF-8). */
WASMTON_IMPORT("wasmton", "state_get_sub")
int32_t wasmton_state_get_sub(const char *name, int32_t name_len, void *buf, int32_t buf_len);
WASMTON_IMPORT("wasmton", "state_put_sub")
int32_t wasmton_state_put_sub(const char *name, int32_t name_len, const void *value, int32_t value_len);
WASMTON_IMPORT("wasmton", "state_delete_sub")
int32_t wasmton_state_delete_sub(const char *name, int32_t name_len);

#endif /* WASMTON_TASK_H */
