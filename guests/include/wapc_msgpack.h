/*
 * wapc_msgpack.h: a minimal MessagePack reader and writer for waPC guests.
 *
 * waPC payloads are MessagePack by convention; the SDKs' code generators
 * encode an operation's arguments as a map (struct field name -> value) and
 * its result as a plain value. Everything here is static inline: include it
 * wherever it is needed, no implementation macro.
 *
 * Reading: a wapc_mp_reader walks a byte range. Every read checks the bytes it
 * needs against the end of the range, so hostile input cannot make it read out
 * of bounds. A read returns 1 and moves past the value, or returns 0 and leaves
 * the reader where it was (so another type can be tried). Strings and binaries
 * are returned as pointers into the payload: not copied, not NUL-terminated.
 *
 *   // payload: {"name": "foo"}
 *   wapc_mp_reader r = wapc_mp_reader_init(payload, len);
 *   const char *name; uint32_t name_len;
 *   if (wapc_mp_find_key(&r, "name") && wapc_mp_read_str(&r, &name, &name_len)) ...
 *
 * Writing: a wapc_mp_writer appends to a buffer that grows with realloc. Start
 * it empty (heap only) or on caller storage (e.g. a stack array; it moves to
 * the heap only if it outgrows it). A failed allocation sets `failed`, and
 * later writes do nothing: check `failed` once at the end.
 *
 *   uint8_t storage[64];
 *   wapc_mp_writer w = wapc_mp_writer_init(storage, sizeof storage);
 *   wapc_mp_write_map(&w, 1);
 *   wapc_mp_write_cstr(&w, "ok");
 *   wapc_mp_write_bool(&w, 1);
 *   if (!w.failed) wapc_response(w.data, w.len);
 *   wapc_mp_writer_free(&w);
 */
#ifndef WAPC_MSGPACK_H
#define WAPC_MSGPACK_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- reading -------------------------------------------------------------- */

typedef struct {
    const uint8_t *p;   /* next byte */
    const uint8_t *end; /* one past the last byte */
} wapc_mp_reader;

/* The kind of the next value, without consuming it. */
typedef enum {
    WAPC_MP_END,    /* no bytes left */
    WAPC_MP_NIL,
    WAPC_MP_BOOL,
    WAPC_MP_UINT,   /* non-negative integer (any width) */
    WAPC_MP_INT,    /* negative integer */
    WAPC_MP_FLOAT,
    WAPC_MP_STR,
    WAPC_MP_BIN,
    WAPC_MP_ARRAY,
    WAPC_MP_MAP,
    WAPC_MP_EXT,
    WAPC_MP_INVALID /* 0xc1, never used by MessagePack */
} wapc_mp_type;

static inline wapc_mp_reader wapc_mp_reader_init(const void *data, size_t len) {
    wapc_mp_reader r;
    r.p = (const uint8_t *)data;
    r.end = r.p + len;
    return r;
}

/* Bytes left. */
static inline size_t wapc_mp_remaining(const wapc_mp_reader *r) {
    return (size_t)(r->end - r->p);
}

/* Big-endian n-byte unsigned integer at p (n <= 8; caller checked bounds). */
static inline uint64_t wapc_mp__be(const uint8_t *p, size_t n) {
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) v = (v << 8) | p[i];
    return v;
}

static inline wapc_mp_type wapc_mp_peek(const wapc_mp_reader *r) {
    if (r->p >= r->end) return WAPC_MP_END;
    uint8_t b = *r->p;
    if (b <= 0x7f) return WAPC_MP_UINT;
    if (b <= 0x8f) return WAPC_MP_MAP;
    if (b <= 0x9f) return WAPC_MP_ARRAY;
    if (b <= 0xbf) return WAPC_MP_STR;
    if (b >= 0xe0) return WAPC_MP_INT;
    switch (b) {
    case 0xc0: return WAPC_MP_NIL;
    case 0xc2: case 0xc3: return WAPC_MP_BOOL;
    case 0xc4: case 0xc5: case 0xc6: return WAPC_MP_BIN;
    case 0xc7: case 0xc8: case 0xc9: case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8:
        return WAPC_MP_EXT;
    case 0xca: case 0xcb: return WAPC_MP_FLOAT;
    case 0xcc: case 0xcd: case 0xce: case 0xcf: return WAPC_MP_UINT;
    case 0xd0: case 0xd1: case 0xd2: case 0xd3:
        /* Signed encodings may hold non-negative values too. */
        if (wapc_mp_remaining(r) < 2) return WAPC_MP_INVALID;
        return (r->p[1] & 0x80) ? WAPC_MP_INT : WAPC_MP_UINT;
    case 0xd9: case 0xda: case 0xdb: return WAPC_MP_STR;
    case 0xdc: case 0xdd: return WAPC_MP_ARRAY;
    case 0xde: case 0xdf: return WAPC_MP_MAP;
    default: return WAPC_MP_INVALID;
    }
}

