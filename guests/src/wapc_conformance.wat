;; wapc_conformance.wat: a waPC guest whose operations exercise every `wapc`
;; import and every error path, for testing the host against the semantics in
;; guests/WAPC_NOTES.md. Imports the nine `wapc` functions and nothing else;
;; exports memory, __guest_call, _initialize and wapc_init.
;;
;; Start-up: _initialize and wapc_init each append their name to a log (comma
;; separated); wapc_init also calls __console_log("wapc_init called") to check
;; that imports work during start-up. A host following the notes calls
;; _initialize, then wapc_init, once each: `order` answers "_initialize,wapc_init".
;;
;; Operations (payload P; "fails" = the host must report a failed call, not a
;; response, and should discard the instance where it says so):
;;   order                     responds with the start-up log
;;   echo                      responds with P
;;   fail                      __guest_error(P), returns 0 -> guest error P
;;   fail_without_error        returns 0, no __guest_error -> guest error with
;;                             the host's own message (wapc-rs: "No error
;;                             message set for call failure")
;;   error_and_ok              __guest_error(P), returns 1 with no response ->
;;                             guest error P (wapc-rs, wapc-go/wazero)
;;   respond_twice             __guest_response("first"), then ("second"),
;;                             returns 1 -> "second" (the last one wins in every
;;                             reference host)
;;   empty                     returns 1 without __guest_response (wapc-go:
;;                             empty response; wapc-rs: error "No error message
;;                             OR response set for call success")
;;   log                       __console_log(P), then __guest_response(ptr, 0):
;;                             an explicit empty response
;;   host                      __host_call("default", "wasmton:test", "echo", P):
;;                             responds with __host_response bytes if it
;;                             returned 1, else __guest_error(__host_error
;;                             bytes) and 0 (no prefix added)
;;   reentrant                 same with operation "reenter": a host handler
;;                             that calls back into this guest must be refused
;;                             (the guest sees 0 and reports the host's error)
;;   host_error_len_without_call
;;                             __host_error_len() and __host_response_len()
;;                             before any host call in this __guest_call;
;;                             responds with both as u32 little-endian, error
;;                             length first (expect 8 zero bytes, also right
;;                             after a `host` call: state is per __guest_call).
;;                             When both are 0 it also calls __host_error and
;;                             __host_response on a sentinel and fails with
;;                             "host wrote without a host call" if either wrote
;;   response_out_of_bounds    __guest_response(end of memory - 8, 16): fails
;;   error_out_of_bounds       __guest_error(end - 8, 16), returns 0: fails (a
;;                             trap, not a guest error)
;;   log_out_of_bounds         __console_log(end - 8, 16): fails
;;   request_out_of_bounds     __guest_request again with both pointers at
;;                             end - 1, so the operation name overflows: fails
;;   host_call_out_of_bounds   __host_call with bd_ptr = end of memory, bd_len
;;                             16: fails; if the host returns, responds with
;;                             the return code as u32 LE
;;   host_response_out_of_bounds
;;                             host call "echo" with P (send >= 2 bytes), then
;;                             __host_response(end - 1): fails
;;   trap                      unreachable: fails
;;   trap_after_response       __guest_response(P), then unreachable: fails
;;                             (the response must not be returned)
;;   loop                      loops forever: for deadline / fuel limits
;;   grow                      memory.grow by 16 pages until it returns -1,
;;                             then unreachable: for memory limits (the
;;                             memory has no declared maximum)
;;   anything else             "unknown operation: <op>", returns 0
;;
;; Memory: 1 page to start. 0x000-0x3ff length-prefixed strings, 0x400 the
;; start-up log, 0x500 scratch, heap from 0x800 (restarts at each call; the
;; guest is not reentrant).
(module $wapc_conformance
  (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (import "wapc" "__guest_error" (func $guest_error (param i32 i32)))
  (import "wapc" "__host_call" (func $host_call (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wapc" "__host_response_len" (func $host_response_len (result i32)))
  (import "wapc" "__host_response" (func $host_response (param i32)))
  (import "wapc" "__host_error_len" (func $host_error_len (result i32)))
  (import "wapc" "__host_error" (func $host_error (param i32)))
  (import "wapc" "__console_log" (func $console_log (param i32 i32)))

  (memory $memory 1)
  (export "memory" (memory $memory))

  ;; Strings: one 32-byte slot each, the first byte is the length.
  (data (i32.const 0x000) "\05order")
  (data (i32.const 0x020) "\04echo")
  (data (i32.const 0x040) "\04fail")
  (data (i32.const 0x060) "\12fail_without_error")
  (data (i32.const 0x080) "\0cerror_and_ok")
  (data (i32.const 0x0a0) "\0drespond_twice")
  (data (i32.const 0x0c0) "\05empty")
  (data (i32.const 0x0e0) "\03log")
  (data (i32.const 0x100) "\04host")
  (data (i32.const 0x120) "\09reentrant")
  (data (i32.const 0x140) "\1bhost_error_len_without_call")
  (data (i32.const 0x160) "\16response_out_of_bounds")
  (data (i32.const 0x180) "\13error_out_of_bounds")
  (data (i32.const 0x1a0) "\11log_out_of_bounds")
  (data (i32.const 0x1c0) "\15request_out_of_bounds")
  (data (i32.const 0x1e0) "\17host_call_out_of_bounds")
  (data (i32.const 0x200) "\1bhost_response_out_of_bounds")
  (data (i32.const 0x220) "\04trap")
  (data (i32.const 0x240) "\13trap_after_response")
  (data (i32.const 0x260) "\04loop")
  (data (i32.const 0x280) "\04grow")
  (data (i32.const 0x2a0) "\07default")
  (data (i32.const 0x2c0) "\0cwasmton:test")
  (data (i32.const 0x2e0) "\07reenter")
  (data (i32.const 0x300) "\05first")
  (data (i32.const 0x320) "\06second")
  (data (i32.const 0x340) "\0b_initialize")
  (data (i32.const 0x360) "\09wapc_init")
  (data (i32.const 0x380) "\13unknown operation: ")
  (data (i32.const 0x3a0) "\1ehost wrote without a host call")
  (data (i32.const 0x3c0) "\10wapc_init called")

  (global $order i32 (i32.const 0x400))
  (global $order_len (mut i32) (i32.const 0))
  (global $scratch i32 (i32.const 0x500))
  (global $heap_start i32 (i32.const 0x800))
  (global $heap (mut i32) (i32.const 0x800))

  (func $ptr (param $slot i32) (result i32) (i32.add (local.get $slot) (i32.const 1)))
  (func $len (param $slot i32) (result i32) (i32.load8_u (local.get $slot)))

  ;; The address one past the last byte of memory.
  (func $end (result i32) (i32.shl (memory.size) (i32.const 16)))

  (func $alloc (param $size i32) (result i32)
    (local $ptr i32) (local $end i32) (local $have i32)
    (local.set $ptr (i32.and (i32.add (global.get $heap) (i32.const 7)) (i32.const -8)))
    (local.set $end (i32.add (local.get $ptr) (local.get $size)))
    (if (i32.lt_u (local.get $end) (local.get $ptr)) (then unreachable))
    (local.set $have (call $end))
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

  ;; Whether the operation name equals the string in `slot`.
  (func $is (param $op i32) (param $op_len i32) (param $slot i32) (result i32)
    (local $i i32)
    (if (i32.ne (local.get $op_len) (call $len (local.get $slot))) (then (return (i32.const 0))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $op_len)))
        (if (i32.ne (i32.load8_u (i32.add (local.get $op) (local.get $i)))
                    (i32.load8_u (i32.add (call $ptr (local.get $slot)) (local.get $i))))
          (then (return (i32.const 0))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i32.const 1))

  ;; Appends the string in `slot` to the start-up log, comma separated.
  (func $record (param $slot i32)
    (if (global.get $order_len)
      (then
        (i32.store8 (i32.add (global.get $order) (global.get $order_len)) (i32.const 0x2c))
        (global.set $order_len (i32.add (global.get $order_len) (i32.const 1)))))
    (if (i32.gt_u (i32.add (global.get $order_len) (call $len (local.get $slot))) (i32.const 0x100))
      (then return))
    (call $copy (i32.add (global.get $order) (global.get $order_len)) (call $ptr (local.get $slot)) (call $len (local.get $slot)))
    (global.set $order_len (i32.add (global.get $order_len) (call $len (local.get $slot)))))

  (func $_initialize (export "_initialize")
    (call $record (i32.const 0x340)))

  (func $wapc_init (export "wapc_init")
    (call $record (i32.const 0x360))
    (call $console_log (call $ptr (i32.const 0x3c0)) (call $len (i32.const 0x3c0))))

  ;; __host_call("default", "wasmton:test", <operation in slot>, payload); on
  ;; 1 responds with the host response and returns 1, on 0 reports the host
  ;; error as the guest error and returns 0.
  (func $call_host (param $operation i32) (param $req i32) (param $req_len i32) (result i32)
    (local $len i32) (local $buf i32)
    (if (i32.eq
          (call $host_call
            (call $ptr (i32.const 0x2a0)) (call $len (i32.const 0x2a0))
            (call $ptr (i32.const 0x2c0)) (call $len (i32.const 0x2c0))
            (call $ptr (local.get $operation)) (call $len (local.get $operation))
            (local.get $req) (local.get $req_len))
          (i32.const 1))
      (then
        (local.set $len (call $host_response_len))
        (local.set $buf (call $alloc (local.get $len)))
        (call $host_response (local.get $buf))
        (call $guest_response (local.get $buf) (local.get $len))
        (return (i32.const 1))))
    (local.set $len (call $host_error_len))
    (local.set $buf (call $alloc (local.get $len)))
    (call $host_error (local.get $buf))
    (call $guest_error (local.get $buf) (local.get $len))
    (i32.const 0))

  (func $host_error_len_without_call (result i32)
    (local $error_len i32) (local $response_len i32) (local $i i32)
    (local.set $error_len (call $host_error_len))
    (local.set $response_len (call $host_response_len))
    (if (i32.or (local.get $error_len) (local.get $response_len))
      (then
        ;; stale state: let the host write where it has room, then report
        (call $host_error (call $alloc (local.get $error_len)))
        (call $host_response (call $alloc (local.get $response_len))))
      (else
        ;; nothing to write: the host must leave a sentinel alone
        (local.set $i (i32.const 0))
        (block $filled
          (loop $fill
            (br_if $filled (i32.ge_u (local.get $i) (i32.const 16)))
            (i32.store8 (i32.add (global.get $scratch) (local.get $i)) (i32.const 0xa5))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $fill)))
        (call $host_error (global.get $scratch))
        (call $host_response (global.get $scratch))
        (if (i32.or
              (i64.ne (i64.load (global.get $scratch)) (i64.const 0xa5a5a5a5a5a5a5a5))
              (i64.ne (i64.load offset=8 (global.get $scratch)) (i64.const 0xa5a5a5a5a5a5a5a5)))
          (then
            (call $guest_error (call $ptr (i32.const 0x3a0)) (call $len (i32.const 0x3a0)))
            (return (i32.const 0))))))
    (i32.store offset=16 (global.get $scratch) (local.get $error_len))
    (i32.store offset=20 (global.get $scratch) (local.get $response_len))
    (call $guest_response (i32.add (global.get $scratch) (i32.const 16)) (i32.const 8))
    (i32.const 1))

  (func $__guest_call (export "__guest_call") (param $op_len i32) (param $req_len i32) (result i32)
    (local $op i32) (local $req i32) (local $msg i32)
    (global.set $heap (global.get $heap_start))
    (local.set $op (call $alloc (local.get $op_len)))
    (local.set $req (call $alloc (local.get $req_len)))
    (call $guest_request (local.get $op) (local.get $req))

    (if (call $is (local.get $op) (local.get $op_len) (i32.const 0x000))
      (then
        (call $guest_response (global.get $order) (global.get $order_len))
        (return (i32.const 1))))
    (if (call $is (local.get $op) (local.get $op_len) (i32.const 0x020))
      (then
        (call $guest_response (local.get $req) (local.get $req_len))
        (return (i32.const 1))))
    (if (call $is (local.get $op) (local.get $op_len) (i32.const 0x040))
      (then
        (call $guest_error (local.get $req) (local.get $req_len))
        (return (i32.const 0))))
    (if (call $is (local.get $op) (local.get $op_len) (i32.const 0x060))
      (then (return (i32.const 0))))
    (if (call $is (local.get $op) (local.get $op_len) (i32.const 0x080))
      (then
        (call $guest_error (local.get $req) (local.get $req_len))
        (return (i32.const 1))))
    (if (call $is (local.get $op) (local.get $op_len) (i32.const 0x0a0))
      (then
        (call $guest_response (call $ptr (i32.const 0x300)) (call $len (i32.const 0x300)))
        (call $guest_response (call $ptr (i32.const 0x320)) (call $len (i32.const 0x320)))
        (return (i32.const 1))))
    (if (call $is (local.get $op) (local.get $op_len) (i32.const 0x0c0))
      (then (return (i32.const 1))))
    (if (call $is (local.get $op) (local.get $op_len) (i32.const 0x0e0))
      (then
        (call $console_log (local.get $req) (local.get $req_len))
        (call $guest_response (local.get $req) (i32.const 0))
        (return (i32.const 1))))
    (if (call $is (local.get $op) (local.get $op_len) (i32.const 0x100))
      (then (return (call $call_host (i32.const 0x020) (local.get $req) (local.get $req_len)))))
    (if (call $is (local.get $op) (local.get $op_len) (i32.const 0x120))
      (then (return (call $call_host (i32.const 0x2e0) (local.get $req) (local.get $req_len)))))
    (if (call $is (local.get $op) (local.get $op_len) (i32.const 0x140))
      (then (return (call $host_error_len_without_call))))
    (if (call $is (local.get $op) (local.get $op_len) (i32.const 0x160))
      (then
        (call $guest_response (i32.sub (call $end) (i32.const 8)) (i32.const 16))
        (return (i32.const 1))))
    (if (call $is (local.get $op) (local.get $op_len) (i32.const 0x180))
      (then
        (call $guest_error (i32.sub (call $end) (i32.const 8)) (i32.const 16))
        (return (i32.const 0))))
    (if (call $is (local.get $op) (local.get $op_len) (i32.const 0x1a0))
      (then
        (call $console_log (i32.sub (call $end) (i32.const 8)) (i32.const 16))
        (call $guest_response (local.get $req) (i32.const 0))
        (return (i32.const 1))))
    (if (call $is (local.get $op) (local.get $op_len) (i32.const 0x1c0))
      (then
        (call $guest_request (i32.sub (call $end) (i32.const 1)) (i32.sub (call $end) (i32.const 1)))
        (call $guest_response (local.get $req) (i32.const 0))
        (return (i32.const 1))))
    (if (call $is (local.get $op) (local.get $op_len) (i32.const 0x1e0))
      (then
        (i32.store (global.get $scratch)
          (call $host_call
            (call $end) (i32.const 16)
            (call $ptr (i32.const 0x2c0)) (call $len (i32.const 0x2c0))
            (call $ptr (i32.const 0x020)) (call $len (i32.const 0x020))
            (local.get $req) (local.get $req_len)))
        (call $guest_response (global.get $scratch) (i32.const 4))
        (return (i32.const 1))))
    (if (call $is (local.get $op) (local.get $op_len) (i32.const 0x200))
      (then
        (drop
          (call $host_call
            (call $ptr (i32.const 0x2a0)) (call $len (i32.const 0x2a0))
            (call $ptr (i32.const 0x2c0)) (call $len (i32.const 0x2c0))
            (call $ptr (i32.const 0x020)) (call $len (i32.const 0x020))
            (local.get $req) (local.get $req_len)))
        (call $host_response (i32.sub (call $end) (i32.const 1)))
        (call $guest_response (local.get $req) (i32.const 0))
        (return (i32.const 1))))
    (if (call $is (local.get $op) (local.get $op_len) (i32.const 0x220))
      (then unreachable))
    (if (call $is (local.get $op) (local.get $op_len) (i32.const 0x240))
      (then
        (call $guest_response (local.get $req) (local.get $req_len))
        unreachable))
    (if (call $is (local.get $op) (local.get $op_len) (i32.const 0x260))
      (then (loop $forever (br $forever))))
    (if (call $is (local.get $op) (local.get $op_len) (i32.const 0x280))
      (then
        (block $refused
          (loop $more
            (br_if $refused (i32.eq (memory.grow (i32.const 16)) (i32.const -1)))
            (br $more)))
        unreachable))

    ;; "unknown operation: " ++ op
    (local.set $msg (call $alloc (i32.add (local.get $op_len) (call $len (i32.const 0x380)))))
    (call $copy (local.get $msg) (call $ptr (i32.const 0x380)) (call $len (i32.const 0x380)))
    (call $copy (i32.add (local.get $msg) (call $len (i32.const 0x380))) (local.get $op) (local.get $op_len))
    (call $guest_error (local.get $msg) (i32.add (local.get $op_len) (call $len (i32.const 0x380))))
    (i32.const 0))
)
