/*
 * Kafka smoke test for Wasmton's stream-engine infrastructure.
 *
 * Compiled against Debian's librdkafka 2.0.2 headers (gcc smoke.c -lrdkafka),
 * run with the confluent-kafka wheel's librdkafka 2.16 first on LD_LIBRARY_PATH
 * (scripts/kafka-env.sh) against a tansu broker (scripts/kafka-broker.sh).
 *
 *   smoke BOOTSTRAP [BENCH_MESSAGES]
 *
 * Phases (every wait is bounded in time; every loop in count):
 *   0 library version, broker reachable
 *   1 admin CreateTopics (4 partitions), metadata check, duplicate create
 *   2 produce 1000 keyed messages with headers, delivery reports
 *   3 consumer group A: consume 600, commit synchronously, committed() check, close
 *   4 consumer group A again: resumes from the committed offsets (no redelivery),
 *     one partition paused on assign and resumed later
 *   5 fresh group: pause a partition mid-stream, resume at last delivered + 1
 *   6 two consumers in one group: split assignment, commit on revoke, no duplicates,
 *     one leaves and the other takes all partitions
 *   7 informational: watermarks / ListOffsets, auto.offset.reset=latest, topic
 *     auto-creation, idempotent producer
 *   8 benchmark: raw consume rate of BENCH_MESSAGES small messages, 4 partitions
 *
 * Prints PASS/FAIL/INFO lines; exits 1 if any check failed.
 */
#define _POSIX_C_SOURCE 200809L
#include <librdkafka/rdkafka.h>

#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NPART 4
#define NMSG 1000
#define NKEYS 37
#define FIRST_BATCH 600
#define SESSION_TIMEOUT "2000"

static const char *bootstrap;
static double t0;
static int failures, passes;
static char run_id[32];

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void logf_(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    printf("[%7.3f] ", now_s() - t0);
    vprintf(fmt, ap);
    printf("\n");
    fflush(stdout);
    va_end(ap);
}

static int check(int ok, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    printf("%s ", ok ? "PASS" : "FAIL");
    vprintf(fmt, ap);
    printf("\n");
    fflush(stdout);
    va_end(ap);
    if (ok)
        passes++;
    else
        failures++;
    return ok;
}

static void info(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    printf("INFO ");
    vprintf(fmt, ap);
    printf("\n");
    fflush(stdout);
    va_end(ap);
}

static void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    printf("FAIL ");
    vprintf(fmt, ap);
    printf("\nFAIL smoke aborted (%d passed, %d failed before abort)\n", passes, failures + 1);
    fflush(stdout);
    va_end(ap);
    exit(1);
}

static rd_kafka_conf_t *make_conf(const char *const *kv) {
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, err, sizeof err) != RD_KAFKA_CONF_OK)
        die("conf bootstrap.servers: %s", err);
    const char *debug = getenv("SMOKE_DEBUG");
    if (debug && *debug && rd_kafka_conf_set(conf, "debug", debug, err, sizeof err) != RD_KAFKA_CONF_OK)
        die("conf debug=%s: %s", debug, err);
    for (int i = 0; kv && kv[i]; i += 2)
        if (rd_kafka_conf_set(conf, kv[i], kv[i + 1], err, sizeof err) != RD_KAFKA_CONF_OK)
            die("conf %s=%s: %s", kv[i], kv[i + 1], err);
    return conf;
}

/* ---------------------------------------------------------------- producer */

typedef struct {
    int32_t partition;
    int64_t offset;
    rd_kafka_resp_err_t err;
    int delivered;
} dr_t;

static dr_t *drs;          /* indexed by message sequence number */
static int dr_count, dr_errors;

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk;
    (void)opaque;
    intptr_t seq = (intptr_t)m->_private;
    dr_count++;
    if (m->err) {
        dr_errors++;
        if (dr_errors <= 5)
            logf_("delivery failed seq=%ld: %s", (long)seq, rd_kafka_err2str(m->err));
    }
    if (drs && seq >= 0) {
        drs[seq].partition = m->partition;
        drs[seq].offset = m->offset;
        drs[seq].err = m->err;
        drs[seq].delivered = 1;
    }
}

static rd_kafka_t *make_producer(const char *const *extra) {
    char err[512];
    rd_kafka_conf_t *conf = make_conf(extra);
    rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!rk)
        die("rd_kafka_new(producer): %s", err);
    return rk;
}

/* Produce with bounded retry on a full local queue. */
static rd_kafka_resp_err_t produce_one(rd_kafka_t *rk, const char *topic, int32_t partition, const void *key,
                                       size_t keylen, const void *val, size_t vallen, rd_kafka_headers_t *hdrs,
                                       intptr_t seq) {
    for (int attempt = 0; attempt < 2000; attempt++) {
        rd_kafka_resp_err_t e;
        if (hdrs)
            e = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
                                  RD_KAFKA_V_KEY(key, keylen), RD_KAFKA_V_VALUE((void *)val, vallen),
                                  RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(hdrs),
                                  RD_KAFKA_V_OPAQUE((void *)seq), RD_KAFKA_V_END);
        else
            e = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
                                  RD_KAFKA_V_KEY(key, keylen), RD_KAFKA_V_VALUE((void *)val, vallen),
                                  RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE((void *)seq),
                                  RD_KAFKA_V_END);
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL)
            return e; /* on success the headers are owned by librdkafka */
        rd_kafka_poll(rk, 10);
    }
    return RD_KAFKA_RESP_ERR__QUEUE_FULL;
}

/* ---------------------------------------------------------------- consumer */

typedef struct {
    rd_kafka_t *rk;
    const char *name;
    const char *topic;
    int assigned[NPART];
    int pause_on_assign;        /* partition to pause right after an assign, or -1 */
    int commit_on_revoke;
    int64_t next_offset[NPART]; /* last delivered + 1, -1 if none */
    int assigns, revokes;
    double last_assign_t;
} consumer_t;

