;; wapc_sdk_tinygo.wat: the shape of a waPC guest built with the TinyGo SDK
;; github.com/wapc/wapc-guest-tinygo, compiled the way its README says:
;;
;;   func main() { wapc.RegisterFunctions(wapc.Functions{"echo": echo, ...}) }
;;   tinygo build -o guest.wasm -scheduler=none --no-debug -target=wasi main.go
;;
;; with TinyGo 0.35's start-up, whose _start ends in proc_exit(0) after main.
;;
;; Sources read (see guests/WAPC_NOTES.md): wapc/wapc-guest-tinygo wapc.go,
;; imports_webassembly.go, README.md, internal/e2e/Makefile;
;; tinygo-org/tinygo src/runtime/runtime_wasip1.go, runtime_tinygowasm.go,
;; scheduler_none.go; tinygo-org/tinygo issues #4721 and #4726 (0.35 calls
;; proc_exit(0) at the end of _start); wapc/wapc-rs
;; crates/wasmtime-provider/src/provider.rs (ignores a WASI exit 0 from _start).
;;
;; Shape reproduced:
;;   imports  the nine `wapc` functions (//go:wasm-module wapc, uint32/uintptr
;;            = i32, bool result = i32) and the WASI functions the TinyGo
;;            runtime and wasi-libc use: fd_write (println/panic), clock_time_get
;;            (time), args_sizes_get/args_get (os.Args), environ_sizes_get/
;;            environ_get (wasi-libc environ), random_get (map hash seed),
;;            proc_exit. The exact set varies with the TinyGo version.
;;   exports  memory, _start, __guest_call, and malloc/free/calloc/realloc
;;            (TinyGo 0.2x exports them on wasi)
;;   start    _start: runtime init (reads args, seeds the hash map), main()
;;            registers the handlers, then proc_exit(0) (TinyGo 0.35; earlier
;;            versions just return). A host must call _start, treat that exit 0
;;            as success and keep using the instance; without _start every
;;            operation is unknown.
;;   memory   2 pages: 64 KiB stack, then data, then the heap
;;   slices   a nil slice is pointer 0 (log responds __guest_response(0, 0));
;;            make([]byte, 0) points at one static zero-size object
;;
;; Operations, with the SDK's own wordings:
;;   echo     responds with the payload
;;   fail     handler returns errors.New(payload): __guest_error(payload), 0
;;   log      wapc.ConsoleLog(payload), returns (nil, nil)
;;   host     wapc.HostCall("default", "wasmton:test", "echo", payload):
;;            responds with the host's response; on failure the HostError's
;;            "Host error: <__host_error bytes>", 0
;;   other    Could not find function "<op>", 0
(module $wapc_sdk_tinygo
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock_time_get (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $environ_get (param i32 i32) (result i32)))
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
  (data (i32.const 0x10000) "echo")
  (data (i32.const 0x10020) "fail")
  (data (i32.const 0x10040) "host")
  (data (i32.const 0x10060) "log")
  (data (i32.const 0x10080) "default")
  (data (i32.const 0x100a0) "wasmton:test")
  (data (i32.const 0x100c0) "Could not find function \"")
  (data (i32.const 0x100e0) "Host error: ")
  ;; 0x10100: runtime scratch (args sizes, hash seed); 0x10120: zero-size object
  (global $zero_size_alloc i32 (i32.const 0x10120))
  (global $heap_start i32 (i32.const 0x10200))

  (global $__stack_pointer (mut i32) (i32.const 0x10000))
  ;; allFunctions: filled by main().
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

  ;; libc-style allocator exports (the host never needs them)
  (func $malloc (export "malloc") (param $size i32) (result i32)
    (call $alloc (local.get $size)))
  (func $free (export "free") (param $ptr i32))
  (func $calloc (export "calloc") (param $n i32) (param $size i32) (result i32)
    (call $alloc (i32.mul (local.get $n) (local.get $size))))
  (func $realloc (export "realloc") (param $ptr i32) (param $size i32) (result i32)
    (local $new i32)
    (local.set $new (call $alloc (local.get $size)))
    (if (local.get $ptr) (then (call $copy (local.get $new) (local.get $ptr) (local.get $size))))
    (local.get $new))

  ;; runtime_wasip1.go _start: runtimeInitialize (heap, package inits: os.Args,
  ;; the map hash seed), run() -> main.main(), then TinyGo 0.35's exit(0).
  (func $_start (export "_start")
    (drop (call $args_sizes_get (i32.const 0x10100) (i32.const 0x10104)))
    (drop (call $random_get (i32.const 0x10108) (i32.const 8)))
    ;; main: wapc.RegisterFunctions(...)
    (global.set $registered (i32.const 1))
    (call $proc_exit (i32.const 0))
    unreachable)

  ;; wapc.HostCall(...) in the `host` handler
  (func $op_host (param $req i32) (param $req_len i32) (result i32)
    (local $len i32) (local $buf i32) (local $msg i32)
    (if (i32.eqz
          (call $host_call
            (i32.const 0x10080) (i32.const 7)
            (i32.const 0x100a0) (i32.const 12)
            (i32.const 0x10000) (i32.const 4)
            (local.get $req) (local.get $req_len)))
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

  ;; //go:export __guest_call  func guestCall(operationSize, payloadSize uint32) bool
  (func $__guest_call (export "__guest_call") (param $op_len i32) (param $req_len i32) (result i32)
    (local $op i32) (local $req i32) (local $msg i32)
    (global.set $heap (global.get $heap_start))
    (local.set $op (call $alloc (local.get $op_len)))
    (local.set $req (call $alloc (local.get $req_len)))
    (call $guest_request (local.get $op) (local.get $req))
    (if (global.get $registered)
      (then
        (if (call $eq (local.get $op) (local.get $op_len) (i32.const 0x10000) (i32.const 4))
          (then
            (call $guest_response (local.get $req) (local.get $req_len))
            (return (i32.const 1))))
        (if (call $eq (local.get $op) (local.get $op_len) (i32.const 0x10020) (i32.const 4))
          (then
            (call $guest_error (local.get $req) (local.get $req_len))
            (return (i32.const 0))))
        (if (call $eq (local.get $op) (local.get $op_len) (i32.const 0x10060) (i32.const 3))
          (then
            (call $console_log (local.get $req) (local.get $req_len))
            ;; return nil, nil: guestResponse(bytesToPointer(nil), 0)
            (call $guest_response (i32.const 0) (i32.const 0))
            (return (i32.const 1))))
        (if (call $eq (local.get $op) (local.get $op_len) (i32.const 0x10040) (i32.const 4))
          (then (return (call $op_host (local.get $req) (local.get $req_len)))))))
    ;; `Could not find function "` + string(operation) + `"`
    (local.set $msg (call $alloc (i32.add (local.get $op_len) (i32.const 26))))
    (call $copy (local.get $msg) (i32.const 0x100c0) (i32.const 25))
    (call $copy (i32.add (local.get $msg) (i32.const 25)) (local.get $op) (local.get $op_len))
    (i32.store8 (i32.add (i32.add (local.get $msg) (i32.const 25)) (local.get $op_len)) (i32.const 0x22))
    (call $guest_error (local.get $msg) (i32.add (local.get $op_len) (i32.const 26)))
    (i32.const 0))
)