/* A header `tag_len` bytes long followed by a big-endian length field of
 * `len_size` bytes, then that many bytes of data: str, bin. */
static inline int wapc_mp__read_sized(wapc_mp_reader *r, size_t len_size,
                                      const uint8_t **data, uint32_t *len) {
    if (wapc_mp_remaining(r) < 1 + len_size) return 0;
    uint32_t n = (uint32_t)wapc_mp__be(r->p + 1, len_size);
    if (wapc_mp_remaining(r) - 1 - len_size < n) return 0;
    *data = r->p + 1 + len_size;
    *len = n;
    r->p += 1 + len_size + n;
    return 1;
}

/* A string (fixstr, str8, str16, str32). */
static inline int wapc_mp_read_str(wapc_mp_reader *r, const char **str, uint32_t *len) {
    if (r->p >= r->end) return 0;
    uint8_t b = *r->p;
    const uint8_t *data;
    uint32_t n;
    int ok;
    if (b >= 0xa0 && b <= 0xbf) {
        n = b & 0x1f;
        if (wapc_mp_remaining(r) - 1 < n) return 0;
        data = r->p + 1;
        r->p += 1 + n;
        ok = 1;
    } else if (b == 0xd9) ok = wapc_mp__read_sized(r, 1, &data, &n);
    else if (b == 0xda) ok = wapc_mp__read_sized(r, 2, &data, &n);
    else if (b == 0xdb) ok = wapc_mp__read_sized(r, 4, &data, &n);
    else return 0;
    if (!ok) return 0;
    *str = (const char *)data;
    *len = n;
    return 1;
}

/* A binary (bin8, bin16, bin32). */
static inline int wapc_mp_read_bin(wapc_mp_reader *r, const uint8_t **data, uint32_t *len) {
    if (r->p >= r->end) return 0;
    switch (*r->p) {
    case 0xc4: return wapc_mp__read_sized(r, 1, data, len);
    case 0xc5: return wapc_mp__read_sized(r, 2, data, len);
    case 0xc6: return wapc_mp__read_sized(r, 4, data, len);
    default: return 0;
    }
}

/* A string or a binary: the bytes either way (SDKs differ in which they use
 * for byte arrays). */
static inline int wapc_mp_read_bytes(wapc_mp_reader *r, const uint8_t **data, uint32_t *len) {
    const char *s;
    if (wapc_mp_read_str(r, &s, len)) {
        *data = (const uint8_t *)s;
        return 1;
    }
    return wapc_mp_read_bin(r, data, len);
}

/* A collection header: fix form in [lo, lo+15], or 16/32-bit forms. */
static inline int wapc_mp__read_count(wapc_mp_reader *r, uint8_t fix_lo, uint8_t tag16,
                                      uint32_t *count) {
    if (r->p >= r->end) return 0;
    uint8_t b = *r->p;
    if (b >= fix_lo && b <= fix_lo + 15) {
        *count = b & 0x0f;
        r->p += 1;
        return 1;
    }
    size_t size = b == tag16 ? 2 : b == tag16 + 1 ? 4 : 0;
    if (size == 0 || wapc_mp_remaining(r) < 1 + size) return 0;
    *count = (uint32_t)wapc_mp__be(r->p + 1, size);
    r->p += 1 + size;
    return 1;
}

/* A map header: *count key/value pairs follow. */
static inline int wapc_mp_read_map(wapc_mp_reader *r, uint32_t *count) {
    return wapc_mp__read_count(r, 0x80, 0xde, count);
}

/* An array header: *count values follow. */
static inline int wapc_mp_read_array(wapc_mp_reader *r, uint32_t *count) {
    return wapc_mp__read_count(r, 0x90, 0xdc, count);
}

