/*
 * cuckoo_filter.c: the book's cuckoo filter service (chapter 5, `cuckoo_wapc`)
 * as a waPC guest in C.
 *
 * Operations (MessagePack in and out, like the book's generated Rust code):
 *   check_word_exists  {"name": "<word>"} -> "true" | "false"
 *                      whether the word is (probably) in the filter
 *   add_word           {"name": "<word>"} -> "true" | "false"
 *                      "true" if the word was added, "false" if it was
 *                      already (probably) there; guest error
 *                      "507 the cuckoo filter is full" when it cannot be
 * The result is a MessagePack string, as in the book's schema
 * (check_word_exists(name: string): string). A payload that is not a map with
 * a string "name" is a guest error. The filter starts with the book's words:
 * foo, bar, xylophone, milagro.
 *
 * The filter (Fan et al., "Cuckoo Filter: Practically Better Than Bloom"): a
 * table of buckets of 4 slots, each slot holding a 16-bit fingerprint of an
 * item (0 = empty). An item may live in one of two buckets:
 *     i1 = hash(item) mod buckets
 *     i2 = i1 XOR (hash(fingerprint) mod buckets)
 * (partial-key cuckoo hashing: the other bucket of any stored fingerprint can
 * be computed from where it is and the fingerprint alone, so entries can move
 * without the original item). Insertion puts the fingerprint in a free slot of
 * either bucket; if both are full it evicts a random resident, moves it to its
 * other bucket, and repeats up to MAX_KICKS times. If the last evicted
 * fingerprint finds no home it is kept in a one-entry "victim" stash and the
 * filter reports full from then on, so no inserted item is ever lost (no false
 * negatives). Lookups check both buckets and the victim. False positives: about
 * 2 * 4 / 65536 = 0.012% with 16-bit fingerprints.
 */
#define WAPC_GUEST_IMPLEMENTATION
#include "wapc.h"
#include "wapc_msgpack.h"

#include <stdint.h>
#include <string.h>

/* ---- the filter ------------------------------------------------------------ */

#define BUCKET_SIZE 4
#define BUCKET_COUNT 4096 /* a power of two: 16384 slots, 32 KiB */
#define MAX_KICKS 500

typedef uint16_t fingerprint;

static fingerprint buckets[BUCKET_COUNT][BUCKET_SIZE];
static struct {
    int used;
    uint32_t index;
    fingerprint fp;
} victim;
static uint32_t kick_state = 0x9e3779b9u; /* xorshift32: which slot to evict */

/* 64-bit FNV-1a, then a strong finaliser (splitmix64) so every bit mixes. */
static uint64_t mix64(uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

static uint64_t hash_bytes(const void *data, size_t len) {
    const uint8_t *p = data;
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return mix64(h);
}

/* Where an item goes: its fingerprint (never 0) and its first bucket. */
static void locate(const void *item, size_t len, fingerprint *fp, uint32_t *i1) {
    uint64_t h = hash_bytes(item, len);
    *i1 = (uint32_t)h & (BUCKET_COUNT - 1);
    *fp = (fingerprint)(h >> 48);
    if (*fp == 0) *fp = 1;
}

/* The other bucket of fingerprint fp stored in bucket i (an involution). */
static uint32_t alt_index(uint32_t i, fingerprint fp) {
    return (i ^ (uint32_t)mix64(fp)) & (BUCKET_COUNT - 1);
}

static int bucket_has(uint32_t i, fingerprint fp) {
    for (int s = 0; s < BUCKET_SIZE; s++)
        if (buckets[i][s] == fp) return 1;
    return 0;
}

static int bucket_put(uint32_t i, fingerprint fp) {
    for (int s = 0; s < BUCKET_SIZE; s++) {
        if (buckets[i][s] == 0) {
            buckets[i][s] = fp;
            return 1;
        }
    }
    return 0;
}

static uint32_t next_random(void) {
    kick_state ^= kick_state << 13;
    kick_state ^= kick_state >> 17;
    kick_state ^= kick_state << 5;
    return kick_state;
}

static int filter_contains(const void *item, size_t len) {
    fingerprint fp;
    uint32_t i1;
    locate(item, len, &fp, &i1);
    uint32_t i2 = alt_index(i1, fp);
    if (bucket_has(i1, fp) || bucket_has(i2, fp)) return 1;
    return victim.used && victim.fp == fp && (victim.index == i1 || victim.index == i2);
}

/* Insert unconditionally; 0 if the filter is full. */
static int filter_add(const void *item, size_t len) {
    if (victim.used) return 0;
    fingerprint fp;
    uint32_t i;
    locate(item, len, &fp, &i);
    if (bucket_put(i, fp)) return 1;
    i = alt_index(i, fp);
    if (bucket_put(i, fp)) return 1;
    for (int kick = 0; kick < MAX_KICKS; kick++) {
        int s = (int)(next_random() % BUCKET_SIZE);
        fingerprint evicted = buckets[i][s];
        buckets[i][s] = fp;
        fp = evicted;
        i = alt_index(i, fp);
        if (bucket_put(i, fp)) return 1;
    }
    victim.used = 1;
    victim.index = i;
    victim.fp = fp;
    return 1; /* the item itself is in the table; the victim keeps the last one */
}

/* The book's test_and_add: add unless (probably) present.
 * 1 added, 0 already there, -1 the filter is full. */
static int filter_test_and_add(const void *item, size_t len) {
    if (filter_contains(item, len)) return 0;
    return filter_add(item, len) ? 1 : -1;
}

/* ---- waPC operations ------------------------------------------------------- */

/* The word from a {"name": "<word>"} payload; 0 if it is not there. */
static int read_name(const uint8_t *payload, size_t len, const char **name, uint32_t *name_len) {
    wapc_mp_reader r = wapc_mp_reader_init(payload, len);
    return wapc_mp_find_key(&r, "name") && wapc_mp_read_str(&r, name, name_len);
}

static const char bad_payload[] =
    "expected a MessagePack map with a string \"name\", e.g. {\"name\": \"foo\"}";

/* Respond with the MessagePack string "true" or "false". */
static int respond_bool_string(int value) {
    static const uint8_t yes[] = {0xa4, 't', 'r', 'u', 'e'};
    static const uint8_t no[] = {0xa5, 'f', 'a', 'l', 's', 'e'};
    return value ? wapc_response(yes, sizeof yes) : wapc_response(no, sizeof no);
}

static int check_word_exists(const uint8_t *payload, size_t len) {
    const char *name;
    uint32_t name_len;
    if (!read_name(payload, len, &name, &name_len)) return wapc_error(bad_payload);
    return respond_bool_string(filter_contains(name, name_len));
}

static int add_word(const uint8_t *payload, size_t len) {
    const char *name;
    uint32_t name_len;
    if (!read_name(payload, len, &name, &name_len)) return wapc_error(bad_payload);
    int added = filter_test_and_add(name, name_len);
    if (added < 0) return wapc_error("507 the cuckoo filter is full");
    return respond_bool_string(added);
}

void wapc_init(void) {
    static const char *const words[] = {"foo", "bar", "xylophone", "milagro"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        (void)filter_test_and_add(words[i], strlen(words[i]));
    wapc_register_function("check_word_exists", check_word_exists);
    wapc_register_function("add_word", add_word);
}
