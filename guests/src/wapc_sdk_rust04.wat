;; wapc_sdk_rust04.wat: the shape of a waPC guest built with the Rust SDK
;; `wapc-guest` 0.4 (lazy_static registry, before the 1.0 protocol.rs split)
;; as a wasm32-wasi *binary* crate, the way its examples were written:
;;
;;   fn main() {}
;;   #[no_mangle] pub extern "C" fn wapc_init() { register_function("echo", echo); ... }
;;   cargo build --target wasm32-wasi --release
;;
;; Sources read (see guests/WAPC_NOTES.md): wapc-guest 0.4-era src/lib.rs
;; (lazy_static REGISTRY; found in the code index), errors.rs of the 0.x line
;; (tearust/wapc-guest-rust src/errors.rs: HostError displays "Host error: .."),
;; docs.rs wapc-guest 0.4.0 (item list, wapc_init example),
;; tarmac-project/tarmac example/hello/src/main.rs (fn main + wapc_init),
;; wapc/wapc-rs crates/wasmtime-provider/src/provider.rs (start-up order).
;;
;; Shape reproduced:
;;   imports  the nine `wapc` functions (usize = i32) and the WASI functions a
;;            Rust std binary pulls in: args_sizes_get/args_get (wasi-libc's
;;            __main_void), random_get (HashMap's RandomState seeds the
;;            registry), fd_write (panic/stdio), proc_exit (crt1 exits only
;;            when main returns non-zero), environ_sizes_get/environ_get (std::env)
;;   exports  memory, _start, __guest_call, wapc_init (no __heap_base/__data_end:
;;            a wasi binary does not export them)
;;   start    _start is wasi-libc's crt1-command: traps if called twice, reads
;;            the args, runs the empty main, returns normally (no proc_exit for
;;            exit code 0). Then the host calls wapc_init, which creates the
;;            registry (random_get) and registers the handlers. Reference hosts
;;            call _start then wapc_init.
;;   memory   17 pages: 1 MiB stack, then static data, then the heap
;;   Vecs     Vec::with_capacity(0) hands the host the dangling pointer 1
;;
;; Operations, with the 0.4 wordings (which differ from 1.x):
;;   echo     responds with the payload
;;   fail     handler returns Err(payload): "Guest call failed: <payload>", 0
;;   log      console_log(payload), responds with nothing (empty Vec)
;;   host     host_call("default", "wasmton:test", "echo", payload): responds
;;            with the host's response; on failure
;;            "Guest call failed: Host error: <__host_error bytes>", 0
;;   other    No handler registered for function "<op>" (quoted), 0
;; (0.4 also unwrap()s the operation as UTF-8: a non-UTF-8 operation name
;; panics, i.e. prints to fd 2 and traps. Not reproduced here.)
(module $wapc_sdk_rust04
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $environ_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
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

  (memory $memory 17)
  (export "memory" (memory $memory))

  ;; Static data after the 1 MiB stack, one 64-byte slot per string.
  (data (i32.const 0x100000) "echo")
  (data (i32.const 0x100040) "fail")
  (data (i32.const 0x100080) "host")
  (data (i32.const 0x1000c0) "log")
  (data (i32.const 0x100100) "default")
  (data (i32.const 0x100140) "wasmton:test")
  (data (i32.const 0x100180) "No handler registered for function \"")
  (data (i32.const 0x1001c0) "Guest call failed: Host error: ")

  (global $__stack_pointer (mut i32) (i32.const 0x100000))
  (global $__heap_base i32 (i32.const 0x100240))
  ;; crt1-command's "started" flag
  (global $started (mut i32) (i32.const 0))

  ;; REGISTRY: 0 = lazy_static not yet initialised, 1 = initialised (empty),
  ;; 2 = handlers registered by wapc_init.
  (global $registry (mut i32) (i32.const 0))
  ;; Bump allocator; every buffer is dropped by the end of __guest_call, so the
  ;; heap starts over at each call.
  (global $heap (mut i32) (i32.const 0x100240))

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

  ;; wasi-libc crt1-command.c _start: __wasm_call_ctors, __main_void (args),
  ;; main, __wasm_call_dtors; exit(r) only if r != 0.
  (func $_start (export "_start")
    (local $argc i32)
    (if (global.get $started) (then unreachable))
    (global.set $started (i32.const 1))
    ;; __main_void: argc and argv_buf_size into the top of the stack
    (if (call $args_sizes_get (i32.const 0xfff0) (i32.const 0xfff4))
      (then (call $proc_exit (i32.const 71)) unreachable))
    (local.set $argc (i32.load (i32.const 0xfff0)))
    (if (local.get $argc)
      (then
        ;; argv[] and the strings: room enough for this mirror, else skip
        (if (i32.le_u (i32.add (i32.shl (local.get $argc) (i32.const 2)) (i32.load (i32.const 0xfff4))) (i32.const 0xf000))
          (then (drop (call $args_get (i32.const 0x1000) (i32.add (i32.const 0x1000) (i32.shl (local.get $argc) (i32.const 2)))))))))
    ;; fn main() {} returns 0: no proc_exit
  )

  ;; REGISTRY's lazy_static initialiser: HashMap::new() seeds RandomState.
  (func $registry_init
    (if (i32.eqz (global.get $registry))
      (then
        (drop (call $random_get (i32.const 0xffe0) (i32.const 16)))
        (global.set $registry (i32.const 1)))))

  ;; #[no_mangle] pub extern "C" fn wapc_init() { register_function(...) x4 }
  (func $wapc_init (export "wapc_init")
    (call $registry_init)
    (global.set $registry (i32.const 2)))

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
        ;; format!("Guest call failed: {}", Err(HostError(String::from_utf8(buf).unwrap())))
        (call $error_with_prefix (i32.const 0x1001c0) (i32.const 31) (local.get $buf) (local.get $len))
        (return (i32.const 0))))
    (local.set $len (call $host_response_len))
    (local.set $buf (call $vec (local.get $len)))
    (call $host_response (local.get $buf))
    (call $guest_response (local.get $buf) (local.get $len))
    (i32.const 1))

  (func $__guest_call (export "__guest_call") (param $op_len i32) (param $req_len i32) (result i32)
    (local $req i32) (local $op i32) (local $msg i32)
    (global.set $heap (global.get $__heap_base))
    (local.set $req (call $vec (local.get $req_len)))
    (local.set $op (call $vec (local.get $op_len)))
    (call $guest_request (local.get $op) (local.get $req))
    (call $registry_init)
    (if (i32.eq (global.get $registry) (i32.const 2))
      (then
        (if (call $eq (local.get $op) (local.get $op_len) (i32.const 0x100000) (i32.const 4))
          (then
            (call $guest_response (local.get $req) (local.get $req_len))
            (return (i32.const 1))))
        (if (call $eq (local.get $op) (local.get $op_len) (i32.const 0x100040) (i32.const 4))
          (then
            ;; format!("Guest call failed: {}", e)
            (call $error_with_prefix (i32.const 0x1001c0) (i32.const 19) (local.get $req) (local.get $req_len))
            (return (i32.const 0))))
        (if (call $eq (local.get $op) (local.get $op_len) (i32.const 0x1000c0) (i32.const 3))
          (then
            (call $console_log (local.get $req) (local.get $req_len))
            (call $guest_response (i32.const 1) (i32.const 0))
            (return (i32.const 1))))
        (if (call $eq (local.get $op) (local.get $op_len) (i32.const 0x100080) (i32.const 4))
          (then (return (call $op_host (local.get $req) (local.get $req_len)))))))
    ;; format!("No handler registered for function \"{}\"", opstr)
    (local.set $msg (call $vec (i32.add (local.get $op_len) (i32.const 37))))
    (call $copy (local.get $msg) (i32.const 0x100180) (i32.const 36))
    (call $copy (i32.add (local.get $msg) (i32.const 36)) (local.get $op) (local.get $op_len))
    (i32.store8 (i32.add (i32.add (local.get $msg) (i32.const 36)) (local.get $op_len)) (i32.const 0x22))
    (call $guest_error (local.get $msg) (i32.add (local.get $op_len) (i32.const 37)))
    (i32.const 0))
)