/* Any integer as a raw 64-bit value plus its sign. */
static inline int wapc_mp__read_integer(wapc_mp_reader *r, uint64_t *bits, int *negative) {
    if (r->p >= r->end) return 0;
    uint8_t b = *r->p;
    if (b <= 0x7f) { *bits = b; *negative = 0; r->p += 1; return 1; }
    if (b >= 0xe0) { *bits = (uint64_t)(int64_t)(int8_t)b; *negative = 1; r->p += 1; return 1; }
    size_t size;
    int is_signed;
    switch (b) {
    case 0xcc: size = 1; is_signed = 0; break;
    case 0xcd: size = 2; is_signed = 0; break;
    case 0xce: size = 4; is_signed = 0; break;
    case 0xcf: size = 8; is_signed = 0; break;
    case 0xd0: size = 1; is_signed = 1; break;
    case 0xd1: size = 2; is_signed = 1; break;
    case 0xd2: size = 4; is_signed = 1; break;
    case 0xd3: size = 8; is_signed = 1; break;
    default: return 0;
    }
    if (wapc_mp_remaining(r) < 1 + size) return 0;
    uint64_t v = wapc_mp__be(r->p + 1, size);
    *negative = 0;
    if (is_signed && (r->p[1] & 0x80)) {
        if (size < 8) v |= ~(uint64_t)0 << (size * 8); /* sign-extend */
        *negative = 1;
    }
    *bits = v;
    r->p += 1 + size;
    return 1;
}

/* A non-negative integer of any encoding. Fails (without moving) on a
 * negative one. */
static inline int wapc_mp_read_uint(wapc_mp_reader *r, uint64_t *value) {
    wapc_mp_reader saved = *r;
    uint64_t bits;
    int negative;
    if (!wapc_mp__read_integer(r, &bits, &negative)) return 0;
    if (negative) { *r = saved; return 0; }
    *value = bits;
    return 1;
}

/* An integer of any encoding that fits int64_t (fails on uint64 > INT64_MAX). */
static inline int wapc_mp_read_int(wapc_mp_reader *r, int64_t *value) {
    wapc_mp_reader saved = *r;
    uint64_t bits;
    int negative;
    if (!wapc_mp__read_integer(r, &bits, &negative)) return 0;
    if (!negative && bits > (uint64_t)INT64_MAX) { *r = saved; return 0; }
    *value = (int64_t)bits;
    return 1;
}

static inline int wapc_mp_read_bool(wapc_mp_reader *r, int *value) {
    if (r->p >= r->end || (*r->p != 0xc2 && *r->p != 0xc3)) return 0;
    *value = *r->p == 0xc3;
    r->p += 1;
    return 1;
}

static inline int wapc_mp_read_nil(wapc_mp_reader *r) {
    if (r->p >= r->end || *r->p != 0xc0) return 0;
    r->p += 1;
    return 1;
}

/* Skip one complete value of any type, nested arrays and maps included.
 * Iterative (a counter of values still to skip), so deep nesting cannot
 * overflow the stack. */
static inline int wapc_mp_skip(wapc_mp_reader *r) {
    wapc_mp_reader saved = *r;
    uint64_t pending = 1;
    while (pending > 0) {
        /* Every value takes at least one byte. */
        if (pending > wapc_mp_remaining(r)) goto fail;
        pending--;
        uint8_t b = *r->p;
        uint32_t count;
        const uint8_t *data;
        uint32_t len;
        size_t size; /* fixed payload bytes after the tag byte */
        if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3) { r->p += 1; continue; }
        if ((b >= 0x80 && b <= 0x8f) || b == 0xde || b == 0xdf) {
            if (!wapc_mp_read_map(r, &count)) goto fail;
            pending += 2 * (uint64_t)count;
            continue;
        }
        if ((b >= 0x90 && b <= 0x9f) || b == 0xdc || b == 0xdd) {
            if (!wapc_mp_read_array(r, &count)) goto fail;
            pending += count;
            continue;
        }
        switch (b) {
        case 0xc4: case 0xd9: size = 1; goto sized;  /* bin8, str8 */
        case 0xc5: case 0xda: size = 2; goto sized;  /* bin16, str16 */
        case 0xc6: case 0xdb: size = 4; goto sized;  /* bin32, str32 */
        case 0xc7: size = 1; goto ext;               /* ext8 */
        case 0xc8: size = 2; goto ext;               /* ext16 */
        case 0xc9: size = 4; goto ext;               /* ext32 */
        case 0xcc: case 0xd0: size = 1; goto fixed;
        case 0xcd: case 0xd1: size = 2; goto fixed;
        case 0xca: case 0xce: case 0xd2: size = 4; goto fixed;
        case 0xcb: case 0xcf: case 0xd3: size = 8; goto fixed;
        case 0xd4: size = 2; goto fixed;             /* fixext1: type + 1 */
        case 0xd5: size = 3; goto fixed;
        case 0xd6: size = 5; goto fixed;
        case 0xd7: size = 9; goto fixed;
        case 0xd8: size = 17; goto fixed;
        default: break;
        }
        if (b >= 0xa0 && b <= 0xbf) {
            const char *s;
            if (!wapc_mp_read_str(r, &s, &len)) goto fail;
            continue;
        }
        goto fail; /* 0xc1 */
    sized:
        if (!wapc_mp__read_sized(r, size, &data, &len)) goto fail;
        continue;
    ext: /* tag, length, type byte, data */
        if (wapc_mp_remaining(r) < 2 + size) goto fail;
        len = (uint32_t)wapc_mp__be(r->p + 1, size);
        if (wapc_mp_remaining(r) - 2 - size < len) goto fail;
        r->p += 2 + size + len;
        continue;
    fixed:
        if (wapc_mp_remaining(r) < 1 + size) goto fail;
        r->p += 1 + size;
        continue;
    }
    return 1;
