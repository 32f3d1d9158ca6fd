;; wapc_link_assemblyscript.wat: a waPC guest shaped as the AssemblyScript SDK
;; @wapc/as-guest 0.3.x (AssemblyScript 0.27) builds it, whose operation calls
;; its host, as the SDK's example/hello.ts:
;;
;;   register("hello", function (payload: ArrayBuffer): Result<ArrayBuffer> {
;;     return hostCall("myBinding", "sample", "hello", String.UTF8.encode("Hello"))
;;   })
;;
;; (the SDK's example sends "Simon" and ignores the answer; this one sends
;; "Hello" and answers with the host's response, so a test sees the link).
;; Host-call links' test guest: `wasmton call wapc_link_assemblyscript.wasm
;; hello --link 'sample/hello=echo'` answers Hello.
;;
;; Shape (as wapc_sdk_assemblyscript.wat; see guests/WAPC_NOTES.md):
;;   imports  only the `wapc` functions it uses (AssemblyScript drops unused
;;            imports: no __console_log) and env.abort (built without
;;            `--use abort=...`); no WASI
;;   exports  memory and __guest_call
;;   start    the top-level register(...) runs in the start section
;;   memory   objects with a 20-byte header, so pointers are not 8-aligned
;;   errors   a failed host call is Result.error(new Error(<message>)): the
;;            message without prefix (__guest_error, 0); unknown:
;;            Could not find function "<op>"
;;
;; Operations:
;;   hello    hostCall("myBinding", "sample", "hello", "Hello") -> the answer
(module $wapc_link_assemblyscript
  (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (import "wapc" "__guest_error" (func $guest_error (param i32 i32)))
  (import "wapc" "__host_call" (func $host_call (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wapc" "__host_response_len" (func $host_response_len (result i32)))
  (import "wapc" "__host_response" (func $host_response (param i32)))
  (import "wapc" "__host_error_len" (func $host_error_len (result i32)))
  (import "wapc" "__host_error" (func $host_error (param i32)))
  (import "env" "abort" (func $abort (param i32 i32 i32 i32)))

  (memory $memory 1)
  (export "memory" (memory $memory))

  (data (i32.const 0x400) "hello")
  (data (i32.const 0x420) "myBinding")
  (data (i32.const 0x440) "sample")
  (data (i32.const 0x460) "Hello")
  (data (i32.const 0x4e0) "Could not find function \"")

  (global $registered (mut i32) (i32.const 0))
  (global $heap_start i32 (i32.const 0x600))
  (global $heap (mut i32) (i32.const 0x600))

  ;; new ArrayBuffer(size): 16-byte-aligned block, 20-byte header, then data.
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

  ;; String.UTF8.encode(literal)
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

  ;; register("hello", ...)
  (func $~start
    (global.set $registered (i32.const 1)))
  (start $~start)

  ;; the `hello` handler: return hostCall(...), a Result<ArrayBuffer>
  (func $op_hello (result i32)
    (local $len i32) (local $buf i32)
    (if (i32.eqz
          (call $host_call
            (call $buffer_of (i32.const 0x420) (i32.const 9)) (i32.const 9)
            (call $buffer_of (i32.const 0x440) (i32.const 6)) (i32.const 6)
            (call $buffer_of (i32.const 0x400) (i32.const 5)) (i32.const 5)
            (call $buffer_of (i32.const 0x460) (i32.const 5)) (i32.const 5)))
      (then
        (local.set $len (call $host_error_len))
        (local.set $buf (call $buffer (local.get $len)))
        (call $host_error (local.get $buf))
        ;; Result.error(new Error(message)) -> __guest_error(message)
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
        (if (call $eq (local.get $op) (local.get $op_len) (i32.const 0x400) (i32.const 5))
          (then (return (call $op_hello))))))
    (local.set $msg (call $buffer (i32.add (local.get $op_len) (i32.const 26))))
    (call $copy (local.get $msg) (i32.const 0x4e0) (i32.const 25))
    (call $copy (i32.add (local.get $msg) (i32.const 25)) (local.get $op) (local.get $op_len))
    (i32.store8 (i32.add (i32.add (local.get $msg) (i32.const 25)) (local.get $op_len)) (i32.const 0x22))
    (call $guest_error (local.get $msg) (i32.add (local.get $op_len) (i32.const 26)))
    (i32.const 0))
)