static void format_parts(const rd_kafka_topic_partition_list_t *parts, char *buf, size_t n) {
    size_t used = 0;
    buf[0] = 0;
    for (int i = 0; i < parts->cnt && used + 40 < n; i++)
        used += (size_t)snprintf(buf + used, n - used, "%s%d", i ? "," : "", parts->elems[i].partition);
}

static void commit_progress(consumer_t *c, const rd_kafka_topic_partition_list_t *only, const char *why) {
    rd_kafka_topic_partition_list_t *offs = rd_kafka_topic_partition_list_new(NPART);
    for (int p = 0; p < NPART; p++) {
        if (c->next_offset[p] < 0)
            continue;
        if (only && !rd_kafka_topic_partition_list_find(only, c->topic, p))
            continue;
        rd_kafka_topic_partition_list_add(offs, c->topic, p)->offset = c->next_offset[p];
    }
    if (offs->cnt > 0) {
        double t = now_s();
        rd_kafka_resp_err_t e = rd_kafka_commit(c->rk, offs, 0 /* sync */);
        char buf[256];
        size_t used = 0;
        for (int i = 0; i < offs->cnt; i++)
            used += (size_t)snprintf(buf + used, sizeof buf - used, " p%d@%" PRId64, offs->elems[i].partition,
                                     offs->elems[i].offset);
        logf_("%s: sync commit (%s)%s -> %s in %.0f ms", c->name, why, buf, rd_kafka_err2str(e),
              (now_s() - t) * 1000);
        if (e)
            check(0, "%s: sync commit (%s) failed: %s", c->name, why, rd_kafka_err2str(e));
        for (int i = 0; i < offs->cnt; i++)
            if (offs->elems[i].err)
                check(0, "%s: commit p%d failed: %s", c->name, offs->elems[i].partition,
                      rd_kafka_err2str(offs->elems[i].err));
    }
    rd_kafka_topic_partition_list_destroy(offs);
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *parts,
                         void *opaque) {
    consumer_t *c = opaque;
    char buf[128];
    format_parts(parts, buf, sizeof buf);
    const char *proto = rd_kafka_rebalance_protocol(rk);
    int cooperative = proto && !strcmp(proto, "COOPERATIVE");
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        c->assigns++;
        c->last_assign_t = now_s();
        logf_("%s: rebalance ASSIGN [%s] (protocol %s)", c->name, buf, proto ? proto : "?");
        rd_kafka_error_t *e2 = NULL;
        rd_kafka_resp_err_t e = RD_KAFKA_RESP_ERR_NO_ERROR;
        if (cooperative)
            e2 = rd_kafka_incremental_assign(rk, parts);
        else
            e = rd_kafka_assign(rk, parts);
        if (e || e2)
            check(0, "%s: assign failed: %s", c->name, e2 ? rd_kafka_error_string(e2) : rd_kafka_err2str(e));
        if (e2)
            rd_kafka_error_destroy(e2);
        if (!cooperative)
            memset(c->assigned, 0, sizeof c->assigned);
        for (int i = 0; i < parts->cnt; i++)
            if (parts->elems[i].partition >= 0 && parts->elems[i].partition < NPART)
                c->assigned[parts->elems[i].partition] = 1;
        if (c->pause_on_assign >= 0 && c->assigned[c->pause_on_assign]) {
            rd_kafka_topic_partition_list_t *pl = rd_kafka_topic_partition_list_new(1);
            rd_kafka_topic_partition_list_add(pl, c->topic, c->pause_on_assign);
            rd_kafka_resp_err_t pe = rd_kafka_pause_partitions(rk, pl);
            logf_("%s: paused p%d on assign -> %s", c->name, c->pause_on_assign, rd_kafka_err2str(pe));
            rd_kafka_topic_partition_list_destroy(pl);
        }
    } else if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
        c->revokes++;
        logf_("%s: rebalance REVOKE [%s] (protocol %s)", c->name, buf, proto ? proto : "?");
        if (c->commit_on_revoke)
            commit_progress(c, parts, "revoke");
        if (cooperative)
            rd_kafka_incremental_unassign(rk, parts);
        else
            rd_kafka_assign(rk, NULL);
        for (int i = 0; i < parts->cnt; i++)
            if (parts->elems[i].partition >= 0 && parts->elems[i].partition < NPART) {
                c->assigned[parts->elems[i].partition] = 0;
                c->next_offset[parts->elems[i].partition] = -1;
            }
    } else {
        logf_("%s: rebalance error %s", c->name, rd_kafka_err2str(err));
        rd_kafka_assign(rk, NULL);
        memset(c->assigned, 0, sizeof c->assigned);
    }
}

