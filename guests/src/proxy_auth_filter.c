/*
 * proxy_auth_filter.c: a bearer-token gate as a proxy-wasm 0.2.1 filter (C, on
 * proxy_wasm.h).
 *
 * Configuration (the plugin configuration, read in proxy_on_configure), either
 *   - plain text: the token itself; surrounding whitespace is ignored
 *     (e.g. "s3cret" or "s3cret\n"), or
 *   - a JSON object with a string member "token" (other members are ignored):
 *     {"token": "s3cret"}; JSON escapes in the string are decoded.
 * The first non-blank character decides: '{' means JSON. A configuration
 * without a token (empty, blank, "{}", malformed JSON, a token with a NUL or a
 * control character) makes proxy_on_configure return 0: the host must not run
 * the plugin (fail closed), and the filter logs why at error level.
 *
 * On the request headers:
 *   - "authorization: Bearer TOKEN" (the scheme in any case, one or more spaces,
 *     trailing blanks ignored, TOKEN compared in constant time) -> continue;
 *   - otherwise answer 401 locally (proxy_send_local_response) with
 *       www-authenticate: Bearer realm="wasmton"
 *       content-type: text/plain
 *     the body "401 Unauthorized: missing bearer token\n" (no authorization
 *     header, or another scheme) or "401 Unauthorized: invalid bearer token\n",
 *     the details "wasm_auth_missing_token" / "wasm_auth_invalid_token", a warn
 *     log line "auth: 401 METHOD PATH (missing|invalid token)", and PAUSE: the
 *     request goes no further up the chain.
 * If the host runs the filter although proxy_on_configure failed, every request
 * gets a local 500 "auth filter not configured" (details
 * "wasm_auth_not_configured"). The token is never logged.
 */
#define PROXY_WASM_IMPLEMENTATION
#include "proxy_wasm.h"

#include <stdlib.h>
#include <string.h>

static char *token;      /* the configured token, NUL-terminated */
static size_t token_len;

static int is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

static char lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c + 'a' - 'A') : c; }

/* ---- configuration --------------------------------------------------------- */

/* Decode the JSON string that starts at *p (on its opening quote) into a new
 * malloc'd buffer. Returns NULL on malformed input; advances *p past it. */
static char *json_string(const char **p, const char *end, size_t *out_len) {
    const char *s = *p;
    if (s >= end || *s != '"') return NULL;
    s++;
    /* Every output byte uses up at least one input byte (\uXXXX: 6 for <= 3). */
    char *out = malloc((size_t)(end - s) + 1);
    if (out == NULL) return NULL;
    size_t n = 0;
    while (s < end && *s != '"') {
        unsigned char c = (unsigned char)*s++;
        if (c < 0x20) goto bad; /* raw control characters are not allowed */
        if (c != '\\') {
            out[n++] = (char)c;
            continue;
        }
        if (s >= end) goto bad;
        char e = *s++;
        switch (e) {
        case '"': out[n++] = '"'; break;
        case '\\': out[n++] = '\\'; break;
        case '/': out[n++] = '/'; break;
        case 'b': out[n++] = '\b'; break;
        case 'f': out[n++] = '\f'; break;
        case 'n': out[n++] = '\n'; break;
        case 'r': out[n++] = '\r'; break;
        case 't': out[n++] = '\t'; break;
        case 'u': {
            if (end - s < 4) goto bad;
            unsigned v = 0;
            for (int i = 0; i < 4; i++) {
                char h = *s++;
                v <<= 4;
                if (h >= '0' && h <= '9') v |= (unsigned)(h - '0');
                else if (lower(h) >= 'a' && lower(h) <= 'f') v |= (unsigned)(lower(h) - 'a' + 10);
                else goto bad;
            }
            /* Basic Multilingual Plane only: surrogates are refused. */
            if (v >= 0xd800 && v <= 0xdfff) goto bad;
            if (v < 0x80) {
                out[n++] = (char)v;
            } else if (v < 0x800) {
                out[n++] = (char)(0xc0 | v >> 6);
                out[n++] = (char)(0x80 | (v & 0x3f));
            } else {
                out[n++] = (char)(0xe0 | v >> 12);
                out[n++] = (char)(0x80 | (v >> 6 & 0x3f));
                out[n++] = (char)(0x80 | (v & 0x3f));
            }
            break;
        }
        default: goto bad;
        }
    }
    if (s >= end) goto bad; /* no closing quote */
    *p = s + 1;
    out[n] = 0;
    *out_len = n;
    return out;
bad:
    free(out);
    return NULL;
}

