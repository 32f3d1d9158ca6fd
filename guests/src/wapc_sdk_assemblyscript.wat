;; wapc_sdk_assemblyscript.wat: the shape of a waPC guest built with the
;; AssemblyScript SDK @wapc/as-guest 0.3.x (AssemblyScript 0.27), entry file:
;;
;;   register("echo", function (payload: ArrayBuffer): Result<ArrayBuffer> { ... })
;;   export function __guest_call(operation_size: usize, payload_size: usize): bool {
;;     return handleCall(operation_size, payload_size)
;;   }
;;   asc assembly/index.ts -o guest.wasm --optimize
;;
;; built WITHOUT `--use abort=...`, so AssemblyScript's default `env.abort`
;; import is present (the SDK README and wapc-go's test guest pass
;; `--use abort=assembly/index/abort`, which routes aborts to the SDK's
;; handleAbort -> __guest_error and drops the import).
;;
;; Sources read (see guests/WAPC_NOTES.md): wapc/as-guest assembly/index.ts,
;; example/hello.ts, README.md, wapc.ts (the older 6-argument __host_call);
;; wapc/wapc-go testdata/as/{assembly/index.ts,package.json},
;; engines/wazero/wazero.go (provides env.abort); wapc/wapc-js src/wapc-host.ts.
;;
;; Shape reproduced:
;;   imports  the nine `wapc` functions (usize = i32, bool = i32) and
;;            env.abort(message, fileName, line, column): AssemblyScript strings
;;            (UTF-16LE, byte length in the u32 at ptr - 4), then `unreachable`.
;;            No WASI. (env.seed / env.trace appear only if the guest uses
;;            Math.random / trace.)
;;   exports  memory and __guest_call only
;;   start    the top-level register(...) calls run in the module's start
;;            section, i.e. during instantiation; no _start, no wapc_init
;;   memory   1 page; objects carry AssemblyScript's 20-byte header, so the
;;            pointers the host sees are not 8-aligned
;;
;; Operations, with the SDK's own wordings:
;;   echo     Result.ok(payload): responds with the payload
;;   fail     Result.error(new Error(payload)): __guest_error(payload), 0
;;   log      consoleLog(payload), Result.ok(new ArrayBuffer(0))
;;   host     hostCall("default", "wasmton:test", "echo", payload): responds
;;            with the host's response; on failure Result.error(new
;;            Error(<__host_error bytes>)) (no prefix in 0.3), 0
;;   abort    env.abort("boom", "index.ts", 12, 34) then unreachable, as
;;            AssemblyScript compiles abort()/assert failures
;;   other    Could not find function "<op>", 0
(module $wapc_sdk_assemblyscript
  (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (import "wapc" "__guest_error" (func $guest_error (param i32 i32)))
  (import "wapc" "__host_call" (func $host_call (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wapc" "__host_response_len" (func $host_response_len (result i32)))
  (import "wapc" "__host_response" (func $host_response (param i32)))
  (import "wapc" "__host_error_len" (func $host_error_len (result i32)))
  (import "wapc" "__host_error" (func $host_error (param i32)))
  (import "wapc" "__console_log" (func $console_log (param i32 i32)))
  (import "env" "abort" (func $abort (param i32 i32 i32 i32)))

  (memory $memory 1)
  (export "memory" (memory $memory))

  ;; Operation names and host-call strings (plain bytes; the SDK UTF-8-encodes
  ;; its strings into fresh ArrayBuffers, which $buffer_of does below).
  (data (i32.const 0x400) "echo")
  (data (i32.const 0x420) "fail")
  (data (i32.const 0x440) "host")
  (data (i32.const 0x460) "log")
  (data (i32.const 0x480) "abort")
  (data (i32.const 0x4a0) "default")
  (data (i32.const 0x4c0) "wasmton:test")
  (data (i32.const 0x4e0) "Could not find function \"")
  ;; Static AssemblyScript strings for abort: 20-byte header (mmInfo, gcInfo,
  ;; gcInfo2, rtId = 2 (String), rtSize = byte length), then UTF-16LE.
  (data (i32.const 0x500) "\00\00\00\00\00\00\00\00\00\00\00\00\02\00\00\00\08\00\00\00b\00o\00o\00m\00")
  (data (i32.const 0x540) "\00\00\00\00\00\00\00\00\00\00\00\00\02\00\00\00\10\00\00\00i\00n\00d\00e\00x\00.\00t\00s\00")
  (global $abort_message i32 (i32.const 0x514))
  (global $abort_file i32 (i32.const 0x554))

  ;; The Map<string, Function> of registered handlers, filled by ~start.
  (global $registered (mut i32) (i32.const 0))
  (global $heap_start i32 (i32.const 0x600))
  (global $heap (mut i32) (i32.const 0x600))

  ;; new ArrayBuffer(size): a 16-byte-aligned block, 20-byte object header
  ;; (rtId 1 = ArrayBuffer, rtSize = size), data after it.
  (func $buffer (param $size i32) (result i32)
    (local $block i32) (local $end i32) (local $have i32)
    (local.set $block (i32.and (i32.add (global.get $heap) (i32.const 15)) (i32.const -16)))
    (local.set $end (i32.add (i32.add (local.get $block) (i32.const 20)) (local.get $size)))
    (if (i32.lt_u (local.get $end) (local.get $block)) (then unreachable))
    (local.set $have (i32.shl (memory.size) (i32.const 16)))
    (if (i32.gt_u (local.get $end) (local.get $have))
      (then
        (if (i32.eq
              (memory.grow
                (i32.shr_u (i32.add (i32.sub (local.get $end) (local.get $have)) (i32.const 0xffff)) (i32.const 16)))
              (i32.const -1))
          (then unreachable))))
    (global.set $heap (local.get $end))
    (i32.store offset=12 (local.get $block) (i32.const 1))
    (i32.store offset=16 (local.get $block) (local.get $size))
    (i32.add (local.get $block) (i32.const 20)))

  (func $copy (param $dst i32) (param $src i32) (param $len i32)
    (local $i i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
        (i32.store8 (i32.add (local.get $dst) (local.get $i)) (i32.load8_u (i32.add (local.get $src) (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next))))

  ;; String.UTF8.encode(literal): a fresh ArrayBuffer holding the bytes
  (func $buffer_of (param $src i32) (param $len i32) (result i32)
    (local $buf i32)
    (local.set $buf (call $buffer (local.get $len)))
    (call $copy (local.get $buf) (local.get $src) (local.get $len))
    (local.get $buf))

  (func $eq (param $a i32) (param $alen i32) (param $b i32) (param $blen i32) (result i32)
    (local $i i32)
    (if (i32.ne (local.get $alen) (local.get $blen)) (then (return (i32.const 0))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $alen)))
        (if (i32.ne (i32.load8_u (i32.add (local.get $a) (local.get $i)))
                    (i32.load8_u (i32.add (local.get $b) (local.get $i))))
          (then (return (i32.const 0))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i32.const 1))

  ;; Top-level statements: register("echo", ...), register("fail", ...), ...
  (func $~start
    (global.set $registered (i32.const 1)))
  (start $~start)

  ;; the `host` handler: hostCall(...) and return its Result
  (func $op_host (param $req i32) (param $req_len i32) (result i32)
    (local $len i32) (local $buf i32)
    (if (i32.eqz
          (call $host_call
            (call $buffer_of (i32.const 0x4a0) (i32.const 7)) (i32.const 7)
            (call $buffer_of (i32.const 0x4c0) (i32.const 12)) (i32.const 12)
            (call $buffer_of (i32.const 0x400) (i32.const 4)) (i32.const 4)
            (local.get $req) (local.get $req_len)))
      (then
        (local.set $len (call $host_error_len))
        (local.set $buf (call $buffer (local.get $len)))
        (call $host_error (local.get $buf))
        ;; Result.error(new Error(String.UTF8.decode(message))) -> handleCall:
        ;; __guest_error(String.UTF8.encode(error.message))
        (call $guest_error (call $buffer_of (local.get $buf) (local.get $len)) (local.get $len))
        (return (i32.const 0))))
    (local.set $len (call $host_response_len))
    (local.set $buf (call $buffer (local.get $len)))
    (call $host_response (local.get $buf))
    (call $guest_response (local.get $buf) (local.get $len))
    (i32.const 1))

  ;; handleCall(operation_size, payload_size)
  (func $__guest_call (export "__guest_call") (param $op_len i32) (param $req_len i32) (result i32)
    (local $op i32) (local $req i32) (local $msg i32)
    (global.set $heap (global.get $heap_start))
    (local.set $op (call $buffer (local.get $op_len)))
    (local.set $req (call $buffer (local.get $req_len)))
    (call $guest_request (local.get $op) (local.get $req))
    (if (global.get $registered)
      (then
        (if (call $eq (local.get $op) (local.get $op_len) (i32.const 0x400) (i32.const 4))
          (then
            (call $guest_response (local.get $req) (local.get $req_len))
            (return (i32.const 1))))
        (if (call $eq (local.get $op) (local.get $op_len) (i32.const 0x420) (i32.const 4))
          (then
            (call $guest_error (call $buffer_of (local.get $req) (local.get $req_len)) (local.get $req_len))
            (return (i32.const 0))))
        (if (call $eq (local.get $op) (local.get $op_len) (i32.const 0x460) (i32.const 3))
          (then
            (call $console_log (call $buffer_of (local.get $req) (local.get $req_len)) (local.get $req_len))
            (call $guest_response (call $buffer (i32.const 0)) (i32.const 0))
            (return (i32.const 1))))
        (if (call $eq (local.get $op) (local.get $op_len) (i32.const 0x440) (i32.const 4))
          (then (return (call $op_host (local.get $req) (local.get $req_len)))))
        (if (call $eq (local.get $op) (local.get $op_len) (i32.const 0x480) (i32.const 5))
          (then
            (call $abort (global.get $abort_message) (global.get $abort_file) (i32.const 12) (i32.const 34))
            unreachable))))
    ;; String.UTF8.encode("Could not find function \"" + operation + "\"")
    (local.set $msg (call $buffer (i32.add (local.get $op_len) (i32.const 26))))
    (call $copy (local.get $msg) (i32.const 0x4e0) (i32.const 25))
    (call $copy (i32.add (local.get $msg) (i32.const 25)) (local.get $op) (local.get $op_len))
    (i32.store8 (i32.add (i32.add (local.get $msg) (i32.const 25)) (local.get $op_len)) (i32.const 0x22))
    (call $guest_error (local.get $msg) (i32.add (local.get $op_len) (i32.const 26)))
    (i32.const 0))
)
