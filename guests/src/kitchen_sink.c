/*
 * kitchen_sink.c: a WASI reactor with a bit of everything, for exercising
 * module parsing, imports/exports, tables, data and calls from the host.
 *
 * Import:  env.log (ptr i32, len i32) -> ()   used only by log_message
 * Exports: functions below (WASMTON_EXPORT), "memory", "_initialize", and
 *          the global "ks_version" (address of the version string, exported
 *          with -Wl,--export=ks_version).
 *
 * Strings and arrays are passed as (pointer, length) into linear memory;
 * the host gets memory with alloc() and returns it with dealloc().
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wasmton.h"

WASMTON_IMPORT("env", "log")
void host_log(const char *ptr, int32_t len);

/* ---- static data ------------------------------------------------------ */

const char ks_version[] = "kitchen_sink 1.0";

static const char hex_digits[] = "0123456789abcdef";

static const uint16_t small_primes[] = {
    2,   3,   5,   7,   11,  13,  17,  19,  23,  29,  31,  37,  41,  43,
    47,  53,  59,  61,  67,  71,  73,  79,  83,  89,  97,  101, 103, 107,
    109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167, 173, 179, 181,
    191, 193, 197, 199, 211, 223, 227, 229, 233, 239, 241, 251,
};
#define SMALL_PRIME_COUNT ((int32_t)(sizeof small_primes / sizeof small_primes[0]))

static uint32_t call_count;   /* bss: bumped by every counted export */
static uint32_t crc_table[256]; /* bss: filled on first use */
static int crc_ready;

#define COUNT_CALL() (call_count++)

/* ---- memory ----------------------------------------------------------- */

WASMTON_EXPORT("alloc")
void *ks_alloc(int32_t size) {
    COUNT_CALL();
    return malloc(size > 0 ? (size_t)size : 1);
}

WASMTON_EXPORT("dealloc")
void ks_dealloc(void *ptr) {
    COUNT_CALL();
    free(ptr);
}

WASMTON_EXPORT("calls")
int32_t ks_calls(void) { return (int32_t)call_count; }

WASMTON_EXPORT("version")
const char *ks_get_version(void) { return ks_version; }

WASMTON_EXPORT("log_message")
void ks_log_message(const char *ptr, int32_t len) {
    COUNT_CALL();
    host_log(ptr, len);
}

/* ---- strings ---------------------------------------------------------- */

WASMTON_EXPORT("str_len")
int32_t ks_str_len(const char *s) {
    COUNT_CALL();
    return (int32_t)strlen(s);
}

WASMTON_EXPORT("str_reverse")
void ks_str_reverse(char *s, int32_t len) {
    COUNT_CALL();
    for (int32_t i = 0, j = len - 1; i < j; i++, j--) {
        char t = s[i];
        s[i] = s[j];
        s[j] = t;
    }
}

WASMTON_EXPORT("str_upper")
int32_t ks_str_upper(char *s, int32_t len) {
    int32_t changed = 0;
    COUNT_CALL();
    for (int32_t i = 0; i < len; i++)
        if (s[i] >= 'a' && s[i] <= 'z') {
            s[i] = (char)(s[i] - 'a' + 'A');
            changed++;
        }
    return changed;
}

WASMTON_EXPORT("str_find")
int32_t ks_str_find(const char *hay, int32_t hay_len, const char *needle,
                    int32_t needle_len) {
    COUNT_CALL();
    if (needle_len == 0)
        return 0;
    for (int32_t i = 0; i + needle_len <= hay_len; i++)
        if (memcmp(hay + i, needle, (size_t)needle_len) == 0)
            return i;
    return -1;
}

/* Writes the decimal form of value to buf (at least 12 bytes); returns length. */
WASMTON_EXPORT("fmt_i32")
int32_t ks_fmt_i32(int32_t value, char *buf) {
    char tmp[12];
    int32_t n = 0, len = 0;
    uint32_t v = value < 0 ? 0u - (uint32_t)value : (uint32_t)value;
    COUNT_CALL();
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    if (value < 0)
        buf[len++] = '-';
    while (n)
        buf[len++] = tmp[--n];
    return len;
}

/* Writes value as 8 lowercase hex digits to buf; returns 8. */
WASMTON_EXPORT("fmt_hex")
int32_t ks_fmt_hex(uint32_t value, char *buf) {
    COUNT_CALL();
    for (int i = 7; i >= 0; i--) {
        buf[i] = hex_digits[value & 15];
        value >>= 4;
    }
    return 8;
}

