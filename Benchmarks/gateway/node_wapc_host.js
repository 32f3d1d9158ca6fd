#!/usr/bin/env node
// Benchmarks/gateway/node_wapc_host.js — a minimal waPC host in Node.js, the baseline of
// Benchmarks/gateway.sh.
//
//   node node_wapc_host.js MODULE.wasm OPERATION PORT [HOST]
//
// The book's `node_cuckoo_http/cuckoo.js` (chapter 6) serves a waPC module over HTTP with the
// npm packages @wapc/host and @msgpack/msgpack. There is no npm registry here, so this file does
// the same with Node's built-ins only: `WebAssembly` runs the guest, `node:wasi` (preview1)
// provides the WASI imports of reactors built with wasi-libc, and a small MessagePack codec
// below converts JSON to payloads and results back. It answers
//
//   GET  /?key=<urlencoded JSON>   the book's form: OPERATION of MODULE; a string result as
//                                  text/plain (`true`), anything else as JSON
//   POST /v1/<module>/<operation>  a JSON body (converted to MessagePack) or an
//                                  application/msgpack body; the result as JSON, as
//                                  `wasmton serve` answers it (so both hosts do the same work)
//   GET  /healthz, /readyz         "ok" / "ready" (the benchmark waits for /readyz)
//
// where <module> is MODULE's file name without extension. One instance of the guest, called
// synchronously on Node's one JavaScript thread: requests are served one at a time (that is
// Node's model; the book's host is the same). A trapped instance is replaced by a new one. No
// per-request logging (the book's host logs every request; the benchmark would measure the
// console). Guest `__console_log` lines go to stderr. JSON numbers go through JSON.parse, so
// integers beyond 2^53 lose precision (wasmton keeps all 64 bits); nothing here sends such.
"use strict";

// node:wasi prints an ExperimentalWarning on first use; keep every other warning.
process.removeAllListeners("warning");
process.on("warning", (warning) => {
    if (warning.name !== "ExperimentalWarning") console.error(`${warning.name}: ${warning.message}`);
});

const fs = require("node:fs");
const http = require("node:http");
const path = require("node:path");
const { WASI } = require("node:wasi");

const [wasmFile, defaultOperation, portText, host = "127.0.0.1"] = process.argv.slice(2);
if (!wasmFile || !defaultOperation || !/^[0-9]+$/.test(portText || "")) {
    console.error("usage: node node_wapc_host.js MODULE.wasm OPERATION PORT [HOST]");
    process.exit(2);
}
const moduleName = path.basename(wasmFile).replace(/\.[^.]*$/, "");
const maxBodyBytes = 1 << 20; // as wasmton serve's --max-body-size default (1M)

// ---- MessagePack (the subset of values JSON can express, plus bin) ----------------------------

