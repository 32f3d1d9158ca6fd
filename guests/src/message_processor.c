/*
 * The Decaton/Wasmton article's example processor, in C: each task is JSON like
 * {"message": "hello"}; the processor appends the message and a newline to the
 * file ./messages in its preopened directory (run with --dir HOST::/ or --dir HOST::.).
 * A task without a "message" string is skipped.
 */
#include <stdio.h>
#include <string.h>

#include "wasmton_task.h"

/* Finds the string value of "message" in a flat JSON object; handles \" and \\ escapes. */
static int find_message(const char *json, int len, char *out, int out_len) {
    const char *key = "\"message\"";
    const char *p = json, *end = json + len;
    size_t key_len = strlen(key);
    for (; p + key_len <= end; p++) {
        if (memcmp(p, key, key_len) != 0) continue;
        p += key_len;
        while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
        if (p >= end || *p != ':') return -1;
        p++;
        while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
        if (p >= end || *p != '"') return -1;
        p++;
        int n = 0;
        while (p < end && *p != '"') {
            char c = *p++;
            if (c == '\\' && p < end) {
                c = *p++;
                if (c == 'n') c = '\n';
                else if (c == 't') c = '\t';
            }
            if (n >= out_len) return -1;
            out[n++] = c;
        }
        return p < end ? n : -1;
    }
    return -1;
}

static char task[65536];
static char message[65536];

WASMTON_EXPORT("run")
void run(void) {
    int len = decaton_poll_task(task, sizeof task);
    if (len < 0) return;
    int n = find_message(task, len, message, sizeof message);
    if (n < 0) return;
    FILE *file = fopen("messages", "a");
    if (!file) {
        fprintf(stderr, "message_processor: cannot open ./messages (grant a directory with --dir)\n");
        __builtin_trap();
    }
    fwrite(message, 1, (size_t)n, file);
    fputc('\n', file);
    fclose(file);
}