static void consumer_open(consumer_t *c, const char *name, const char *group, const char *topic,
                          const char *const *extra) {
    char err[512];
    memset(c, 0, sizeof *c);
    c->name = name;
    c->topic = topic;
    c->pause_on_assign = -1;
    for (int p = 0; p < NPART; p++)
        c->next_offset[p] = -1;
    const char *base[] = {"group.id",
                          group,
                          "client.id",
                          name,
                          "enable.auto.commit",
                          "false",
                          "auto.offset.reset",
                          "earliest",
                          "session.timeout.ms",
                          SESSION_TIMEOUT,
                          "heartbeat.interval.ms",
                          "500",
                          "enable.partition.eof",
                          "false",
                          NULL};
    rd_kafka_conf_t *conf = make_conf(base);
    for (int i = 0; extra && extra[i]; i += 2)
        if (rd_kafka_conf_set(conf, extra[i], extra[i + 1], err, sizeof err) != RD_KAFKA_CONF_OK)
            die("conf %s=%s: %s", extra[i], extra[i + 1], err);
    rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
    rd_kafka_conf_set_opaque(conf, c);
    c->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    if (!c->rk)
        die("rd_kafka_new(consumer %s): %s", name, err);
    rd_kafka_poll_set_consumer(c->rk);
    rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(sub, topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t e = rd_kafka_subscribe(c->rk, sub);
    rd_kafka_topic_partition_list_destroy(sub);
    if (e)
        die("%s: subscribe: %s", name, rd_kafka_err2str(e));
    logf_("%s: subscribed to %s in group %s", name, topic, group);
}

static void consumer_close(consumer_t *c) {
    double t = now_s();
    rd_kafka_resp_err_t e = rd_kafka_consumer_close(c->rk);
    logf_("%s: consumer_close -> %s in %.0f ms", c->name, rd_kafka_err2str(e), (now_s() - t) * 1000);
    rd_kafka_destroy(c->rk);
    c->rk = NULL;
}

static void set_paused(consumer_t *c, int p, int pause) {
    rd_kafka_topic_partition_list_t *pl = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(pl, c->topic, p);
    rd_kafka_resp_err_t e = pause ? rd_kafka_pause_partitions(c->rk, pl) : rd_kafka_resume_partitions(c->rk, pl);
    if (!e)
        e = pl->elems[0].err;
    logf_("%s: %s p%d -> %s", c->name, pause ? "pause" : "resume", p, rd_kafka_err2str(e));
    check(e == 0, "%s: %s p%d", c->name, pause ? "pause" : "resume", p);
    rd_kafka_topic_partition_list_destroy(pl);
}

/* Message bookkeeping for the 1000-message topic. */
static int consumed_by[NPART][NMSG + 1]; /* bitmask of phases that consumed (partition, offset) */
static int part_total[NPART];            /* messages per partition, from delivery reports */
static int bad_messages;

static char *hdr_string(rd_kafka_headers_t *h, const char *name, char *buf, size_t n) {
    const void *v;
    size_t len;
    if (!h || rd_kafka_header_get_last(h, name, &v, &len) != RD_KAFKA_RESP_ERR_NO_ERROR)
        return NULL;
    if (!v) {
        snprintf(buf, n, "<null>");
        return buf;
    }
    if (len >= n)
        len = n - 1;
    memcpy(buf, v, len);
    buf[len] = 0;
    return buf;
}

/* Verify one message of the 1000-message topic against its delivery report. */
static int verify_message(const consumer_t *c, const rd_kafka_message_t *m) {
    rd_kafka_headers_t *h = NULL;
    char seqbuf[32], srcbuf[32], nullbuf[16];
    if (rd_kafka_message_headers(m, &h) != RD_KAFKA_RESP_ERR_NO_ERROR)
        h = NULL;
    char *seqs = hdr_string(h, "seq", seqbuf, sizeof seqbuf);
    char *src = hdr_string(h, "src", srcbuf, sizeof srcbuf);
    char *nul = hdr_string(h, "nullhdr", nullbuf, sizeof nullbuf);
    size_t hcount = h ? rd_kafka_header_cnt(h) : 0;
    int ok = seqs && src && !strcmp(src, "smoke") && nul && !strcmp(nul, "<null>") && hcount == 3;
    long seq = seqs ? strtol(seqs, NULL, 10) : -1;
    char key[32], val[32];
    if (ok && seq >= 0 && seq < NMSG) {
        int kl = snprintf(key, sizeof key, "key-%ld", seq % NKEYS);
        int vl = snprintf(val, sizeof val, "value-%ld", seq);
        ok = m->key_len == (size_t)kl && !memcmp(m->key, key, (size_t)kl) && m->len == (size_t)vl &&
             !memcmp(m->payload, val, (size_t)vl) && drs[seq].partition == m->partition &&
             drs[seq].offset == m->offset;
    } else {
        ok = 0;
    }
    if (!ok && ++bad_messages <= 5)
        logf_("%s: bad message p%d@%" PRId64 " seq=%s src=%s nullhdr=%s headers=%zu key=%.*s", c->name,
              m->partition, m->offset, seqs ? seqs : "-", src ? src : "-", nul ? nul : "-", hcount,
              (int)m->key_len, m->key ? (const char *)m->key : "");
    return ok;
}

/* ---------------------------------------------------------------- admin */

static int create_topic(rd_kafka_t *rk, const char *topic, int partitions, rd_kafka_resp_err_t *topic_err,
                        char *errstr, size_t errn) {
    char err[512];
    rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(topic, partitions, 1, err, sizeof err);
    if (!nt)
        die("NewTopic_new: %s", err);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t *opt = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    rd_kafka_AdminOptions_set_operation_timeout(opt, 10000, err, sizeof err);
    rd_kafka_AdminOptions_set_request_timeout(opt, 10000, err, sizeof err);
    rd_kafka_CreateTopics(rk, &nt, 1, opt, q);
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 15000);
    int ok = 0;
    *topic_err = RD_KAFKA_RESP_ERR__TIMED_OUT;
    snprintf(errstr, errn, "no result within 15 s");
    if (ev) {
        if (rd_kafka_event_error(ev)) {
            *topic_err = rd_kafka_event_error(ev);
            snprintf(errstr, errn, "%s", rd_kafka_event_error_string(ev));
        } else {
            const rd_kafka_CreateTopics_result_t *res = rd_kafka_event_CreateTopics_result(ev);
            size_t n;
            const rd_kafka_topic_result_t **trs = rd_kafka_CreateTopics_result_topics(res, &n);
            if (n == 1) {
                *topic_err = rd_kafka_topic_result_error(trs[0]);
                const char *s = rd_kafka_topic_result_error_string(trs[0]);
                snprintf(errstr, errn, "%s", s ? s : rd_kafka_err2str(*topic_err));
                ok = *topic_err == RD_KAFKA_RESP_ERR_NO_ERROR;
            }
        }
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_AdminOptions_destroy(opt);
    rd_kafka_NewTopic_destroy(nt);
    rd_kafka_queue_destroy(q);
    return ok;
}

/* Partition count of a topic via metadata, -1 if unknown; bounded retries. */
static int topic_partitions(rd_kafka_t *rk, const char *topic, int attempts) {
    for (int a = 0; a < attempts; a++) {
        rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, rkt, &md, 5000);
        int n = -1;
        if (!e && md->topic_cnt == 1 && md->topics[0].err == 0)
            n = md->topics[0].partition_cnt;
        if (md)
            rd_kafka_metadata_destroy(md);
        rd_kafka_topic_destroy(rkt);
        if (n > 0)
            return n;
        nanosleep(&(struct timespec){0, 200 * 1000 * 1000}, NULL);
    }
    return -1;
}