class Encoder {
    constructor() {
        this.buffer = Buffer.allocUnsafe(256);
        this.length = 0;
    }
    ensure(n) {
        if (this.length + n <= this.buffer.length) return;
        const bigger = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + n));
        this.buffer.copy(bigger, 0, 0, this.length);
        this.buffer = bigger;
    }
    byte(b) {
        this.ensure(1);
        this.buffer[this.length++] = b;
    }
    bytes(data) {
        this.ensure(data.length);
        this.buffer.set(data, this.length);
        this.length += data.length;
    }
    head(b, n, size) { // a type byte followed by an unsigned big-endian length/value of `size` bytes
        this.ensure(1 + size);
        this.buffer[this.length++] = b;
        if (size === 1) this.buffer.writeUInt8(n, this.length);
        else if (size === 2) this.buffer.writeUInt16BE(n, this.length);
        else if (size === 4) this.buffer.writeUInt32BE(n, this.length);
        else this.buffer.writeBigUInt64BE(BigInt(n), this.length);
        this.length += size;
    }
    sized(n, fix, fixMax, b8, b16, b32) { // str/bin/array/map headers
        if (fix !== null && n <= fixMax) this.byte(fix | n);
        else if (b8 !== null && n < 0x100) this.head(b8, n, 1);
        else if (n < 0x10000) this.head(b16, n, 2);
        else this.head(b32, n, 4);
    }
    value(v) {
        if (v === null || v === undefined) return this.byte(0xc0);
        if (v === false) return this.byte(0xc2);
        if (v === true) return this.byte(0xc3);
        if (typeof v === "number") return Number.isSafeInteger(v) && !Object.is(v, -0) ? this.integer(v) : this.double(v);
        if (typeof v === "bigint") return this.integer(v);
        if (typeof v === "string") {
            const utf8 = Buffer.from(v, "utf8");
            this.sized(utf8.length, 0xa0, 31, 0xd9, 0xda, 0xdb);
            return this.bytes(utf8);
        }
        if (v instanceof Uint8Array) {
            this.sized(v.length, null, 0, 0xc4, 0xc5, 0xc6);
            return this.bytes(v);
        }
        if (Array.isArray(v)) {
            this.sized(v.length, 0x90, 15, null, 0xdc, 0xdd);
            for (const item of v) this.value(item);
            return;
        }
        if (typeof v === "object") {
            const keys = Object.keys(v);
            if (keys.length === 1 && keys[0] === "$bin" && typeof v.$bin === "string") { // wasmton's JSON tag
                return this.value(Buffer.from(v.$bin, "base64"));
            }
            this.sized(keys.length, 0x80, 15, null, 0xde, 0xdf);
            for (const key of keys) {
                this.value(key);
                this.value(v[key]);
            }
            return;
        }
        throw new TypeError(`cannot encode a ${typeof v} as MessagePack`);
    }
    integer(n) { // the smallest form, as wasmton's encoder
        if (n >= 0) {
            if (n < 0x80) this.byte(Number(n));
            else if (n < 0x100) this.head(0xcc, Number(n), 1);
            else if (n < 0x10000) this.head(0xcd, Number(n), 2);
            else if (n < 0x100000000) this.head(0xce, Number(n), 4);
            else this.head(0xcf, n, 8);
            return;
        }
        if (n >= -32) return this.byte(Number(n) & 0xff);
        this.ensure(9);
        if (n >= -0x80) { this.buffer[this.length++] = 0xd0; this.buffer.writeInt8(Number(n), this.length); this.length += 1; }
        else if (n >= -0x8000) { this.buffer[this.length++] = 0xd1; this.buffer.writeInt16BE(Number(n), this.length); this.length += 2; }
        else if (n >= -0x80000000) { this.buffer[this.length++] = 0xd2; this.buffer.writeInt32BE(Number(n), this.length); this.length += 4; }
        else { this.buffer[this.length++] = 0xd3; this.buffer.writeBigInt64BE(BigInt(n), this.length); this.length += 8; }
    }
    double(x) {
        this.ensure(9);
        this.buffer[this.length++] = 0xcb;
        this.buffer.writeDoubleBE(x, this.length);
        this.length += 8;
    }
}

function encode(value) {
    const e = new Encoder();
    e.value(value);
    return e.buffer.subarray(0, e.length);
}

class MessagePackError extends Error {}

