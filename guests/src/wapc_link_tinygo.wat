;; wapc_link_tinygo.wat: a waPC guest shaped as the TinyGo SDK
;; (github.com/wapc/wapc-guest-tinygo, TinyGo 0.35 -target=wasi -scheduler=none)
;; builds it, whose operation calls its host, as the SDK's example/hello.go:
;;
;;   func main() { wapc.RegisterFunctions(wapc.Functions{"hello": hello}) }
;;   func hello(payload []byte) ([]byte, error) {
;;     return wapc.HostCall("myBinding", "sample", "hello", []byte("Hello"))
;;   }
;;
;; (the SDK's example sends "Simon" and ignores the answer; this one sends
;; "Hello" and answers with the host's response, so a test sees the link).
;; Host-call links' test guest: `wasmton call wapc_link_tinygo.wasm hello
;; --link 'sample/hello=echo'` answers Hello.
;;
;; Shape (as wapc_sdk_tinygo.wat; see guests/WAPC_NOTES.md):
;;   imports  the nine `wapc` functions and TinyGo's WASI imports
;;            (wasi_snapshot_preview1: fd_write, args_sizes_get, args_get,
;;            random_get, proc_exit)
;;   exports  memory, _start, __guest_call, malloc, free
;;   start    _start registers the handlers in main(), then proc_exit(0)
;;   errors   a failed host call is the HostError "Host error: <message>"
;;            (__guest_error, 0); unknown: Could not find function "<op>"
;;
;; Operations:
;;   hello    HostCall("myBinding", "sample", "hello", "Hello") -> the answer
;;   relay    HostCall("myBinding", "sample", "hello", payload) -> the answer
;;   echo     responds with the payload (a module other guests link to)
(module $wapc_link_tinygo
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (import "wapc" "__guest_error" (func $guest_error (param i32 i32)))
  (import "wapc" "__host_call" (func $host_call (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wapc" "__host_response_len" (func $host_response_len (result i32)))
  (import "wapc" "__host_response" (func $host_response (param i32)))
  (import "wapc" "__host_error_len" (func $host_error_len (result i32)))
  (import "wapc" "__host_error" (func $host_error (param i32)))
  (import "wapc" "__console_log" (func $console_log (param i32 i32)))

  (memory $memory 2)
  (export "memory" (memory $memory))

  ;; Data after the 64 KiB stack, one 32-byte slot per string.
  (data (i32.const 0x10000) "hello")
  (data (i32.const 0x10020) "relay")
  (data (i32.const 0x10040) "echo")
  (data (i32.const 0x10060) "myBinding")
  (data (i32.const 0x10080) "sample")
  (data (i32.const 0x100a0) "Hello")
  (data (i32.const 0x100c0) "Could not find function \"")
  (data (i32.const 0x100e0) "Host error: ")
  ;; 0x10100: runtime scratch (args sizes, hash seed); 0x10120: zero-size object
  (global $zero_size_alloc i32 (i32.const 0x10120))
  (global $heap_start i32 (i32.const 0x10200))

  (global $__stack_pointer (mut i32) (i32.const 0x10000))
  (global $registered (mut i32) (i32.const 0))
  (global $heap (mut i32) (i32.const 0x10200))

  (func $alloc (param $size i32) (result i32)
    (local $ptr i32) (local $end i32) (local $have i32)
    (if (i32.eqz (local.get $size)) (then (return (global.get $zero_size_alloc))))
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

  (func $malloc (export "malloc") (param $size i32) (result i32)
    (call $alloc (local.get $size)))
  (func $free (export "free") (param $ptr i32))

  ;; runtime_wasip1.go _start: runtime init, main() registers, then exit(0).
  (func $_start (export "_start")
    (drop (call $args_sizes_get (i32.const 0x10100) (i32.const 0x10104)))
    (drop (call $random_get (i32.const 0x10108) (i32.const 8)))
    (global.set $registered (i32.const 1))
    (call $proc_exit (i32.const 0))
    unreachable)

  ;; return wapc.HostCall("myBinding", "sample", "hello", payload)
  (func $host_hello (param $payload i32) (param $payload_len i32) (result i32)
    (local $len i32) (local $buf i32) (local $msg i32)
    (if (i32.eqz
          (call $host_call
            (i32.const 0x10060) (i32.const 9)
            (i32.const 0x10080) (i32.const 6)
            (i32.const 0x10000) (i32.const 5)
            (local.get $payload) (local.get $payload_len)))
      (then
        (local.set $len (call $host_error_len))
        (local.set $buf (call $alloc (local.get $len)))
        (call $host_error (local.get $buf))
        ;; (&HostError{message}).Error() == "Host error: " + message
        (local.set $msg (call $alloc (i32.add (local.get $len) (i32.const 12))))
        (call $copy (local.get $msg) (i32.const 0x100e0) (i32.const 12))
        (call $copy (i32.add (local.get $msg) (i32.const 12)) (local.get $buf) (local.get $len))
        (call $guest_error (local.get $msg) (i32.add (local.get $len) (i32.const 12)))
        (return (i32.const 0))))
    (local.set $len (call $host_response_len))
    (local.set $buf (call $alloc (local.get $len)))
    (call $host_response (local.get $buf))
    (call $guest_response (local.get $buf) (local.get $len))
    (i32.const 1))

  ;; //go:export __guest_call
  (func $__guest_call (export "__guest_call") (param $op_len i32) (param $req_len i32) (result i32)
    (local $op i32) (local $req i32) (local $msg i32) (local $hello i32)
    (global.set $heap (global.get $heap_start))
    (local.set $op (call $alloc (local.get $op_len)))
    (local.set $req (call $alloc (local.get $req_len)))
    (call $guest_request (local.get $op) (local.get $req))
    (if (global.get $registered)
      (then
        (if (call $eq (local.get $op) (local.get $op_len) (i32.const 0x10000) (i32.const 5))
          (then
            ;; []byte("Hello"): a fresh slice
            (local.set $hello (call $alloc (i32.const 5)))
            (call $copy (local.get $hello) (i32.const 0x100a0) (i32.const 5))
            (return (call $host_hello (local.get $hello) (i32.const 5)))))
        (if (call $eq (local.get $op) (local.get $op_len) (i32.const 0x10020) (i32.const 5))
          (then (return (call $host_hello (local.get $req) (local.get $req_len)))))
        (if (call $eq (local.get $op) (local.get $op_len) (i32.const 0x10040) (i32.const 4))
          (then
            (call $guest_response (local.get $req) (local.get $req_len))
            (return (i32.const 1))))))
    ;; `Could not find function "` + string(operation) + `"`
    (local.set $msg (call $alloc (i32.add (local.get $op_len) (i32.const 26))))
    (call $copy (local.get $msg) (i32.const 0x100c0) (i32.const 25))
    (call $copy (i32.add (local.get $msg) (i32.const 25)) (local.get $op) (local.get $op_len))
    (i32.store8 (i32.add (i32.add (local.get $msg) (i32.const 25)) (local.get $op_len)) (i32.const 0x22))
    (call $guest_error (local.get $msg) (i32.add (local.get $op_len) (i32.const 26)))
    (i32.const 0))
)
