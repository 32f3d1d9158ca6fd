/*
 * produce: create a topic and fill it, for Benchmarks/streams.sh.
 *
 *   produce BOOTSTRAP TOPIC PARTITIONS RECORDS [VALUE_BYTES [KEYS]]
 *
 * Creates TOPIC with PARTITIONS partitions (admin API; "already exists" is an
 * error, since every run uses a fresh name), then produces RECORDS records:
 * record i has key "key-<i % KEYS>" (default 1000 distinct keys; key k lives in
 * partition k % PARTITIONS, so partitions are even) and a value of VALUE_BYTES
 * bytes (default 32, 10..1000) starting with the record's number.
 * Prints one line: "produced N records in S s (R records/s)". Exit 1 on failure.
 * Every wait is bounded: 15 s for topic creation, 120 s for produce + flush.
 */
#define _POSIX_C_SOURCE 200809L
#include <librdkafka/rdkafka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long delivered, failed;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk;
    (void)opaque;
    if (m->err) {
        if (failed++ < 3) fprintf(stderr, "produce: delivery failed: %s\n", rd_kafka_err2str(m->err));
    } else {
        delivered++;
    }
}

static void set(rd_kafka_conf_t *conf, const char *k, const char *v) {
    char err[256];
    if (rd_kafka_conf_set(conf, k, v, err, sizeof err) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "produce: %s=%s: %s\n", k, v, err);
        exit(1);
    }
}

static int create_topic(rd_kafka_t *rk, const char *topic, int partitions) {
    char err[256];
    rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(topic, partitions, 1, err, sizeof err);
    if (!nt) {
        fprintf(stderr, "produce: NewTopic: %s\n", err);
        return 0;
    }
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t *opt = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    rd_kafka_AdminOptions_set_operation_timeout(opt, 10000, err, sizeof err);
    rd_kafka_CreateTopics(rk, &nt, 1, opt, q);
    int ok = 0;
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 15000);
    if (!ev) {
        fprintf(stderr, "produce: CreateTopics timed out\n");
    } else if (rd_kafka_event_error(ev)) {
        fprintf(stderr, "produce: CreateTopics: %s\n", rd_kafka_event_error_string(ev));
    } else {
        size_t n = 0;
        const rd_kafka_topic_result_t **res = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
        ok = n == 1 && rd_kafka_topic_result_error(res[0]) == RD_KAFKA_RESP_ERR_NO_ERROR;
        if (!ok)
            fprintf(stderr, "produce: CreateTopics %s: %s\n", topic,
                    n ? rd_kafka_topic_result_error_string(res[0]) : "no result");
    }
    if (ev) rd_kafka_event_destroy(ev);
    rd_kafka_AdminOptions_destroy(opt);
    rd_kafka_NewTopic_destroy(nt);
    rd_kafka_queue_destroy(q);
    return ok;
}

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: produce BOOTSTRAP TOPIC PARTITIONS RECORDS [VALUE_BYTES [KEYS]]\n");
        return 2;
    }
    const char *topic = argv[2];
    int partitions = atoi(argv[3]);
    long records = atol(argv[4]);
    int value_bytes = argc > 5 ? atoi(argv[5]) : 32;
    long keys = argc > 6 ? atol(argv[6]) : 1000;
    if (partitions < 1 || records < 1 || value_bytes < 10 || value_bytes > 1000 || keys < 1) {
        fprintf(stderr, "produce: bad arguments\n");
        return 2;
    }
    char err[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    set(conf, "bootstrap.servers", argv[1]);
    set(conf, "linger.ms", "20");
    set(conf, "batch.num.messages", "10000");
    set(conf, "queue.buffering.max.messages", "1000000");
    set(conf, "queue.buffering.max.kbytes", "1048576");
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!rk) {
        fprintf(stderr, "produce: %s\n", err);
        return 1;
    }
    if (!create_topic(rk, topic, partitions)) {
        rd_kafka_destroy(rk);
        return 1;
    }

    char key[32], value[1001];
    double start = now_s(), deadline = start + 120;
    for (long i = 0; i < records; i++) {
        long k = i % keys;
        int kl = snprintf(key, sizeof key, "key-%ld", k);
        int vl = snprintf(value, sizeof value, "%012ld:", i);
        memset(value + vl, 'v', (size_t)(value_bytes - vl));
        for (;;) {
            rd_kafka_resp_err_t e = rd_kafka_producev(
                rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION((int32_t)(k % partitions)),
                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(key, (size_t)kl),
                RD_KAFKA_V_VALUE(value, (size_t)value_bytes), RD_KAFKA_V_END);
            if (e == RD_KAFKA_RESP_ERR_NO_ERROR) break;
            if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL || now_s() > deadline) {
                fprintf(stderr, "produce: record %ld: %s\n", i, rd_kafka_err2str(e));
                rd_kafka_destroy(rk);
                return 1;
            }
            rd_kafka_poll(rk, 50);
        }
        if ((i & 1023) == 0) rd_kafka_poll(rk, 0);
    }
    double left = deadline - now_s();
    rd_kafka_flush(rk, left > 1 ? (int)(left * 1000) : 1000);
    double dt = now_s() - start;
    rd_kafka_destroy(rk);
    if (delivered != records) {
        fprintf(stderr, "produce: delivered %ld of %ld (%ld failed)\n", delivered, records, failed);
        return 1;
    }
    printf("produced %ld records in %.2f s (%.0f records/s)\n", delivered, dt, delivered / dt);
    return 0;
}
