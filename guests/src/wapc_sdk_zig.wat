;; wapc_sdk_zig.wat: the shape of a waPC guest built with the Zig SDK
;; wapc/wapc-guest-zig (wapc.zig copied next to the guest, old Zig 0.6-0.8
;; std API), compiled the way its README says:
;;
;;   export fn __guest_call(operation_size: usize, payload_size: usize) bool {
;;       return wapc.handleCall(operation_size, payload_size, &functions);
;;   }
;;   zig build-lib guest.zig -target wasm32-freestanding
;;
;; Sources read (see guests/WAPC_NOTES.md): wapc/wapc-guest-zig wapc.zig,
;; README.md.
;;
;; Shape reproduced:
;;   imports  eight `wapc` functions (usize = i32, bool = i32). NOT
;;            __console_log: wapc.zig declares it as a plain `extern fn`, which
;;            Zig imports from module "env", and only if called; wapc.zig never
;;            calls it (a guest that does imports env.__console_log)
;;   exports  memory and __guest_call only
;;   start    none: the handler table is a static array, nothing to initialise
;;   memory   17 pages: 1 MiB stack, then data
;;   buffers  handleCall allocates everything (operation, payload, host
;;            response or error, error messages) from a 1000-byte
;;            FixedBufferAllocator on its stack: when they do not fit it
;;            returns false (0) WITHOUT calling __guest_error, before even
;;            calling __guest_request if the operation and payload alone do
;;            not fit
;;
;; Operations:
;;   echo     returns the payload slice: __guest_response(payload), 1
;;   fail     calls __guest_error(payload) through its own
;;            `extern "wapc" fn __guest_error` (wapc.zig's is private) and
;;            returns an error: 0
;;   error    returns an error: handleCall's `catch return false` -> 0 with no
;;            __guest_error at all (every handler error in this SDK does that,
;;            except a failed host call)
;;   host     wapc.hostCall(allocator, "default", "wasmton:test", "echo",
;;            payload): responds with the host's response; on failure hostCall
;;            itself calls __guest_error("Host error: " ++ __host_error bytes)
;;            and the handler returns error.HostError: 0
;;   other    "Could not find function <op>" (no quotes), 0
(module $wapc_sdk_zig
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

  (data (i32.const 0x100000) "echo")
  (data (i32.const 0x100020) "fail")
  (data (i32.const 0x100040) "error")
  (data (i32.const 0x100060) "host")
  (data (i32.const 0x100080) "default")
  (data (i32.const 0x1000a0) "wasmton:test")
  (data (i32.const 0x1000c0) "Could not find function ")
  (data (i32.const 0x1000e0) "Host error: ")

  (global $__stack_pointer (mut i32) (i32.const 0x100000))
  ;; handleCall's `var sbuf: [1000]u8` lives in its stack frame, just below
  ;; the stack top; the FixedBufferAllocator's end_index restarts at each call.
  (global $sbuf i32 (i32.const 0xffc00))
  (global $fba_end (mut i32) (i32.const 0))

  ;; allocator.alloc(u8, size): a pointer into sbuf, or -1 for error.OutOfMemory
  (func $fba_alloc (param $size i32) (result i32)
    (local $ptr i32)
    (if (i32.gt_u (local.get $size) (i32.sub (i32.const 1000) (global.get $fba_end)))
      (then (return (i32.const -1))))
    (local.set $ptr (i32.add (global.get $sbuf) (global.get $fba_end)))
    (global.set $fba_end (i32.add (global.get $fba_end) (local.get $size)))
    (local.get $ptr))

  (func $copy (param $dst i32) (param $src i32) (param $len i32)
    (local $i i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
        (i32.store8 (i32.add (local.get $dst) (local.get $i)) (i32.load8_u (i32.add (local.get $src) (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next))))

  ;; mem.eql(u8, a, b)
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

  ;; the `host` handler: `return try wapc.hostCall(allocator, ...)`; returns 1
  ;; after __guest_response, 0 on any error
  (func $op_host (param $req i32) (param $req_len i32) (result i32)
    (local $len i32) (local $buf i32)
    (if (i32.eqz
          (call $host_call
            (i32.const 0x100080) (i32.const 7)
            (i32.const 0x1000a0) (i32.const 12)
            (i32.const 0x100000) (i32.const 4)
            (local.get $req) (local.get $req_len)))
      (then
        (local.set $len (call $host_error_len))
        ;; allocator.alloc(u8, errorPrefix.len + errorLen) catch return error.HostError
        (local.set $buf (call $fba_alloc (i32.add (local.get $len) (i32.const 12))))
        (if (i32.eq (local.get $buf) (i32.const -1)) (then (return (i32.const 0))))
        (call $copy (local.get $buf) (i32.const 0x1000e0) (i32.const 12))
        (call $host_error (i32.add (local.get $buf) (i32.const 12)))
        (call $guest_error (local.get $buf) (i32.add (local.get $len) (i32.const 12)))
        (return (i32.const 0))))
    (local.set $len (call $host_response_len))
    ;; try allocator.alloc(u8, responseLen)
    (local.set $buf (call $fba_alloc (local.get $len)))
    (if (i32.eq (local.get $buf) (i32.const -1)) (then (return (i32.const 0))))
    (call $host_response (local.get $buf))
    (call $guest_response (local.get $buf) (local.get $len))
    (i32.const 1))

  ;; export fn __guest_call -> wapc.handleCall(operation_size, payload_size, &functions)
  (func $__guest_call (export "__guest_call") (param $op_len i32) (param $req_len i32) (result i32)
    (local $op i32) (local $req i32) (local $msg i32)
    (global.set $fba_end (i32.const 0))
    (local.set $op (call $fba_alloc (local.get $op_len)))
    (if (i32.eq (local.get $op) (i32.const -1)) (then (return (i32.const 0))))
    (local.set $req (call $fba_alloc (local.get $req_len)))
    (if (i32.eq (local.get $req) (i32.const -1)) (then (return (i32.const 0))))
    (call $guest_request (local.get $op) (local.get $req))
    (if (call $eq (local.get $op) (local.get $op_len) (i32.const 0x100000) (i32.const 4))
      (then
        (call $guest_response (local.get $req) (local.get $req_len))
        (return (i32.const 1))))
    (if (call $eq (local.get $op) (local.get $op_len) (i32.const 0x100020) (i32.const 4))
      (then
        (call $guest_error (local.get $req) (local.get $req_len))
        (return (i32.const 0))))
    (if (call $eq (local.get $op) (local.get $op_len) (i32.const 0x100040) (i32.const 5))
      (then (return (i32.const 0))))
    (if (call $eq (local.get $op) (local.get $op_len) (i32.const 0x100060) (i32.const 4))
      (then (return (call $op_host (local.get $req) (local.get $req_len)))))
    ;; functionNotFound ++ operation_buf, allocated from the same buffer
    (local.set $msg (call $fba_alloc (i32.add (local.get $op_len) (i32.const 24))))
    (if (i32.eq (local.get $msg) (i32.const -1)) (then (return (i32.const 0))))
    (call $copy (local.get $msg) (i32.const 0x1000c0) (i32.const 24))
    (call $copy (i32.add (local.get $msg) (i32.const 24)) (local.get $op) (local.get $op_len))
    (call $guest_error (local.get $msg) (i32.add (local.get $op_len) (i32.const 24)))
    (i32.const 0))
)