// Decodes one value that must fill `bytes` exactly. Maps become objects (keys as strings), bin
// becomes a Buffer, 64-bit integers beyond 2^53 become BigInts, ext becomes {$ext: {type, data}}.
function decode(bytes) {
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    let at = 0;
    const need = (n) => {
        if (at + n > buf.length) throw new MessagePackError("truncated MessagePack");
    };
    const u8 = () => { need(1); return buf[at++]; };
    const slice = (n) => { need(n); const s = buf.subarray(at, at + n); at += n; return s; };
    const num = (reader, n) => { need(n); const v = reader.call(buf, at); at += n; return v; };
    const big = (v) => (v >= Number.MIN_SAFE_INTEGER && v <= Number.MAX_SAFE_INTEGER ? Number(v) : v);
    const str = (n) => slice(n).toString("utf8");
    const array = (n) => { const out = new Array(n); for (let i = 0; i < n; i++) out[i] = value(0); return out; };
    const map = (n) => {
        const out = {};
        for (let i = 0; i < n; i++) {
            const key = value(0);
            out[typeof key === "string" ? key : JSON.stringify(jsonable(key))] = value(0);
        }
        return out;
    };
    const ext = (n) => { const type = num(buf.readInt8, 1); return { $ext: { type, data: slice(n).toString("base64") } }; };
    let depth = 0;
    function value() {
        if (++depth > 512) throw new MessagePackError("MessagePack nested too deeply");
        try {
            const b = u8();
            if (b < 0x80) return b;
            if (b >= 0xe0) return b - 0x100;
            if ((b & 0xf0) === 0x80) return map(b & 0x0f);
            if ((b & 0xf0) === 0x90) return array(b & 0x0f);
            if ((b & 0xe0) === 0xa0) return str(b & 0x1f);
            switch (b) {
                case 0xc0: return null;
                case 0xc2: return false;
                case 0xc3: return true;
                case 0xc4: return Buffer.from(slice(num(buf.readUInt8, 1)));
                case 0xc5: return Buffer.from(slice(num(buf.readUInt16BE, 2)));
                case 0xc6: return Buffer.from(slice(num(buf.readUInt32BE, 4)));
                case 0xc7: return ext(num(buf.readUInt8, 1));
                case 0xc8: return ext(num(buf.readUInt16BE, 2));
                case 0xc9: return ext(num(buf.readUInt32BE, 4));
                case 0xca: return num(buf.readFloatBE, 4);
                case 0xcb: return num(buf.readDoubleBE, 8);
                case 0xcc: return num(buf.readUInt8, 1);
                case 0xcd: return num(buf.readUInt16BE, 2);
                case 0xce: return num(buf.readUInt32BE, 4);
                case 0xcf: return big(num(buf.readBigUInt64BE, 8));
                case 0xd0: return num(buf.readInt8, 1);
                case 0xd1: return num(buf.readInt16BE, 2);
                case 0xd2: return num(buf.readInt32BE, 4);
                case 0xd3: return big(num(buf.readBigInt64BE, 8));
                case 0xd4: return ext(1);
                case 0xd5: return ext(2);
                case 0xd6: return ext(4);
                case 0xd7: return ext(8);
                case 0xd8: return ext(16);
                case 0xd9: return str(num(buf.readUInt8, 1));
                case 0xda: return str(num(buf.readUInt16BE, 2));
                case 0xdb: return str(num(buf.readUInt32BE, 4));
                case 0xdc: return array(num(buf.readUInt16BE, 2));
                case 0xdd: return array(num(buf.readUInt32BE, 4));
                case 0xde: return map(num(buf.readUInt16BE, 2));
                case 0xdf: return map(num(buf.readUInt32BE, 4));
                default: throw new MessagePackError(`invalid MessagePack type byte 0x${b.toString(16)}`);
            }
        } finally {
            depth--;
        }
    }
    const result = value();
    if (at !== buf.length) throw new MessagePackError("trailing bytes after the MessagePack value");
    return result;
}

// A decoded value as JSON-able data: bin as wasmton's {"$bin": base64}, BigInt as a number
// literal (exact: see toJSON below).
function jsonable(v) {
    if (v instanceof Uint8Array) return { $bin: Buffer.from(v).toString("base64") };
    if (Array.isArray(v)) return v.map(jsonable);
    if (v !== null && typeof v === "object") {
        const out = {};
        for (const key of Object.keys(v)) out[key] = jsonable(v[key]);
        return out;
    }
    return v;
}

function jsonText(v) {
    return JSON.stringify(jsonable(v), (_, x) => (typeof x === "bigint" ? { $bigint: x.toString() } : x))
        .replace(/\{"\$bigint":"(-?[0-9]+)"\}/g, "$1");
}

// ---- waPC host --------------------------------------------------------------------------------

class GuestError extends Error {}

class WapcHost {
    constructor(wasmBytes) {
        this.module = new WebAssembly.Module(wasmBytes); // compiled once; instances are cheap
        this.start();
    }

    memory() {
        return new Uint8Array(this.instance.exports.memory.buffer); // fresh: memory.grow detaches the old view
    }

    read(ptr, len) {
        ptr >>>= 0;
        len >>>= 0;
        const memory = this.memory();
        if (ptr + len > memory.length) throw new RangeError(`guest memory access out of bounds (${ptr}+${len})`);
        return Buffer.from(memory.subarray(ptr, ptr + len)); // a copy
    }