fail:
    *r = saved;
    return 0;
}

/* The reader is at a map: find the entry whose key is the string `key` and
 * leave the reader at its value (returns 1). Keys of other types are
 * skipped. Returns 0, the reader unmoved, if the next value is not a map,
 * the key is absent, or the map is malformed. */
static inline int wapc_mp_find_key_n(wapc_mp_reader *r, const char *key, size_t key_len) {
    wapc_mp_reader saved = *r;
    uint32_t count;
    if (!wapc_mp_read_map(r, &count)) return 0;
    for (uint32_t i = 0; i < count; i++) {
        const char *k;
        uint32_t k_len;
        if (wapc_mp_read_str(r, &k, &k_len)) {
            if (k_len == key_len && memcmp(k, key, key_len) == 0) return 1;
        } else if (!wapc_mp_skip(r)) {
            break;
        }
        if (!wapc_mp_skip(r)) break; /* the value */
    }
    *r = saved;
    return 0;
}

static inline int wapc_mp_find_key(wapc_mp_reader *r, const char *key) {
    return wapc_mp_find_key_n(r, key, strlen(key));
}

/* ---- writing -------------------------------------------------------------- */

typedef struct {
    uint8_t *data;  /* the encoded bytes so far */
    size_t len;
    size_t cap;
    int owned;      /* data was malloc'd by the writer */
    int failed;     /* an allocation failed; data holds a truncated encoding */
} wapc_mp_writer;

/* A writer starting on `storage` (may be NULL with cap 0: heap only). */
static inline wapc_mp_writer wapc_mp_writer_init(void *storage, size_t cap) {
    wapc_mp_writer w;
    w.data = (uint8_t *)storage;
    w.len = 0;
    w.cap = storage != NULL ? cap : 0;
    w.owned = 0;
    w.failed = 0;
    return w;
}

/* Release the heap buffer, if the writer made one. */
static inline void wapc_mp_writer_free(wapc_mp_writer *w) {
    if (w->owned) free(w->data);
    w->data = NULL;
    w->len = w->cap = 0;
    w->owned = 0;
}

/* Make room for n more bytes; 0 (and `failed`) if that is impossible. */
static inline int wapc_mp__reserve(wapc_mp_writer *w, size_t n) {
    if (w->failed) return 0;
    if (w->cap - w->len >= n) return 1;
    size_t need = w->len + n;
    if (need < w->len) { w->failed = 1; return 0; }
    size_t cap = w->cap < 64 ? 64 : w->cap;
    while (cap < need) {
        if (cap > SIZE_MAX / 2) { cap = need; break; }
        cap *= 2;
    }
    uint8_t *data;
    if (w->owned) {
        data = (uint8_t *)realloc(w->data, cap);
    } else {
        data = (uint8_t *)malloc(cap);
        if (data != NULL && w->len > 0) memcpy(data, w->data, w->len);
    }
    if (data == NULL) { w->failed = 1; return 0; }
    w->data = data;
    w->cap = cap;
    w->owned = 1;
    return 1;
}

/* Append raw bytes (an already encoded value). */
static inline void wapc_mp_write_raw(wapc_mp_writer *w, const void *bytes, size_t n) {
    if (!wapc_mp__reserve(w, n)) return;
    if (n > 0) memcpy(w->data + w->len, bytes, n);
    w->len += n;
}

/* A tag byte followed by a big-endian value of `size` bytes. */
static inline void wapc_mp__write_tagged(wapc_mp_writer *w, uint8_t tag, uint64_t v, size_t size) {
    if (!wapc_mp__reserve(w, 1 + size)) return;
    w->data[w->len++] = tag;
    for (size_t i = size; i > 0; i--) w->data[w->len++] = (uint8_t)(v >> ((i - 1) * 8));
}