/* Skip one JSON value (any type, nested) starting at *p. 0 if malformed. */
static int json_skip(const char **p, const char *end, int depth) {
    const char *s = *p;
    while (s < end && is_blank(*s)) s++;
    if (s >= end || depth > 64) return 0;
    if (*s == '"') {
        size_t n;
        char *str = json_string(&s, end, &n);
        if (str == NULL) return 0;
        free(str);
    } else if (*s == '{' || *s == '[') {
        char close = *s == '{' ? '}' : ']';
        s++;
        for (int first = 1;; first = 0) {
            while (s < end && is_blank(*s)) s++;
            if (s < end && *s == close) {
                s++;
                break;
            }
            if (!first) {
                if (s >= end || *s != ',') return 0;
                s++;
            }
            if (close == '}') {
                while (s < end && is_blank(*s)) s++;
                size_t n;
                char *key = json_string(&s, end, &n);
                if (key == NULL) return 0;
                free(key);
                while (s < end && is_blank(*s)) s++;
                if (s >= end || *s != ':') return 0;
                s++;
            }
            if (!json_skip(&s, end, depth + 1)) return 0;
        }
    } else {
        /* number, true, false, null: a run of their characters */
        const char *start = s;
        while (s < end && *s != 0 && strchr("+-.0123456789eEtruefalsn", *s) != NULL) s++;
        if (s == start) return 0;
    }
    *p = s;
    return 1;
}

/* The "token" member of a JSON object, or NULL. */
static char *json_token(const char *s, const char *end, size_t *len) {
    while (s < end && is_blank(*s)) s++;
    if (s >= end || *s != '{') return NULL;
    s++;
    char *found = NULL;
    for (int first = 1;; first = 0) {
        while (s < end && is_blank(*s)) s++;
        if (s < end && *s == '}') break;
        if (!first) {
            if (s >= end || *s != ',') goto bad;
            s++;
            while (s < end && is_blank(*s)) s++;
        }
        size_t key_len;
        char *key = json_string(&s, end, &key_len);
        if (key == NULL) goto bad;
        int is_token = key_len == 5 && memcmp(key, "token", 5) == 0;
        free(key);
        while (s < end && is_blank(*s)) s++;
        if (s >= end || *s != ':') goto bad;
        s++;
        while (s < end && is_blank(*s)) s++;
        if (is_token && s < end && *s == '"') {
            free(found); /* the last duplicate wins, as in most JSON readers */
            found = json_string(&s, end, len);
            if (found == NULL) goto bad;
        } else if (!json_skip(&s, end, 1)) {
            goto bad;
        }
    }
    s++; /* the closing brace */
    while (s < end && is_blank(*s)) s++;
    if (s != end) goto bad; /* something after the object */
    return found;
bad:
    free(found);
    return NULL;
}

static int on_configure(uint32_t root_context_id, size_t configuration_size) {
    (void)root_context_id;
    (void)configuration_size;
    char *config = NULL;
    size_t config_len = 0;
    proxy_wasm_status status = proxy_wasm_get_plugin_configuration(&config, &config_len);
    if (status != PROXY_WASM_OK && status != PROXY_WASM_NOT_FOUND) {
        proxy_wasm_log(PROXY_WASM_LOG_ERROR, "auth: cannot read the plugin configuration");
        return 0;
    }

    const char *start = config ? config : "";
    const char *end = start + config_len;
    while (start < end && is_blank(*start)) start++;
    while (end > start && is_blank(end[-1])) end--;

    char *new_token = NULL;
    size_t new_len = 0;
    if (start < end && *start == '{') {
        new_token = json_token(start, end, &new_len);
        if (new_token == NULL)
            proxy_wasm_log(PROXY_WASM_LOG_ERROR,
                           "auth: the JSON configuration has no string member \"token\"");
    } else if (start < end) {
        new_len = (size_t)(end - start);
        new_token = malloc(new_len + 1);
        if (new_token != NULL) {
            memcpy(new_token, start, new_len);
            new_token[new_len] = 0;
        }
    } else {
        proxy_wasm_log(PROXY_WASM_LOG_ERROR,
                       "auth: no token configured (plain text TOKEN or {\"token\": \"TOKEN\"})");
    }
    free(config);

    if (new_token != NULL) {
        /* A token goes in an HTTP header: no control characters, not empty. */
        int ok = new_len > 0;
        for (size_t i = 0; i < new_len; i++)
            if ((unsigned char)new_token[i] < 0x20 || new_token[i] == 0x7f) ok = 0;
        if (!ok) {
            proxy_wasm_log(PROXY_WASM_LOG_ERROR, "auth: the token is empty or has control characters");
            free(new_token);
            new_token = NULL;
        }
    }
    if (new_token == NULL) return 0;

    free(token);
    token = new_token;
    token_len = new_len;
    proxy_wasm_log(PROXY_WASM_LOG_INFO, "auth: configured a bearer token");
    return 1;
}