    write(ptr, bytes) {
        ptr >>>= 0;
        const memory = this.memory();
        if (ptr + bytes.length > memory.length) throw new RangeError(`guest memory access out of bounds (${ptr}+${bytes.length})`);
        memory.set(bytes, ptr);
    }

    imports() {
        const empty = Buffer.alloc(0);
        return {
            __guest_request: (opPtr, ptr) => {
                this.write(opPtr, this.call.op);
                this.write(ptr, this.call.payload);
            },
            __guest_response: (ptr, len) => { this.call.response = this.read(ptr, len); },
            __guest_error: (ptr, len) => { this.call.error = this.read(ptr, len).toString("utf8"); },
            __host_call: (bdPtr, bdLen, nsPtr, nsLen, opPtr, opLen, _ptr, _len) => {
                // This host offers no capabilities: every host call fails, as waPC hosts do for
                // an unknown binding/namespace/operation.
                const name = [[bdPtr, bdLen], [nsPtr, nsLen], [opPtr, opLen]].map(([p, n]) => this.read(p, n).toString("utf8"));
                this.call.hostResponse = empty;
                this.call.hostError = Buffer.from(`no host function ${name.join("/")} (node_wapc_host.js offers none)`);
                return 0;
            },
            __host_response_len: () => this.call.hostResponse.length,
            __host_response: (ptr) => this.write(ptr, this.call.hostResponse),
            __host_error_len: () => this.call.hostError.length,
            __host_error: (ptr) => this.write(ptr, this.call.hostError),
            __console_log: (ptr, len) => process.stderr.write(`guest: ${this.read(ptr, len).toString("utf8")}\n`),
        };
    }

    // Instantiates and runs whichever exist of _start, _initialize (the reactor's libc set-up)
    // and wapc_init, in that order.
    start() {
        const wasi = new WASI({ version: "preview1", args: [moduleName], env: {}, returnOnExit: true });
        const importObject = { ...wasi.getImportObject(), wapc: this.imports() };
        for (const wanted of WebAssembly.Module.imports(this.module)) {
            if (!importObject[wanted.module] || !(wanted.name in importObject[wanted.module])) {
                throw new Error(`${moduleName}: import ${wanted.module}.${wanted.name} is not provided by this host`);
            }
        }
        this.instance = new WebAssembly.Instance(this.module, importObject);
        this.call = { op: Buffer.alloc(0), payload: Buffer.alloc(0), hostResponse: Buffer.alloc(0), hostError: Buffer.alloc(0) };
        const exports = this.instance.exports;
        if (typeof exports.__guest_call !== "function") throw new Error(`${moduleName} is not a waPC guest (no __guest_call export)`);
        if (typeof exports._start === "function") wasi.start(this.instance);
        else wasi.initialize(this.instance); // calls _initialize if exported
        if (typeof exports.wapc_init === "function") exports.wapc_init();
    }

    // Calls `operation` with `payload` (bytes); returns the guest's response bytes or throws a
    // GuestError with its error message. A trap throws and replaces the instance.
    invoke(operation, payload) {
        const call = this.call;
        call.op = Buffer.from(operation, "utf8");
        call.payload = payload;
        call.response = undefined;
        call.error = undefined;
        let ok;
        try {
            ok = this.instance.exports.__guest_call(call.op.length, payload.length);
        } catch (trap) {
            this.start();
            throw trap;
        }
        if (ok === 1) return call.response || Buffer.alloc(0);
        throw new GuestError(call.error !== undefined ? call.error : `operation ${operation} failed`);
    }
}

// ---- HTTP -------------------------------------------------------------------------------------

function reply(res, status, type, body) {
    const headers = { "content-length": Buffer.byteLength(body) };
    if (type) headers["content-type"] = type;
    res.writeHead(status, headers);
    res.end(body);
}

function fail(res, status, reason, message) {
    reply(res, status, "application/json",
        JSON.stringify({ error: { status, reason, message: String(message) } }) + "\n");
}