/* ---------------------------------------------------------------- phases */

static char topic[64];
static int64_t committed_after_a[NPART]; /* -1 = nothing committed */

static void phase_create(rd_kafka_t *admin) {
    rd_kafka_resp_err_t te;
    char es[256];
    double t = now_s();
    int ok = create_topic(admin, topic, NPART, &te, es, sizeof es);
    check(ok, "CreateTopics %s partitions=%d (%s, %.0f ms)", topic, NPART, es, (now_s() - t) * 1000);
    int n = topic_partitions(admin, topic, 25);
    check(n == NPART, "metadata shows %s with %d partitions (want %d)", topic, n, NPART);
    ok = create_topic(admin, topic, NPART, &te, es, sizeof es);
    check(!ok && te == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS, "CreateTopics again -> TOPIC_ALREADY_EXISTS (got %s: %s)",
          rd_kafka_err2name(te), es);
}

static void phase_produce(rd_kafka_t *prod) {
    drs = calloc(NMSG, sizeof *drs);
    dr_count = dr_errors = 0;
    double t = now_s();
    int enq_fail = 0;
    for (int i = 0; i < NMSG; i++) {
        char key[32], val[32], seq[16];
        int kl = snprintf(key, sizeof key, "key-%d", i % NKEYS);
        int vl = snprintf(val, sizeof val, "value-%d", i);
        snprintf(seq, sizeof seq, "%d", i);
        rd_kafka_headers_t *h = rd_kafka_headers_new(3);
        rd_kafka_header_add(h, "seq", -1, seq, -1);
        rd_kafka_header_add(h, "src", -1, "smoke", -1);
        rd_kafka_header_add(h, "nullhdr", -1, NULL, 0);
        rd_kafka_resp_err_t e =
            produce_one(prod, topic, RD_KAFKA_PARTITION_UA, key, (size_t)kl, val, (size_t)vl, h, i);
        if (e) {
            rd_kafka_headers_destroy(h);
            if (++enq_fail <= 3)
                logf_("produce seq=%d: %s", i, rd_kafka_err2str(e));
        }
        rd_kafka_poll(prod, 0);
    }
    rd_kafka_resp_err_t fe = rd_kafka_flush(prod, 15000);
    double dt = now_s() - t;
    check(enq_fail == 0 && fe == 0 && dr_count == NMSG && dr_errors == 0,
          "produced %d keyed messages with 3 headers: enqueue failures=%d flush=%s delivered=%d errors=%d (%.0f ms)",
          NMSG, enq_fail, rd_kafka_err2name(fe), dr_count, dr_errors, dt * 1000);
    memset(part_total, 0, sizeof part_total);
    int key_part[NKEYS];
    for (int k = 0; k < NKEYS; k++)
        key_part[k] = -1;
    int key_split = 0, offsets_ok = 1;
    int64_t maxoff[NPART] = {-1, -1, -1, -1};
    for (int i = 0; i < NMSG; i++) {
        if (!drs[i].delivered || drs[i].err)
            continue;
        int p = drs[i].partition;
        if (p < 0 || p >= NPART || drs[i].offset < 0 || drs[i].offset >= NMSG) {
            offsets_ok = 0;
            continue;
        }
        part_total[p]++;
        if (drs[i].offset > maxoff[p])
            maxoff[p] = drs[i].offset;
        if (key_part[i % NKEYS] < 0)
            key_part[i % NKEYS] = p;
        else if (key_part[i % NKEYS] != p)
            key_split++;
    }
    for (int p = 0; p < NPART; p++)
        if (maxoff[p] + 1 != part_total[p])
            offsets_ok = 0; /* offsets per partition must be 0..n-1 */
    info("messages per partition: p0=%d p1=%d p2=%d p3=%d (default partitioner consistent_random = CRC32 of key)",
         part_total[0], part_total[1], part_total[2], part_total[3]);
    check(offsets_ok, "delivery-report offsets are dense 0..n-1 per partition");
    check(key_split == 0, "each key always went to the same partition");
}

/* Poll until pred() holds or the deadline passes; returns messages consumed. */
typedef int (*on_msg_fn)(consumer_t *c, const rd_kafka_message_t *m, void *arg);

static int poll_loop(consumer_t *c, double seconds, int max_msgs, on_msg_fn fn, void *arg, int (*done)(void *),
                     void *done_arg) {
    double deadline = now_s() + seconds;
    int n = 0;
    long iterations = 0;
    while (now_s() < deadline && n < max_msgs && iterations < 1000000) {
        iterations++;
        if (done && done(done_arg))
            break;
        rd_kafka_message_t *m = rd_kafka_consumer_poll(c->rk, 100);
        if (!m)
            continue;
        if (m->err) {
            logf_("%s: consumer error: %s", c->name, rd_kafka_message_errstr(m));
            rd_kafka_message_destroy(m);
            continue;
        }
        n++;
        if (fn)
            fn(c, m, arg);
        rd_kafka_message_destroy(m);
    }
    return n;
}

#define PH_A 1
#define PH_B 2

typedef struct {
    int phase_bit;
    int dup_in_phase;
    int out_of_order;
    int received[NPART];
    int64_t first_offset[NPART];
    int64_t last_offset[NPART];
    int paused_partition;  /* messages arriving from here are an error while paused */
    int paused;
    int while_paused;
} track_t;

static int track_msg(consumer_t *c, const rd_kafka_message_t *m, void *arg) {
    track_t *t = arg;
    int p = m->partition;
    if (p < 0 || p >= NPART || m->offset < 0 || m->offset >= NMSG) {
        bad_messages++;
        return 0;
    }
    verify_message(c, m);
    if (consumed_by[p][m->offset] & t->phase_bit)
        t->dup_in_phase++;
    consumed_by[p][m->offset] |= t->phase_bit;
    if (t->received[p] == 0)
        t->first_offset[p] = m->offset;
    else if (m->offset != t->last_offset[p] + 1)
        t->out_of_order++;
    t->last_offset[p] = m->offset;
    t->received[p]++;
    c->next_offset[p] = m->offset + 1;
    if (t->paused && p == t->paused_partition)
        t->while_paused++;
    return 0;
}