static inline void wapc_mp_write_nil(wapc_mp_writer *w) { wapc_mp__write_tagged(w, 0xc0, 0, 0); }

static inline void wapc_mp_write_bool(wapc_mp_writer *w, int value) {
    wapc_mp__write_tagged(w, value ? 0xc3 : 0xc2, 0, 0);
}

/* The shortest encoding of a non-negative integer. */
static inline void wapc_mp_write_uint(wapc_mp_writer *w, uint64_t v) {
    if (v <= 0x7f) wapc_mp__write_tagged(w, (uint8_t)v, 0, 0);
    else if (v <= 0xff) wapc_mp__write_tagged(w, 0xcc, v, 1);
    else if (v <= 0xffff) wapc_mp__write_tagged(w, 0xcd, v, 2);
    else if (v <= 0xffffffffu) wapc_mp__write_tagged(w, 0xce, v, 4);
    else wapc_mp__write_tagged(w, 0xcf, v, 8);
}

/* The shortest encoding of an integer (non-negative ones as uint). */
static inline void wapc_mp_write_int(wapc_mp_writer *w, int64_t v) {
    if (v >= 0) wapc_mp_write_uint(w, (uint64_t)v);
    else if (v >= -32) wapc_mp__write_tagged(w, (uint8_t)(int8_t)v, 0, 0);
    else if (v >= INT8_MIN) wapc_mp__write_tagged(w, 0xd0, (uint64_t)v, 1);
    else if (v >= INT16_MIN) wapc_mp__write_tagged(w, 0xd1, (uint64_t)v, 2);
    else if (v >= INT32_MIN) wapc_mp__write_tagged(w, 0xd2, (uint64_t)v, 4);
    else wapc_mp__write_tagged(w, 0xd3, (uint64_t)v, 8);
}

/* The header of a string of `len` bytes; append the bytes with
 * wapc_mp_write_raw (handy for building a string from pieces). */
static inline void wapc_mp_write_str_header(wapc_mp_writer *w, size_t len) {
    if (len <= 31) wapc_mp__write_tagged(w, (uint8_t)(0xa0 | len), 0, 0);
    else if (len <= 0xff) wapc_mp__write_tagged(w, 0xd9, len, 1);
    else if (len <= 0xffff) wapc_mp__write_tagged(w, 0xda, len, 2);
    else if ((uint64_t)len <= 0xffffffffu) wapc_mp__write_tagged(w, 0xdb, len, 4);
    else w->failed = 1;
}

/* A string of `len` bytes (UTF-8 by convention). */
static inline void wapc_mp_write_str(wapc_mp_writer *w, const char *s, size_t len) {
    wapc_mp_write_str_header(w, len);
    wapc_mp_write_raw(w, s, len);
}

static inline void wapc_mp_write_cstr(wapc_mp_writer *w, const char *s) {
    wapc_mp_write_str(w, s, strlen(s));
}

/* The header of a binary of `len` bytes; append them with wapc_mp_write_raw. */
static inline void wapc_mp_write_bin_header(wapc_mp_writer *w, size_t len) {
    if (len <= 0xff) wapc_mp__write_tagged(w, 0xc4, len, 1);
    else if (len <= 0xffff) wapc_mp__write_tagged(w, 0xc5, len, 2);
    else if ((uint64_t)len <= 0xffffffffu) wapc_mp__write_tagged(w, 0xc6, len, 4);
    else w->failed = 1;
}

static inline void wapc_mp_write_bin(wapc_mp_writer *w, const void *data, size_t len) {
    wapc_mp_write_bin_header(w, len);
    wapc_mp_write_raw(w, data, len);
}

/* A map header: write `count` keys and values after it. */
static inline void wapc_mp_write_map(wapc_mp_writer *w, uint32_t count) {
    if (count <= 15) wapc_mp__write_tagged(w, (uint8_t)(0x80 | count), 0, 0);
    else if (count <= 0xffff) wapc_mp__write_tagged(w, 0xde, count, 2);
    else wapc_mp__write_tagged(w, 0xdf, count, 4);
}

/* An array header: write `count` values after it. */
static inline void wapc_mp_write_array(wapc_mp_writer *w, uint32_t count) {
    if (count <= 15) wapc_mp__write_tagged(w, (uint8_t)(0x90 | count), 0, 0);
    else if (count <= 0xffff) wapc_mp__write_tagged(w, 0xdc, count, 2);
    else wapc_mp__write_tagged(w, 0xdd, count, 4);
}

#ifdef __cplusplus
}
#endif

#endif /* WAPC_MSGPACK_H */
