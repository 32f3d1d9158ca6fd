/*
 * A processor for the Kafka guarantee suite (Tests/KafkaIntegration): it
 * records when each task starts and ends, so a test can check at-least-once
 * delivery, per-key ordering and per-key serial processing from the outside.
 *
 * Per task it appends two lines to the file `log` in the current directory
 * (grant one with --dir HOST::.):
 *
 *   S <key> <topic> <partition> <offset> <realtime ns>
 *   E <key> <topic> <partition> <offset> <realtime ns>
 *
 * Each line is one write on a file opened with O_APPEND and closed again, so
 * it survives the host being killed, and lines of concurrent workers do not
 * interleave. Between the two lines it busy-waits on the clock, so that two
 * overlapping tasks of one key would show overlapping intervals. The wait is
 * GUARANTEE_BUSY_US microseconds (environment; default 1000). The status is
 * always ok.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "wasmton_task.h"

static char value[65536];
static char key[1024];
static char topic[256];
static char line[1600];

static long long now_ns(void) {
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0) return -1;
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int append(int at, const char *src, int n) {
    if (n < 0) n = 0;
    if (at + n > (int)sizeof line) n = (int)sizeof line - at;
    memcpy(line + at, src, (size_t)n);
    return at + n;
}

static int append_number(int at, long long v) {
    char digits[24];
    int n = 0;
    int negative = v < 0;
    unsigned long long u = negative ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do { digits[n++] = (char)('0' + u % 10); u /= 10; } while (u);
    if (negative) digits[n++] = '-';
    for (int i = 0; i < n / 2; i++) { char t = digits[i]; digits[i] = digits[n - 1 - i]; digits[n - 1 - i] = t; }
    return append(at, digits, n);
}

/* Appends "<mark> <key> <topic> <partition> <offset> <ns>\n" to ./log. */
static void log_line(char mark, int key_len, int topic_len, int partition, long long offset) {
    int n = 0;
    n = append(n, &mark, 1);
    n = append(n, " ", 1);
    n = append(n, key, key_len);
    n = append(n, " ", 1);
    n = append(n, topic, topic_len);
    n = append(n, " ", 1);
    n = append_number(n, partition);
    n = append(n, " ", 1);
    n = append_number(n, offset);
    n = append(n, " ", 1);
    n = append_number(n, now_ns());
    n = append(n, "\n", 1);
    int fd = open("log", O_WRONLY | O_APPEND | O_CREAT, 0644);
    if (fd < 0) return;
    (void)write(fd, line, (size_t)n);
    close(fd);
}

static long long busy_ns(void) {
    const char *text = getenv("GUARANTEE_BUSY_US");
    long long us = text ? atoll(text) : 1000;
    return us < 0 ? 0 : us * 1000;
}

WASMTON_EXPORT("run")
void run(void) {
    if (decaton_poll_task(value, sizeof value) < 0 && wasmton_task_value_len() < 0) return;
    int key_len = wasmton_task_key(key, sizeof key);
    int topic_len = wasmton_task_topic(topic, sizeof topic);
    int partition = wasmton_task_partition();
    long long offset = wasmton_task_offset();
    if (key_len < 0) { key[0] = '-'; key_len = 1; }

    log_line('S', key_len, topic_len, partition, offset);
    long long until = now_ns() + busy_ns();
    while (now_ns() < until) {}
    log_line('E', key_len, topic_len, partition, offset);
    wasmton_set_status(WASMTON_OK);
}