static void phase_group_first(void) {
    consumer_t c;
    track_t t;
    memset(&t, 0, sizeof t);
    t.phase_bit = PH_A;
    t.paused_partition = -1;
    char group[64];
    snprintf(group, sizeof group, "smoke-a-%s", run_id);
    double start = now_s();
    consumer_open(&c, "consumerA", group, topic, NULL);
    int n = poll_loop(&c, 30, FIRST_BATCH, track_msg, &t, NULL, NULL);
    info("consumerA: first assignment %.0f ms after subscribe", c.assigns ? (c.last_assign_t - start) * 1000 : -1.0);
    check(n == FIRST_BATCH, "consumerA consumed %d/%d messages (%.1f s)", n, FIRST_BATCH, now_s() - start);
    check(t.dup_in_phase == 0 && t.out_of_order == 0, "consumerA: no duplicates (%d), in offset order per partition (%d gaps)",
          t.dup_in_phase, t.out_of_order);
    for (int p = 0; p < NPART; p++) {
        committed_after_a[p] = c.next_offset[p];
        info("consumerA p%d: consumed %d, next offset %" PRId64 " of %d", p, t.received[p], c.next_offset[p],
             part_total[p]);
    }
    commit_progress(&c, NULL, "explicit");
    /* Read the commits back through OffsetFetch. */
    rd_kafka_topic_partition_list_t *q = rd_kafka_topic_partition_list_new(NPART);
    for (int p = 0; p < NPART; p++)
        rd_kafka_topic_partition_list_add(q, topic, p);
    rd_kafka_resp_err_t e = rd_kafka_committed(c.rk, q, 10000);
    int match = e == 0;
    for (int i = 0; i < q->cnt && match; i++) {
        int p = q->elems[i].partition;
        int64_t want = committed_after_a[p] >= 0 ? committed_after_a[p] : RD_KAFKA_OFFSET_INVALID;
        if (q->elems[i].offset != want || q->elems[i].err) {
            logf_("committed() p%d = %" PRId64 " (%s), want %" PRId64, p, q->elems[i].offset,
                  rd_kafka_err2str(q->elems[i].err), want);
            match = 0;
        }
    }
    check(match, "committed() (OffsetFetch) returns the offsets just committed (%s)", rd_kafka_err2str(e));
    rd_kafka_topic_partition_list_destroy(q);
    consumer_close(&c);
}

typedef struct {
    track_t *t;
    int64_t start[NPART];
    int skip_partition;
} remaining_t;

static int others_done(void *arg) {
    remaining_t *r = arg;
    for (int p = 0; p < NPART; p++)
        if (p != r->skip_partition && r->start[p] + r->t->received[p] < part_total[p])
            return 0;
    return 1;
}

static void phase_group_resume(void) {
    consumer_t c;
    track_t t;
    memset(&t, 0, sizeof t);
    t.phase_bit = PH_B;
    remaining_t r;
    r.t = &t;
    int pause_p = 0, most = -1;
    for (int p = 0; p < NPART; p++) {
        r.start[p] = committed_after_a[p] >= 0 ? committed_after_a[p] : 0;
        if (part_total[p] - r.start[p] > most) {
            most = (int)(part_total[p] - r.start[p]);
            pause_p = p;
        }
    }
    t.paused_partition = pause_p;
    r.skip_partition = pause_p;
    char group[64];
    snprintf(group, sizeof group, "smoke-a-%s", run_id);
    double start = now_s();
    consumer_open(&c, "consumerA2", group, topic, NULL);
    c.pause_on_assign = pause_p;
    t.paused = 1;
    poll_loop(&c, 30, NMSG, track_msg, &t, others_done, &r);
    info("consumerA2: first assignment %.0f ms after subscribe (same group, after consumerA left)",
         c.assigns ? (c.last_assign_t - start) * 1000 : -1.0);
    check(others_done(&r), "consumerA2 drained the unpaused partitions");
    /* Keep polling a little: the paused partition must stay silent. */
    poll_loop(&c, 1.5, NMSG, track_msg, &t, NULL, NULL);
    check(t.while_paused == 0, "p%d paused on assign delivered nothing while paused (%d messages)", pause_p,
          t.while_paused);
    t.paused = 0;
    set_paused(&c, pause_p, 0);
    r.skip_partition = -1;
    poll_loop(&c, 20, NMSG, track_msg, &t, others_done, &r);
    check(others_done(&r), "after resume, p%d drained too", pause_p);
    int resumed_ok = 1, redelivered = 0, missing = 0;
    for (int p = 0; p < NPART; p++) {
        if (t.received[p] && t.first_offset[p] != r.start[p]) {
            resumed_ok = 0;
            logf_("p%d: consumerA2 started at %" PRId64 ", committed was %" PRId64, p, t.first_offset[p], r.start[p]);
        }
        for (int o = 0; o < part_total[p]; o++) {
            int bits = consumed_by[p][o];
            if ((bits & PH_A) && (bits & PH_B))
                redelivered++;
            if (!bits)
                missing++;
        }
    }
    check(resumed_ok, "consumerA2 resumed each partition exactly at its committed offset");
    check(redelivered == 0, "no committed message was redelivered (%d redelivered)", redelivered);
    check(missing == 0 && t.dup_in_phase == 0 && t.out_of_order == 0,
          "A + A2 together saw all %d messages exactly once (missing %d, dup %d, gaps %d)", NMSG, missing,
          t.dup_in_phase, t.out_of_order);
    int extra = poll_loop(&c, 1.0, NMSG, NULL, NULL, NULL, NULL);
    check(extra == 0, "nothing more after the end (%d extra)", extra);
    /* The high watermark cached from Fetch responses (no ListOffsets request). */
    for (int p = 0; p < NPART; p++) {
        int64_t lo = -2, hi = -2;
        rd_kafka_resp_err_t e = rd_kafka_get_watermark_offsets(c.rk, topic, p, &lo, &hi);
        info("get_watermark_offsets (cached from Fetch) p%d: low=%" PRId64 " high=%" PRId64 " (%s); true high %d%s", p,
             lo, hi, rd_kafka_err2name(e), part_total[p], hi == part_total[p] ? "" : "  <-- WRONG");
    }
    consumer_close(&c);
}