WASMTON_EXPORT("parse_i32")
int32_t ks_parse_i32(const char *s, int32_t len) {
    int32_t i = 0, sign = 1;
    uint32_t v = 0;
    COUNT_CALL();
    if (i < len && (s[i] == '-' || s[i] == '+'))
        sign = s[i++] == '-' ? -1 : 1;
    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
        v = v * 10 + (uint32_t)(s[i] - '0');
    return sign < 0 ? (int32_t)(0u - v) : (int32_t)v;
}

/* ---- a tiny JSON validator ---------------------------------------------- */

struct json {
    const char *p, *end;
    int32_t values;
    int depth;
};

#define JSON_MAX_DEPTH 64

static int json_value(struct json *j);

static void json_ws(struct json *j) {
    while (j->p < j->end &&
           (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

static int json_lit(struct json *j, const char *word) {
    size_t n = strlen(word);
    if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n) != 0)
        return 0;
    j->p += n;
    return 1;
}

static int json_string(struct json *j) {
    if (j->p >= j->end || *j->p != '"')
        return 0;
    for (j->p++; j->p < j->end; j->p++) {
        unsigned char c = (unsigned char)*j->p;
        if (c == '"') {
            j->p++;
            return 1;
        }
        if (c < 0x20)
            return 0;
        if (c == '\\') {
            if (++j->p >= j->end)
                return 0;
            if (*j->p == 'u') {
                for (int k = 0; k < 4; k++) {
                    if (++j->p >= j->end || !strchr(hex_digits, *j->p | 0x20))
                        return 0;
                }
            } else if (!strchr("\"\\/bfnrt", *j->p)) {
                return 0;
            }
        }
    }
    return 0;
}

static int json_digits(struct json *j) {
    const char *start = j->p;
    while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
        j->p++;
    return j->p > start;
}

static int json_number(struct json *j) {
    if (j->p < j->end && *j->p == '-')
        j->p++;
    if (j->p < j->end && *j->p == '0')
        j->p++;
    else if (!json_digits(j))
        return 0;
    if (j->p < j->end && *j->p == '.') {
        j->p++;
        if (!json_digits(j))
            return 0;
    }
    if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
        j->p++;
        if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
            j->p++;
        if (!json_digits(j))
            return 0;
    }
    return 1;
}

static int json_container(struct json *j, char close, int object) {
    if (++j->depth > JSON_MAX_DEPTH)
        return 0;
    j->p++;
    json_ws(j);
    if (j->p < j->end && *j->p == close) {
        j->p++;
        j->depth--;
        return 1;
    }
    for (;;) {
        if (object) {
            json_ws(j);
            if (!json_string(j))
                return 0;
            json_ws(j);
            if (j->p >= j->end || *j->p != ':')
                return 0;
            j->p++;
        }
        if (!json_value(j))
            return 0;
        json_ws(j);
        if (j->p >= j->end)
            return 0;
        if (*j->p == ',') {
            j->p++;
            continue;
        }
        if (*j->p != close)
            return 0;
        j->p++;
        j->depth--;
        return 1;
    }
}

static int json_value(struct json *j) {
    json_ws(j);
    if (j->p >= j->end)
        return 0;
    j->values++;
    switch (*j->p) {
    case '{': return json_container(j, '}', 1);
    case '[': return json_container(j, ']', 0);
    case '"': return json_string(j);
    case 't': return json_lit(j, "true");
    case 'f': return json_lit(j, "false");
    case 'n': return json_lit(j, "null");
    default:  return json_number(j);
    }
}

/* Returns the number of JSON values in the document, or -1 if it is invalid. */
WASMTON_EXPORT("json_check")
int32_t ks_json_check(const char *s, int32_t len) {
    struct json j = {s, s + len, 0, 0};
    COUNT_CALL();
    if (!json_value(&j))
        return -1;
    json_ws(&j);
    return j.p == j.end ? j.values : -1;
}

/* ---- math --------------------------------------------------------------- */

WASMTON_EXPORT("fib")
int64_t ks_fib(int32_t n) {
    int64_t a = 0, b = 1;
    COUNT_CALL();
    for (int32_t i = 0; i < n; i++) {
        int64_t t = a + b;
        a = b;
        b = t;
    }
    return a;
}

