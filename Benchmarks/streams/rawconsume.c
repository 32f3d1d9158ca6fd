/*
 * rawconsume: the baseline for Benchmarks/streams.sh, a bare librdkafka consumer.
 *
 *   rawconsume BOOTSTRAP TOPIC GROUP RECORDS TIMEOUT_SECONDS [KEY=VALUE ...]
 *
 * Joins GROUP, subscribes to TOPIC, polls until RECORDS records have arrived or
 * TIMEOUT_SECONDS have passed, touches every key and value (sums their bytes),
 * commits nothing, then closes. KEY=VALUE pairs are librdkafka properties.
 * Defaults match what `wasmton process` sets for its consumer:
 * auto.offset.reset=earliest, enable.auto.commit=false, fetch.queue.backoff.ms=10.
 *
 * Prints FIRST when the first record arrives, then one line (parsed by the script):
 *   RAW records=N seconds=S rate=R cpu_seconds=C bytes=B checksum=X librdkafka=VERSION
 * where S is first to last record and C the process's user+system CPU time from
 * the first record to the last. Exit 1 if fewer than RECORDS arrived.
 */
#define _POSIX_C_SOURCE 200809L
#include <librdkafka/rdkafka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

static void set(rd_kafka_conf_t *conf, const char *k, const char *v) {
    char err[256];
    if (rd_kafka_conf_set(conf, k, v, err, sizeof err) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "rawconsume: %s=%s: %s\n", k, v, err);
        exit(2);
    }
}

int main(int argc, char **argv) {
    if (argc < 6) {
        fprintf(stderr, "usage: rawconsume BOOTSTRAP TOPIC GROUP RECORDS TIMEOUT_SECONDS [KEY=VALUE ...]\n");
        return 2;
    }
    long want = atol(argv[4]);
    double timeout = atof(argv[5]);
    char err[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    set(conf, "bootstrap.servers", argv[1]);
    set(conf, "group.id", argv[3]);
    set(conf, "auto.offset.reset", "earliest");
    set(conf, "enable.auto.commit", "false");
    set(conf, "fetch.queue.backoff.ms", "10");
    for (int i = 6; i < argc; i++) {
        char kv[512];
        snprintf(kv, sizeof kv, "%s", argv[i]);
        char *eq = strchr(kv, '=');
        if (!eq) {
            fprintf(stderr, "rawconsume: '%s' is not KEY=VALUE\n", argv[i]);
            return 2;
        }
        *eq = 0;
        set(conf, kv, eq + 1);
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    if (!rk) {
        fprintf(stderr, "rawconsume: %s\n", err);
        return 1;
    }
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, argv[2], RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t e = rd_kafka_subscribe(rk, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (e) {
        fprintf(stderr, "rawconsume: subscribe: %s\n", rd_kafka_err2str(e));
        return 1;
    }

    long got = 0, errors = 0;
    unsigned long long bytes = 0, sum = 0;
    double deadline = now_s() + timeout, first = 0, last = 0, cpu_first = 0, cpu_last = 0;
    while (got < want && now_s() < deadline) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (!m) continue;
        if (m->err) {
            if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF && errors++ < 3)
                fprintf(stderr, "rawconsume: %s\n", rd_kafka_message_errstr(m));
        } else {
            if (got == 0) {
                first = now_s();
                cpu_first = cpu_s();
                printf("FIRST\n");
                fflush(stdout);
            }
            const unsigned char *v = m->payload;
            for (size_t i = 0; i < m->len; i++) sum += v[i];
            bytes += m->len + m->key_len;
            got++;
            if (got == want) {
                last = now_s();
                cpu_last = cpu_s();
            }
        }
        rd_kafka_message_destroy(m);
    }
    if (got > 0 && last == 0) {
        last = now_s();
        cpu_last = cpu_s();
    }
    double dt = last - first;
    printf("RAW records=%ld seconds=%.3f rate=%.0f cpu_seconds=%.2f bytes=%llu checksum=%llu librdkafka=%s\n", got,
           dt, dt > 0 ? got / dt : 0.0, cpu_last - cpu_first, bytes, sum, rd_kafka_version_str());
    fflush(stdout);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    if (got < want) {
        fprintf(stderr, "rawconsume: only %ld of %ld records within %.0f s\n", got, want, timeout);
        return 1;
    }
    return 0;
}