/* Pause mid-stream: messages already fetched for the paused partition must not be delivered. */
typedef struct {
    int pause_p;
    int64_t last_before_pause;
    int64_t first_after_resume;
    int after_pause;
    int state; /* 0 before pause, 1 paused, 2 resumed */
    int before_count;
    int received[NPART];
} midpause_t;

static int midpause_msg(consumer_t *c, const rd_kafka_message_t *m, void *arg) {
    midpause_t *s = arg;
    int p = m->partition;
    if (p < 0 || p >= NPART)
        return 0;
    s->received[p]++;
    if (p != s->pause_p)
        return 0;
    if (s->state == 0) {
        s->last_before_pause = m->offset;
        if (++s->before_count == 10) {
            set_paused(c, p, 1);
            s->state = 1;
        }
    } else if (s->state == 1) {
        s->after_pause++;
    } else if (s->state == 2 && s->first_after_resume < 0) {
        s->first_after_resume = m->offset;
    }
    return 0;
}

static int midpause_others_done(void *arg) {
    midpause_t *s = arg;
    for (int p = 0; p < NPART; p++)
        if (p != s->pause_p && s->received[p] < part_total[p])
            return 0;
    return s->state == 1;
}

static int midpause_all_done(void *arg) {
    midpause_t *s = arg;
    return s->state == 2 && s->first_after_resume >= 0;
}

static void phase_midstream_pause(void) {
    consumer_t c;
    midpause_t s;
    memset(&s, 0, sizeof s);
    s.first_after_resume = -1;
    s.pause_p = 0;
    for (int p = 1; p < NPART; p++)
        if (part_total[p] > part_total[s.pause_p])
            s.pause_p = p;
    char group[64];
    snprintf(group, sizeof group, "smoke-p-%s", run_id);
    /* Small fetches so the paused partition certainly has prefetched messages queued. */
    consumer_open(&c, "consumerP", group, topic, NULL);
    poll_loop(&c, 30, 10 * NMSG, midpause_msg, &s, midpause_others_done, &s);
    check(s.state == 1, "mid-stream pause of p%d after 10 messages (last delivered offset %" PRId64 ")", s.pause_p,
          s.last_before_pause);
    poll_loop(&c, 1.0, 10 * NMSG, midpause_msg, &s, NULL, NULL);
    check(s.after_pause == 0, "no prefetched message of p%d delivered while paused (%d delivered)", s.pause_p,
          s.after_pause);
    s.state = 2;
    set_paused(&c, s.pause_p, 0);
    poll_loop(&c, 20, 10 * NMSG, midpause_msg, &s, midpause_all_done, &s);
    check(s.first_after_resume == s.last_before_pause + 1,
          "after resume p%d continues at last delivered + 1 (%" PRId64 ", want %" PRId64 ")", s.pause_p,
          s.first_after_resume, s.last_before_pause + 1);
    consumer_close(&c);
}

/* Two members in one group. */
typedef struct {
    int seen[NPART][NMSG];
    int dups;
    int per_consumer[2];
} two_t;

static consumer_t *two_c[2];

static int two_msg(consumer_t *c, const rd_kafka_message_t *m, void *arg) {
    two_t *s = arg;
    int p = m->partition;
    if (p < 0 || p >= NPART || m->offset < 0 || m->offset >= NMSG)
        return 0;
    if (s->seen[p][m->offset]++)
        s->dups++;
    c->next_offset[p] = m->offset + 1;
    s->per_consumer[c == two_c[0] ? 0 : 1]++;
    nanosleep(&(struct timespec){0, 3 * 1000 * 1000}, NULL);
    return 0;
}

static int two_total(two_t *s) {
    int n = 0;
    for (int p = 0; p < NPART; p++)
        for (int o = 0; o < part_total[p]; o++)
            n += s->seen[p][o] ? 1 : 0;
    return n;
}

static int count_assigned(consumer_t *c) {
    int n = 0;
    for (int p = 0; p < NPART; p++)
        n += c->assigned[p];
    return n;
}

