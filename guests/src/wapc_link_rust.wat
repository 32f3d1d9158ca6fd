;; wapc_link_rust.wat: a waPC guest shaped as the Rust SDK `wapc-guest` 1.x
;; (cdylib, wasm32-unknown-unknown) builds it, with the `ping` operation of
;; wapc-rs's own test guest, which calls its host:
;;
;;   #[no_mangle] pub fn wapc_init() {
;;     register_function("ping", ping);
;;     register_function("pong", pong);
;;   }
;;   fn ping(msg: &[u8]) -> CallResult {
;;     let _res = host_call("binding", "sample:namespace", "pong", msg)?;
;;     Ok(msg.to_vec())
;;   }
;;   fn pong(msg: &[u8]) -> CallResult { Ok([b"pong: ", msg].concat()) }
;;
;; Host-call links' test guest: `wasmton call wapc_link_rust.wasm ping
;; --link 'sample:namespace/pong=echo'` returns its payload; `pong` is an
;; answer other guests link to (`--link 'sample/hello=wapc_link_rust.wasm#pong'`).
;;
;; Shape (as wapc_sdk_rust1.wat; see guests/WAPC_NOTES.md):
;;   imports  the `wapc` functions it uses (rustc drops unused externs: no
;;            __console_log), no WASI
;;   exports  memory, __guest_call, wapc_init, globals __data_end, __heap_base
;;   start    the host calls wapc_init, which registers the handlers
;;   Vecs     an empty Vec's pointer is the dangling 1
;;   errors   a failed host call: the `?` gives "Host error: <message>"
;;            (__guest_error, 0); unknown: No handler registered for function <op>
(module $wapc_link_rust
  (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (import "wapc" "__guest_error" (func $guest_error (param i32 i32)))
  (import "wapc" "__host_call" (func $host_call (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wapc" "__host_response_len" (func $host_response_len (result i32)))
  (import "wapc" "__host_response" (func $host_response (param i32)))
  (import "wapc" "__host_error_len" (func $host_error_len (result i32)))
  (import "wapc" "__host_error" (func $host_error (param i32)))

  (memory $memory 17)
  (export "memory" (memory $memory))

  ;; Static data after the 1 MiB stack, one 64-byte slot per string.
  (data (i32.const 0x100000) "ping")
  (data (i32.const 0x100040) "pong")
  (data (i32.const 0x100080) "binding")
  (data (i32.const 0x1000c0) "sample:namespace")
  (data (i32.const 0x100100) "pong: ")
  (data (i32.const 0x100180) "No handler registered for function ")
  (data (i32.const 0x1001c0) "Host error: ")

  (global $__stack_pointer (mut i32) (i32.const 0x100000))
  (global $__data_end i32 (i32.const 0x100200))
  (global $__heap_base i32 (i32.const 0x100200))
  (export "__data_end" (global $__data_end))
  (export "__heap_base" (global $__heap_base))

  (global $registered (mut i32) (i32.const 0))
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

  ;; prefix ++ text in a fresh Vec; returns its pointer
  (func $concat (param $prefix i32) (param $prefix_len i32) (param $text i32) (param $text_len i32) (result i32)
    (local $out i32)
    (local.set $out (call $vec (i32.add (local.get $prefix_len) (local.get $text_len))))
    (call $copy (local.get $out) (local.get $prefix) (local.get $prefix_len))
    (call $copy (i32.add (local.get $out) (local.get $prefix_len)) (local.get $text) (local.get $text_len))
    (local.get $out))

  (func $wapc_init (export "wapc_init")
    (global.set $registered (i32.const 1)))

  ;; ping: host_call("binding", "sample:namespace", "pong", msg)?; Ok(msg.to_vec())
  (func $op_ping (param $req i32) (param $req_len i32) (result i32)
    (local $len i32) (local $buf i32)
    (if (i32.ne
          (call $host_call
            (i32.const 0x100080) (i32.const 7)
            (i32.const 0x1000c0) (i32.const 16)
            (i32.const 0x100040) (i32.const 4)
            (local.get $req) (local.get $req_len))
          (i32.const 1))
      (then
        (local.set $len (call $host_error_len))
        (local.set $buf (call $vec (local.get $len)))
        (call $host_error (local.get $buf))
        (call $guest_error
          (call $concat (i32.const 0x1001c0) (i32.const 12) (local.get $buf) (local.get $len))
          (i32.add (local.get $len) (i32.const 12)))
        (return (i32.const 0))))
    ;; the host's answer is read into a Vec and dropped (`_res`)
    (local.set $len (call $host_response_len))
    (call $host_response (call $vec (local.get $len)))
    (call $guest_response (local.get $req) (local.get $req_len))
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
          (then (return (call $op_ping (local.get $req) (local.get $req_len)))))
        (if (call $eq (local.get $op) (local.get $op_len) (i32.const 0x100040) (i32.const 4))
          (then
            (call $guest_response
              (call $concat (i32.const 0x100100) (i32.const 6) (local.get $req) (local.get $req_len))
              (i32.add (local.get $req_len) (i32.const 6)))
            (return (i32.const 1))))))
    (call $guest_error
      (call $concat (i32.const 0x100180) (i32.const 35) (local.get $op) (local.get $op_len))
      (i32.add (local.get $op_len) (i32.const 35)))
    (i32.const 0))
)