/* ---- requests ----------------------------------------------------------------- */

/* 1 if `value` starts with the Bearer scheme: "bearer" in any case, a space. */
static int is_bearer(const char *value, size_t len) {
    static const char scheme[] = "bearer";
    if (value == NULL || len < sizeof scheme) return 0;
    for (size_t i = 0; i < sizeof scheme - 1; i++)
        if (lower(value[i]) != scheme[i]) return 0;
    return value[sizeof scheme - 1] == ' ';
}

/* 1 if the credentials after "Bearer " are the configured token. */
static int token_matches(const char *value, size_t len) {
    size_t i = sizeof "bearer" - 1;
    while (i < len && value[i] == ' ') i++;
    while (len > i && (value[len - 1] == ' ' || value[len - 1] == '\t')) len--;
    const char *given = value + i;
    size_t given_len = len - i;
    /* Constant time in the configured token's length. */
    unsigned diff = given_len != token_len;
    for (size_t k = 0; k < token_len; k++)
        diff |= (unsigned char)token[k] ^ (unsigned char)(k < given_len ? given[k] : 0);
    return diff == 0;
}

static void append(char *buffer, size_t *n, size_t cap, const char *s) {
    size_t len = strlen(s);
    if (*n + len >= cap) len = cap - 1 - *n;
    memcpy(buffer + *n, s, len);
    *n += len;
    buffer[*n] = 0;
}

static proxy_wasm_action on_request_headers(uint32_t context_id, size_t num_headers,
                                            int end_of_stream) {
    (void)context_id;
    (void)num_headers;
    (void)end_of_stream;
    if (token == NULL) {
        /* proxy_on_configure failed and the host ran the filter anyway: fail closed. */
        static const char body[] = "500 auth filter not configured\n";
        proxy_wasm_log(PROXY_WASM_LOG_ERROR, "auth: 500, no token configured");
        proxy_wasm_send_local_response(500, "wasm_auth_not_configured", body, sizeof body - 1,
                                       NULL, 0);
        return PROXY_WASM_PAUSE;
    }

    size_t len = 0;
    char *value = proxy_wasm_get_header(PROXY_WASM_MAP_HTTP_REQUEST_HEADERS, "authorization", &len);
    int missing = !is_bearer(value, len); /* absent, or another scheme (Basic ...) */
    int ok = !missing && token_matches(value, len);
    free(value);
    if (ok) return PROXY_WASM_CONTINUE;

    char *method = proxy_wasm_get_header(PROXY_WASM_MAP_HTTP_REQUEST_HEADERS, ":method", NULL);
    char *path = proxy_wasm_get_header(PROXY_WASM_MAP_HTTP_REQUEST_HEADERS, ":path", NULL);
    char line[512];
    size_t n = 0;
    line[0] = 0;
    append(line, &n, sizeof line, "auth: 401 ");
    append(line, &n, sizeof line, method ? method : "-");
    append(line, &n, sizeof line, " ");
    append(line, &n, sizeof line, path ? path : "-");
    append(line, &n, sizeof line, missing ? " (missing token)" : " (invalid token)");
    proxy_wasm_log_bytes(PROXY_WASM_LOG_WARN, line, n);
    free(method);
    free(path);

    static const char missing_body[] = "401 Unauthorized: missing bearer token\n";
    static const char invalid_body[] = "401 Unauthorized: invalid bearer token\n";
    const proxy_wasm_header headers[] = {
        {"www-authenticate", 16, "Bearer realm=\"wasmton\"", 22},
        {"content-type", 12, "text/plain", 10},
    };
    proxy_wasm_send_local_response(
        401, missing ? "wasm_auth_missing_token" : "wasm_auth_invalid_token",
        missing ? missing_body : invalid_body,
        missing ? sizeof missing_body - 1 : sizeof invalid_body - 1, headers, 2);
    return PROXY_WASM_PAUSE;
}

const proxy_wasm_filter proxy_wasm_filter_callbacks = {
    .on_configure = on_configure,
    .on_request_headers = on_request_headers,
};
