;; wapc_wasi_unstable.wat: a waPC guest whose WASI imports are `wasi_unstable`
;; (snapshot 0), as TinyGo releases before 0.2x's switch to preview 1 and
;; AssemblyScript's WASI shim emitted them. Otherwise shaped like
;; wapc_sdk_tinygo.wat: _start initialises the runtime (reads the argument
;; sizes and the clock, seeds from random_get) and returns (pre-0.35 TinyGo),
;; then the host calls __guest_call.
;;
;; Operations:
;;   echo     responds with the payload
;;   print    writes the payload to stdout with wasi_unstable.fd_write and
;;            responds with nothing
;;   anything else: __guest_error `Could not find function "<op>"`
(module $wapc_wasi_unstable
  (import "wasi_unstable" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_unstable" "clock_time_get" (func $clock_time_get (param i32 i64 i32) (result i32)))
  (import "wasi_unstable" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_unstable" "random_get" (func $random_get (param i32 i32) (result i32)))
  (import "wasi_unstable" "proc_exit" (func $proc_exit (param i32)))
  (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (import "wapc" "__guest_error" (func $guest_error (param i32 i32)))

  (memory $memory 2)
  (export "memory" (memory $memory))

  (data (i32.const 0x10000) "echo")
  (data (i32.const 0x10020) "print")
  (data (i32.const 0x10040) "Could not find function \"")
  ;; 0x10100: runtime scratch (argument sizes, clock, seed, iovec, nwritten)
  (global $heap_start i32 (i32.const 0x10200))
  (global $heap (mut i32) (i32.const 0x10200))
  (global $initialised (mut i32) (i32.const 0))

  (func $alloc (param $size i32) (result i32)
    (local $ptr i32) (local $end i32) (local $have i32)
    (local.set $ptr (i32.and (i32.add (global.get $heap) (i32.const 7)) (i32.const -8)))
    (local.set $end (i32.add (local.get $ptr) (local.get $size)))
    (if (i32.lt_u (local.get $end) (local.get $ptr)) (then unreachable))
    (local.set $have (i32.shl (memory.size) (i32.const 16)))
    (if (i32.gt_u (local.get $end) (local.get $have))
      (then
        (if (i32.eq
              (memory.grow
                (i32.shr_u (i32.add (i32.sub (local.get $end) (local.get $have)) (i32.const 0xffff)) (i32.const 16)))
              (i32.const -1))
          (then unreachable))))
    (global.set $heap (local.get $end))
    (local.get $ptr))

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

  (func $_start (export "_start")
    (if (call $args_sizes_get (i32.const 0x10100) (i32.const 0x10104)) (then (call $proc_exit (i32.const 1))))
    (if (call $clock_time_get (i32.const 0) (i64.const 1) (i32.const 0x10108)) (then (call $proc_exit (i32.const 2))))
    (if (call $random_get (i32.const 0x10110) (i32.const 8)) (then (call $proc_exit (i32.const 3))))
    (global.set $initialised (i32.const 1)))

  (func $__guest_call (export "__guest_call") (param $op_len i32) (param $req_len i32) (result i32)
    (local $op i32) (local $req i32) (local $msg i32)
    (global.set $heap (global.get $heap_start))
    (local.set $op (call $alloc (local.get $op_len)))
    (local.set $req (call $alloc (local.get $req_len)))
    (call $guest_request (local.get $op) (local.get $req))
    (if (global.get $initialised)
      (then
        (if (call $eq (local.get $op) (local.get $op_len) (i32.const 0x10000) (i32.const 4))
          (then
            (call $guest_response (local.get $req) (local.get $req_len))
            (return (i32.const 1))))
        (if (call $eq (local.get $op) (local.get $op_len) (i32.const 0x10020) (i32.const 5))
          (then
            (i32.store (i32.const 0x10118) (local.get $req))
            (i32.store (i32.const 0x1011c) (local.get $req_len))
            (if (call $fd_write (i32.const 1) (i32.const 0x10118) (i32.const 1) (i32.const 0x10120))
              (then unreachable))
            (call $guest_response (i32.const 0) (i32.const 0))
            (return (i32.const 1))))))
    ;; `Could not find function "` + operation + `"`
    (local.set $msg (call $alloc (i32.add (local.get $op_len) (i32.const 26))))
    (memory.copy (local.get $msg) (i32.const 0x10040) (i32.const 25))
    (memory.copy (i32.add (local.get $msg) (i32.const 25)) (local.get $op) (local.get $op_len))
    (i32.store8 (i32.add (i32.add (local.get $msg) (i32.const 25)) (local.get $op_len)) (i32.const 0x22))
    (call $guest_error (local.get $msg) (i32.add (local.get $op_len) (i32.const 26)))
    (i32.const 0))
)