WASMTON_EXPORT("gcd")
int32_t ks_gcd(int32_t a, int32_t b) {
    COUNT_CALL();
    if (a < 0) a = -a;
    if (b < 0) b = -b;
    while (b) {
        int32_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

WASMTON_EXPORT("isqrt")
uint32_t ks_isqrt(uint32_t n) {
    uint32_t x = n, y = (x + 1) / 2;
    COUNT_CALL();
    if (n < 2)
        return n;
    while (y < x) {
        x = y;
        y = (x + n / x) / 2;
    }
    return x;
}

WASMTON_EXPORT("is_prime")
int32_t ks_is_prime(uint32_t n) {
    COUNT_CALL();
    if (n < 2)
        return 0;
    for (int32_t i = 0; i < SMALL_PRIME_COUNT; i++) {
        uint32_t p = small_primes[i];
        if (n == p)
            return 1;
        if (n % p == 0)
            return 0;
    }
    for (uint32_t d = 257; d <= n / d; d += 2)
        if (n % d == 0)
            return 0;
    return 1;
}

WASMTON_EXPORT("crc32")
uint32_t ks_crc32(const uint8_t *data, int32_t len) {
    uint32_t crc = 0xFFFFFFFFu;
    COUNT_CALL();
    if (!crc_ready) {
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++)
                c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            crc_table[i] = c;
        }
        crc_ready = 1;
    }
    for (int32_t i = 0; i < len; i++)
        crc = crc_table[(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
    return crc ^ 0xFFFFFFFFu;
}

WASMTON_EXPORT("sum_i64")
int64_t ks_sum_i64(const int64_t *values, int32_t count) {
    int64_t sum = 0;
    COUNT_CALL();
    for (int32_t i = 0; i < count; i++)
        sum += values[i];
    return sum;
}

WASMTON_EXPORT("hypot")
double ks_hypot(double x, double y) {
    COUNT_CALL();
    return sqrt(x * x + y * y);
}

WASMTON_EXPORT("mean_f64")
double ks_mean_f64(const double *values, int32_t count) {
    double sum = 0;
    COUNT_CALL();
    if (count <= 0)
        return 0;
    for (int32_t i = 0; i < count; i++)
        sum += values[i];
    return sum / count;
}

/* ---- function pointers (the module's function table) --------------------- */

typedef int32_t (*binop_fn)(int32_t, int32_t);

static int32_t op_add(int32_t a, int32_t b) { return (int32_t)((uint32_t)a + (uint32_t)b); }
static int32_t op_sub(int32_t a, int32_t b) { return (int32_t)((uint32_t)a - (uint32_t)b); }
static int32_t op_mul(int32_t a, int32_t b) { return (int32_t)((uint32_t)a * (uint32_t)b); }
static int32_t op_div(int32_t a, int32_t b) { return b == 0 || (a == INT32_MIN && b == -1) ? 0 : a / b; }
static int32_t op_rem(int32_t a, int32_t b) { return b == 0 || b == -1 ? 0 : a % b; }
static int32_t op_min(int32_t a, int32_t b) { return a < b ? a : b; }
static int32_t op_max(int32_t a, int32_t b) { return a > b ? a : b; }
static int32_t op_pow(int32_t a, int32_t b) {
    uint32_t r = 1, base = (uint32_t)a;
    for (uint32_t e = (uint32_t)b; e; e >>= 1, base *= base)
        if (e & 1)
            r *= base;
    return b < 0 ? 0 : (int32_t)r;
}

static const struct {
    const char *name;
    binop_fn fn;
} ops[] = {
    {"add", op_add}, {"sub", op_sub}, {"mul", op_mul}, {"div", op_div},
    {"rem", op_rem}, {"min", op_min}, {"max", op_max}, {"pow", op_pow},
};
#define OP_COUNT ((int32_t)(sizeof ops / sizeof ops[0]))

/* Calls ops[op](a, b) through the table; unknown op returns 0. */
WASMTON_EXPORT("apply")
int32_t ks_apply(int32_t op, int32_t a, int32_t b) {
    COUNT_CALL();
    if (op < 0 || op >= OP_COUNT)
        return 0;
    /* volatile keeps the call indirect at -O2 */
    binop_fn volatile fn = ops[op].fn;
    return fn(a, b);
}

WASMTON_EXPORT("op_count")
int32_t ks_op_count(void) { return OP_COUNT; }

/* Returns a pointer to the NUL-terminated name of op, or 0. */
WASMTON_EXPORT("op_name")
const char *ks_op_name(int32_t op) {
    return op >= 0 && op < OP_COUNT ? ops[op].name : NULL;
}

static int compare_i32(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

WASMTON_EXPORT("sort_i32")
void ks_sort_i32(int32_t *values, int32_t count) {
    COUNT_CALL();
    if (count > 1)
        qsort(values, (size_t)count, sizeof *values, compare_i32);
}