// Calls the guest and answers; `plain` answers a string result as text/plain (the book's form).
function answer(res, operation, payload, plain) {
    let result;
    try {
        result = wapc.invoke(operation, payload);
    } catch (error) {
        if (error instanceof GuestError) { // the statuses wasmton serve gives guest errors
            if (error.message.startsWith("unknown operation")) {
                return fail(res, 404, "unknown_operation", `module '${moduleName}' has no operation '${operation}': ${error.message}`);
            }
            const chosen = /^([45][0-9][0-9])(?:[ :]+|$)(.*)$/s.exec(error.message); // "404 no such user"
            if (chosen) return fail(res, Number(chosen[1]), "guest_error", chosen[2] || http.STATUS_CODES[chosen[1]] || "");
            return fail(res, 500, "guest_error", error.message);
        }
        return fail(res, 500, error instanceof WebAssembly.RuntimeError ? "trap" : "guest_failure", error.message);
    }
    if (result.length === 0) {
        res.writeHead(204);
        return res.end();
    }
    let value;
    try {
        value = decode(result);
    } catch {
        return reply(res, 200, "application/octet-stream", result);
    }
    if (plain && typeof value === "string") return reply(res, 200, "text/plain; charset=utf-8", value);
    reply(res, 200, "application/json", jsonText(value) + "\n");
}

function jsonPayload(text) {
    return encode(JSON.parse(text));
}

function handle(req, res, body) {
    const url = new URL(req.url, "http://localhost");
    if (req.method === "GET" && url.pathname === "/healthz") return reply(res, 200, "text/plain", "ok\n");
    if (req.method === "GET" && url.pathname === "/readyz") return reply(res, 200, "text/plain", "ready\n");
    if (url.pathname === "/" && (req.method === "GET" || req.method === "POST")) {
        const key = url.searchParams.get("key");
        if (key === null) return fail(res, 400, "bad_payload", "send the argument as ?key=<json>");
        let payload;
        try {
            payload = jsonPayload(key);
        } catch (error) {
            return fail(res, 400, "bad_payload", `key is not valid JSON: ${error.message}`);
        }
        return answer(res, defaultOperation, payload, true);
    }
    const route = /^\/v1\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (route && req.method === "POST") {
        const [, module, operation] = route.map(decodeURIComponent);
        if (module !== moduleName) return fail(res, 404, "unknown_module", `no module named '${module}' (served: ${moduleName})`);
        const type = (req.headers["content-type"] || "").split(";")[0].trim().toLowerCase();
        let payload;
        if (type === "application/msgpack" || type === "application/x-msgpack" || type === "application/vnd.msgpack") {
            try {
                decode(body);
            } catch (error) {
                return fail(res, 400, "bad_payload", `body is not valid MessagePack: ${error.message}`);
            }
            payload = body;
        } else if (type === "application/octet-stream") {
            payload = body;
        } else if (body.toString("latin1").trim() === "") {
            payload = Buffer.alloc(0);
        } else {
            try {
                payload = jsonPayload(body.toString("utf8"));
            } catch (error) {
                return fail(res, 400, "bad_payload", `body is not valid JSON: ${error.message}`);
            }
        }
        return answer(res, operation, payload, false);
    }
    fail(res, 404, "not_found", `no route for ${req.method} ${url.pathname}`);
}

const wapc = new WapcHost(fs.readFileSync(wasmFile));

const server = http.createServer((req, res) => {
    const chunks = [];
    let size = 0;
    let tooLarge = false;
    req.on("data", (chunk) => {
        size += chunk.length;
        if (size > maxBodyBytes) tooLarge = true;
        else chunks.push(chunk);
    });
    req.on("end", () => {
        if (tooLarge) return fail(res, 413, "payload_too_large", `request body exceeds the limit of ${maxBodyBytes} bytes`);
        try {
            handle(req, res, Buffer.concat(chunks));
        } catch (error) {
            fail(res, 500, "internal", error.message);
        }
    });
});
server.keepAliveTimeout = 65_000;
server.listen(Number(portText), host, () => {
    console.error(`node_wapc_host: ${moduleName} (${wasmFile}) on http://${host}:${server.address().port}, GET /?key= calls ${defaultOperation}`);
});
const stop = () => {
    server.close(() => process.exit(0)); // stops accepting; idle keep-alive connections are closed
    setTimeout(() => process.exit(0), 2000).unref(); // in-flight requests get 2 s
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