static void phase_two_members(void) {
    static two_t s;
    memset(&s, 0, sizeof s);
    consumer_t c1, c2;
    char group[64];
    snprintf(group, sizeof group, "smoke-g-%s", run_id);
    /* Small fetches, and 3 ms of "work" per message (see two_msg), so the second
       member joins mid-stream and a real hand-over happens. */
    const char *slow[] = {"message.max.bytes", "1000", "fetch.max.bytes", "1024", "max.partition.fetch.bytes", "512",
                          NULL};
    double start = now_s();
    consumer_open(&c1, "member1", group, topic, slow);
    c1.commit_on_revoke = 1;
    two_c[0] = &c1;
    /* member1 alone for a moment, consuming a little, so a real rebalance must hand work over. */
    double deadline = now_s() + 15;
    int loops = 0;
    while (now_s() < deadline && loops++ < 100000 && (c1.assigns == 0 || s.per_consumer[0] < 50)) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(c1.rk, 100);
        if (m) {
            if (!m->err)
                two_msg(&c1, m, &s);
            rd_kafka_message_destroy(m);
        }
    }
    info("member1 alone: assigned %d partitions after %.0f ms, consumed %d", count_assigned(&c1),
         (c1.last_assign_t - start) * 1000, s.per_consumer[0]);
    double join_t = now_s();
    consumer_open(&c2, "member2", group, topic, slow);
    c2.commit_on_revoke = 1;
    two_c[1] = &c2;
    double split_t = -1;
    deadline = now_s() + 40;
    loops = 0;
    while (now_s() < deadline && loops++ < 400000 && two_total(&s) < NMSG) {
        for (int i = 0; i < 2; i++) {
            consumer_t *c = two_c[i];
            rd_kafka_message_t *m = rd_kafka_consumer_poll(c->rk, 50);
            if (m) {
                if (!m->err)
                    two_msg(c, m, &s);
                else
                    logf_("%s: consumer error: %s", c->name, rd_kafka_message_errstr(m));
                rd_kafka_message_destroy(m);
            }
        }
        if (split_t < 0 && count_assigned(&c1) > 0 && count_assigned(&c2) > 0)
            split_t = now_s();
    }
    info("member2 joined: both members assigned %.0f ms after member2 subscribed (member1 %d, member2 %d partitions)",
         split_t > 0 ? (split_t - join_t) * 1000 : -1.0, count_assigned(&c1), count_assigned(&c2));
    check(split_t > 0 && count_assigned(&c1) + count_assigned(&c2) == NPART,
          "two members split the %d partitions (%d + %d)", NPART, count_assigned(&c1), count_assigned(&c2));
    check(two_total(&s) == NMSG, "two members consumed all %d messages (%d; member1 %d, member2 %d)", NMSG,
          two_total(&s), s.per_consumer[0], s.per_consumer[1]);
    check(s.dups == 0, "commit on revoke: no message delivered twice across the rebalance (%d duplicates)", s.dups);
    /* member2 leaves: member1 must get every partition back. */
    commit_progress(&c2, NULL, "before leave");
    double leave_t = now_s();
    consumer_close(&c2);
    deadline = now_s() + 20;
    loops = 0;
    while (now_s() < deadline && loops++ < 200000 && count_assigned(&c1) < NPART) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(c1.rk, 100);
        if (m) {
            if (!m->err)
                two_msg(&c1, m, &s);
            rd_kafka_message_destroy(m);
        }
    }
    check(count_assigned(&c1) == NPART, "after member2 left, member1 owns all %d partitions (%.0f ms)", NPART,
          (now_s() - leave_t) * 1000);
    int extra = poll_loop(&c1, 1.0, NMSG, two_msg, &s, NULL, NULL);
    check(extra == 0 && s.dups == 0, "member1 got no redelivery after taking over (%d messages, %d dups)", extra,
          s.dups);
    info("member1: %d assigns, %d revokes; member2: %d assigns, %d revokes", c1.assigns, c1.revokes, c2.assigns,
         c2.revokes);
    consumer_close(&c1);
}

static void phase_info(rd_kafka_t *admin, rd_kafka_t *prod) {
    /* ListOffsets: watermarks vs. what was produced. */
    for (int p = 0; p < NPART; p++) {
        int64_t lo = -2, hi = -2;
        rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(admin, topic, p, &lo, &hi, 5000);
        info("query_watermark_offsets p%d: low=%" PRId64 " high=%" PRId64 " (%s); produced %d -> true high %d%s", p,
             lo, hi, rd_kafka_err2name(e), part_total[p], part_total[p], hi == part_total[p] ? "" : "  <-- WRONG");
    }
    /* auto.offset.reset=latest on a fresh group: what does it start from? */
    {
        consumer_t c;
        char group[64];
        snprintf(group, sizeof group, "smoke-l-%s", run_id);
        const char *latest[] = {"auto.offset.reset", "latest", NULL};
        consumer_open(&c, "consumerLatest", group, topic, latest);
        int before = poll_loop(&c, 4.0, 10 * NMSG, NULL, NULL, NULL, NULL);
        info("auto.offset.reset=latest, fresh group: %d old messages delivered in 4 s (Kafka would deliver 0)", before);
        consumer_close(&c);
    }
    /* Topic auto-creation on produce. */
    {
        char auto_topic[64];
        snprintf(auto_topic, sizeof auto_topic, "smoke-auto-%s", run_id);
        dr_count = dr_errors = 0;
        dr_t *saved = drs;
        drs = NULL;
        rd_kafka_resp_err_t e = produce_one(prod, auto_topic, RD_KAFKA_PARTITION_UA, "k", 1, "v", 1, NULL, -1);
        rd_kafka_flush(prod, 10000);
        int parts = topic_partitions(admin, auto_topic, 5);
        info("produce to unknown topic %s: enqueue=%s delivered=%d errors=%d -> auto-created with %d partitions",
             auto_topic, rd_kafka_err2name(e), dr_count, dr_errors, parts);
        drs = saved;
    }
    /* Idempotent producer (InitProducerId). */
    {
        const char *idem[] = {"enable.idempotence", "true", NULL};
        rd_kafka_t *ip = make_producer(idem);
        dr_count = dr_errors = 0;
        dr_t *saved = drs;
        drs = NULL;
        int enq = 0;
        for (int i = 0; i < 100; i++)
            if (!produce_one(ip, topic, RD_KAFKA_PARTITION_UA, "idem", 4, "x", 1, NULL, -1))
                enq++;
        rd_kafka_resp_err_t fe = rd_kafka_flush(ip, 15000);
        info("idempotent producer: enqueued %d, flush=%s, delivered=%d, errors=%d", enq, rd_kafka_err2name(fe),
             dr_count, dr_errors);
        drs = saved;
        rd_kafka_destroy(ip);
    }
}

