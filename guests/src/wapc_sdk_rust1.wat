;; wapc_sdk_rust1.wat: the shape of a waPC guest built with the Rust SDK
;; `wapc-guest` 1.x (1.0 - 1.2) as a `cdylib` for wasm32-unknown-unknown, the
;; build the SDK's users and wapc-go's test guest use:
;;
;;   #[no_mangle] pub fn wapc_init() { register_function("echo", echo); ... }
;;   cargo build --target wasm32-unknown-unknown --release
;;
;; Sources read (see guests/WAPC_NOTES.md): wapc/wapc-rs
;; crates/wapc-guest/src/protocol.rs, lib.rs, errors.rs, README.md;
;; wapc/wapc-go testdata/rust/{Cargo.toml,Makefile}.
;;
;; Shape reproduced:
;;   imports  the nine `wapc` functions (usize = i32), nothing else: no WASI on
;;            wasm32-unknown-unknown (HashMap keys need no random_get there)
;;   exports  memory, __guest_call, wapc_init, and the globals __data_end and
;;            __heap_base that rustc's cdylib exports on this target
;;   start    none; the host must call wapc_init, which registers the handlers
;;            (without it every operation is "No handler registered ...")
;;   memory   17 pages: 1 MiB stack, then static data, then the heap
;;   Vecs     Vec::with_capacity(0) hands the host the dangling pointer 1, so a
;;            zero-length request/response is read or written at address 1
;;
;; Operations, with the SDK's own error wordings:
;;   echo     responds with the payload
;;   fail     handler returns Err(payload): __guest_error(payload), returns 0
;;   log      console_log(payload), responds with nothing (empty Vec)
;;   host     host_call("default", "wasmton:test", "echo", payload): responds
;;            with the host's response; on failure the handler's `?` turns the
;;            host error into "Host error: <__host_error bytes>", returns 0
;;   other    "No handler registered for function <op>", returns 0
(module $wapc_sdk_rust1
  (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (import "wapc" "__guest_error" (func $guest_error (param i32 i32)))
  (import "wapc" "__host_call" (func $host_call (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wapc" "__host_response_len" (func $host_response_len (result i32)))
  (import "wapc" "__host_response" (func $host_response (param i32)))
  (import "wapc" "__host_error_len" (func $host_error_len (result i32)))
  (import "wapc" "__host_error" (func $host_error (param i32)))
  (import "wapc" "__console_log" (func $console_log (param i32 i32)))

  (memory $memory 17)
  (export "memory" (memory $memory))

  ;; Static data after the 1 MiB stack, one 64-byte slot per string.
  (data (i32.const 0x100000) "echo")
  (data (i32.const 0x100040) "fail")
  (data (i32.const 0x100080) "host")
  (data (i32.const 0x1000c0) "log")
  (data (i32.const 0x100100) "default")
  (data (i32.const 0x100140) "wasmton:test")
  (data (i32.const 0x100180) "No handler registered for function ")
  (data (i32.const 0x1001c0) "Host error: ")

  (global $__stack_pointer (mut i32) (i32.const 0x100000))
  (global $__data_end i32 (i32.const 0x100200))
  (global $__heap_base i32 (i32.const 0x100200))
  (export "__data_end" (global $__data_end))
  (export "__heap_base" (global $__heap_base))

  ;; REGISTRY: set by wapc_init.
  (global $registered (mut i32) (i32.const 0))
  ;; Bump allocator; every buffer is dropped by the end of __guest_call, so the
  ;; heap starts over at each call.
  (global $heap (mut i32) (i32.const 0x100200))

  ;; Vec::with_capacity(size).as_mut_ptr(): the dangling pointer 1 when empty.
  (func $vec (param $size i32) (result i32)
    (local $ptr i32) (local $end i32) (local $have i32)
    (if (i32.eqz (local.get $size)) (then (return (i32.const 1))))
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

  (func $copy (param $dst i32) (param $src i32) (param $len i32)
    (local $i i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
        (i32.store8 (i32.add (local.get $dst) (local.get $i)) (i32.load8_u (i32.add (local.get $src) (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next))))

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

  ;; __guest_error(prefix ++ text)
  (func $error_with_prefix (param $prefix i32) (param $prefix_len i32) (param $text i32) (param $text_len i32)
    (local $msg i32)
    (local.set $msg (call $vec (i32.add (local.get $prefix_len) (local.get $text_len))))
    (call $copy (local.get $msg) (local.get $prefix) (local.get $prefix_len))
    (call $copy (i32.add (local.get $msg) (local.get $prefix_len)) (local.get $text) (local.get $text_len))
    (call $guest_error (local.get $msg) (i32.add (local.get $prefix_len) (local.get $text_len))))

  ;; #[no_mangle] pub fn wapc_init() { register_function(...) x4 }
  (func $wapc_init (export "wapc_init")
    (global.set $registered (i32.const 1)))

  ;; wapc_guest::host_call("default", "wasmton:test", "echo", payload) inside
  ;; the `host` handler, whose `?` returns the error to __guest_call.
  (func $op_host (param $req i32) (param $req_len i32) (result i32)
    (local $len i32) (local $buf i32)
    (if (i32.ne
          (call $host_call
            (i32.const 0x100100) (i32.const 7)
            (i32.const 0x100140) (i32.const 12)
            (i32.const 0x100000) (i32.const 4)
            (local.get $req) (local.get $req_len))
          (i32.const 1))
      (then
        (local.set $len (call $host_error_len))
        (local.set $buf (call $vec (local.get $len)))
        (call $host_error (local.get $buf))
        ;; Err(HostError(buf)).to_string() == "Host error: " + lossy UTF-8
        (call $error_with_prefix (i32.const 0x1001c0) (i32.const 12) (local.get $buf) (local.get $len))
        (return (i32.const 0))))
    (local.set $len (call $host_response_len))
    (local.set $buf (call $vec (local.get $len)))
    (call $host_response (local.get $buf))
    (call $guest_response (local.get $buf) (local.get $len))
    (i32.const 1))

  (func $__guest_call (export "__guest_call") (param $op_len i32) (param $req_len i32) (result i32)
    (local $req i32) (local $op i32)
    (global.set $heap (global.get $__heap_base))
    (local.set $req (call $vec (local.get $req_len)))
    (local.set $op (call $vec (local.get $op_len)))
    (call $guest_request (local.get $op) (local.get $req))
    (if (global.get $registered)
      (then
        (if (call $eq (local.get $op) (local.get $op_len) (i32.const 0x100000) (i32.const 4))
          (then
            (call $guest_response (local.get $req) (local.get $req_len))
            (return (i32.const 1))))
        (if (call $eq (local.get $op) (local.get $op_len) (i32.const 0x100040) (i32.const 4))
          (then
            (call $guest_error (local.get $req) (local.get $req_len))
            (return (i32.const 0))))
        (if (call $eq (local.get $op) (local.get $op_len) (i32.const 0x1000c0) (i32.const 3))
          (then
            (call $console_log (local.get $req) (local.get $req_len))
            (call $guest_response (i32.const 1) (i32.const 0))
            (return (i32.const 1))))
        (if (call $eq (local.get $op) (local.get $op_len) (i32.const 0x100080) (i32.const 4))
          (then (return (call $op_host (local.get $req) (local.get $req_len)))))))
    (call $error_with_prefix (i32.const 0x100180) (i32.const 35) (local.get $op) (local.get $op_len))
    (i32.const 0))
)