/* Consume n messages of btopic with a fresh group; prints RESULT lines tagged with label. */
static void bench_consume(const char *btopic, long n, const char *label, const char *conf_list) {
    consumer_t c;
    char group[96];
    snprintf(group, sizeof group, "smoke-bench-%s-%s", label, run_id);
    /* conf_list: "key=value,key=value" */
    const char *extra[32] = {NULL};
    char confbuf[1024] = "";
    if (conf_list && *conf_list) {
        snprintf(confbuf, sizeof confbuf, "%s", conf_list);
        int ne = 0;
        for (char *save = NULL, *kv = strtok_r(confbuf, ",", &save); kv && ne < 30; kv = strtok_r(NULL, ",", &save)) {
            char *eq = strchr(kv, '=');
            if (!eq)
                die("bench settings: '%s' is not key=value", kv);
            *eq = 0;
            extra[ne++] = kv;
            extra[ne++] = eq + 1;
        }
    }
    double start = now_s();
    consumer_open(&c, "benchConsumer", group, btopic, extra);
    double first = -1, last = 0;
    long got = 0, errs = 0, bytes = 0;
    double deadline = start + 90;
    while (got < n && now_s() < deadline) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(c.rk, 100);
        if (!m)
            continue;
        if (m->err) {
            errs++;
        } else {
            if (first < 0)
                first = now_s();
            got++;
            bytes += (long)(m->len + m->key_len);
            last = now_s();
        }
        rd_kafka_message_destroy(m);
    }
    double dt = last - first;
    check(got == n, "bench (%s): consumed %ld/%ld (errors %ld)", label, got, n, errs);
    if (got > 1 && dt > 0) {
        double from_assign = c.assigns ? last - c.last_assign_t : -1;
        printf("RESULT raw_consume_rate[%s]=%.0f msgs/s (%ld msgs, %.2f MB value+key, %.2f s first to last message; "
               "%.0f msgs/s counting from the assignment; settings: %s)\n",
               label, got / dt, got, bytes / 1e6, dt, from_assign > 0 ? got / from_assign : 0,
               conf_list && *conf_list ? conf_list : "librdkafka defaults");
        fflush(stdout);
    }
    consumer_close(&c);
}

static void phase_bench(rd_kafka_t *admin, long n) {
    char btopic[64];
    snprintf(btopic, sizeof btopic, "smoke-bench-%s", run_id);
    rd_kafka_resp_err_t te;
    char es[256];
    if (!check(create_topic(admin, btopic, NPART, &te, es, sizeof es), "bench: CreateTopics %s (%s)", btopic, es))
        return;
    const char *pcfg[] = {"linger.ms", "20", "batch.num.messages", "10000", "queue.buffering.max.messages",
                          "1000000", NULL};
    rd_kafka_t *prod = make_producer(pcfg);
    dr_count = dr_errors = 0;
    drs = NULL;
    double t = now_s();
    long enq = 0;
    char key[16], val[16];
    for (long i = 0; i < n && now_s() - t < 60; i++) {
        int kl = snprintf(key, sizeof key, "k%ld", i % 1000);
        int vl = snprintf(val, sizeof val, "v%013ld", i);
        if (!produce_one(prod, btopic, (int32_t)(i % NPART), key, (size_t)kl, val, (size_t)vl, NULL, -1))
            enq++;
        if ((i & 1023) == 0)
            rd_kafka_poll(prod, 0);
    }
    rd_kafka_resp_err_t fe = rd_kafka_flush(prod, 60000);
    double pdt = now_s() - t;
    check(enq == n && fe == 0 && dr_count == n && dr_errors == 0,
          "bench: produced %ld/%ld messages (key ~4 B, value 14 B, no headers) in %.2f s", (long)dr_count - dr_errors,
          n, pdt);
    printf("RESULT raw_produce_rate=%.0f msgs/s (linger.ms=20, batch.num.messages=10000)\n",
           (dr_count - dr_errors) / pdt);
    rd_kafka_destroy(prod);

    /* librdkafka defaults: once queued.min.messages (100000) are buffered it backs off
       fetching for fetch.queue.backoff.ms (default 1000 ms), which caps the rate. */
    bench_consume(btopic, n, "defaults", NULL);
    const char *tuned = getenv("SMOKE_BENCH_CONF");
    bench_consume(btopic, n, "tuned", tuned && *tuned ? tuned : "fetch.queue.backoff.ms=10");
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    t0 = now_s();
    bootstrap = argc > 1 ? argv[1] : "127.0.0.1:19092";
    long bench_n = argc > 2 ? strtol(argv[2], NULL, 10) : 200000;
    snprintf(run_id, sizeof run_id, "%ld-%d", (long)time(NULL), (int)getpid());
    snprintf(topic, sizeof topic, "smoke-%s", run_id);

    int v = rd_kafka_version();
    info("librdkafka runtime %s (0x%08x), headers 0x%08x, bootstrap %s", rd_kafka_version_str(), v,
         RD_KAFKA_VERSION, bootstrap);
    if (!check(v >= 0x020200ff, "runtime librdkafka >= 2.2 (Debian's 2.0.2 cannot parse tansu's ApiVersions; "
                                "source scripts/kafka-env.sh)"))
        die("wrong librdkafka on LD_LIBRARY_PATH");

    rd_kafka_t *prod = make_producer(NULL);
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t e = rd_kafka_metadata(prod, 1, NULL, &md, 10000);
    if (!check(e == 0, "broker reachable, metadata: %s (%d brokers)", rd_kafka_err2str(e), md ? md->broker_cnt : 0))
        die("no broker at %s", bootstrap);
    for (int i = 0; i < md->broker_cnt; i++)
        info("broker id=%d %s:%d", md->brokers[i].id, md->brokers[i].host, md->brokers[i].port);
    rd_kafka_metadata_destroy(md);

    const char *only = getenv("SMOKE_ONLY"); /* e.g. SMOKE_ONLY=bench */
    if (!only || strcmp(only, "bench")) {
        printf("== phase 1: create topic\n");
        phase_create(prod);
        printf("== phase 2: produce\n");
        phase_produce(prod);
        printf("== phase 3: consumer group, commit\n");
        phase_group_first();
        printf("== phase 4: same group resumes from committed offsets; pause on assign\n");
        phase_group_resume();
        printf("== phase 5: mid-stream pause/resume\n");
        phase_midstream_pause();
        printf("== phase 6: two members, rebalance\n");
        phase_two_members();
        printf("== phase 7: broker behaviour (informational)\n");
        phase_info(prod, prod);
    }
    if (bench_n > 0) {
        printf("== phase 8: benchmark\n");
        phase_bench(prod, bench_n);
    }
    rd_kafka_destroy(prod);
    printf("%s smoke: %d passed, %d failed (%.1f s)\n", failures ? "FAIL" : "PASS", passes, failures, now_s() - t0);
    return failures ? 1 : 0;
}
