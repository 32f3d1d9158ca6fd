;; proxy_sdk_go.wat: the shape of a proxy-wasm filter built with the Go SDK
;; (github.com/tetratelabs/proxy-wasm-go-sdk, ABI 0.2.0) and TinyGo, the way
;; its README says:
;;
;;   func main() { proxywasm.SetVMContext(&vmContext{}) }
;;   tinygo build -o main.wasm -scheduler=none -target=wasi ./main.go
;;
;; Sources read (see guests/PROXY_WASM_NOTES.md): tetratelabs/proxy-wasm-go-sdk
;; proxywasm/internal/abi_hostcalls.go, abi_callback_*.go (alloc, configuration,
;; l4, l7, lifecycle, queue, timers, version), abi_enums.go, proxywasm/hostcall.go;
;; envoyproxy/envoy#20483 and proxy-wasm/proxy-wasm-cpp-host#287 (TinyGo modules
;; import fd_prestat_get, fd_prestat_dir_name and path_open).
;;
;; Shape reproduced:
;;   imports  every env.proxy_* function abi_hostcalls.go declares (29: no
;;            time, log level, gRPC, header-map-size or buffer-status calls),
;;            and the WASI functions of TinyGo's runtime and wasi-libc:
;;            fd_write (println, panics), fd_close, fd_prestat_get,
;;            fd_prestat_dir_name, path_open (libc's preopens), clock_time_get,
;;            args_sizes_get/args_get (os.Args), environ_sizes_get/environ_get,
;;            random_get (map hash seed), proc_exit. The set varies with the
;;            TinyGo version.
;;   exports  memory, _start (a WASI command: TinyGo has no reactor here),
;;            malloc, free, calloc, realloc (TinyGo exports them on wasi),
;;            proxy_abi_version_0_2_0, proxy_on_memory_allocate, and the SDK's
;;            //export callbacks, including the ABI 0.1.0 leftovers
;;            proxy_on_request_metadata and proxy_on_response_metadata.
;;   start    _start scans the preopened descriptors (fd_prestat_get from fd 3
;;            until it fails), reads os.Args, seeds the map hash (random_get),
;;            then runs main(), which registers the VM context. It returns
;;            normally (the TinyGo versions this SDK supports; TinyGo 0.35 would
;;            end _start with proc_exit(0)). Without _start, the first callback
;;            dereferences a nil VM context and panics.
;;   panics   like TinyGo: "panic: MESSAGE" written to stdout (fd_write on fd 1),
;;            then unreachable. Messages are the SDK's ("invalid context on
;;            proxy_on_request_headers", ...).
;;   bool     an endOfStream bool parameter is an i32; the bool results of
;;            proxy_on_vm_start, proxy_on_configure and proxy_on_done are i32.
;;
;; The filter (the SDK-based user code, as in the SDK's examples):
;;   on_plugin_start   GetPluginConfiguration: get_buffer_bytes(PLUGIN_CONFIGURATION,
;;                     0, math.MaxInt32); Ok with data, Ok with none or NotFound
;;                     are fine; any other status logs "error reading plugin
;;                     configuration" (critical) and returns false.
;;   request headers   add "x-sdk: go", and "x-sdk-config: CONFIG" when there
;;                     is a configuration; a failed add is logged at critical,
;;                     not fatal; continue.
;; Memory is a bump allocator, reset when the last HTTP context is deleted.
(module $proxy_sdk_go
  (import "env" "proxy_log" (func $proxy_log (param i32 i32 i32) (result i32)))
  (import "env" "proxy_send_local_response" (func $proxy_send_local_response (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_get_shared_data" (func $proxy_get_shared_data (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_set_shared_data" (func $proxy_set_shared_data (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_register_shared_queue" (func $proxy_register_shared_queue (param i32 i32 i32) (result i32)))
  (import "env" "proxy_resolve_shared_queue" (func $proxy_resolve_shared_queue (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_dequeue_shared_queue" (func $proxy_dequeue_shared_queue (param i32 i32 i32) (result i32)))
  (import "env" "proxy_enqueue_shared_queue" (func $proxy_enqueue_shared_queue (param i32 i32 i32) (result i32)))
  (import "env" "proxy_get_header_map_value" (func $proxy_get_header_map_value (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_add_header_map_value" (func $proxy_add_header_map_value (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_replace_header_map_value" (func $proxy_replace_header_map_value (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_remove_header_map_value" (func $proxy_remove_header_map_value (param i32 i32 i32) (result i32)))
  (import "env" "proxy_get_header_map_pairs" (func $proxy_get_header_map_pairs (param i32 i32 i32) (result i32)))
  (import "env" "proxy_set_header_map_pairs" (func $proxy_set_header_map_pairs (param i32 i32 i32) (result i32)))
  (import "env" "proxy_get_buffer_bytes" (func $proxy_get_buffer_bytes (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_set_buffer_bytes" (func $proxy_set_buffer_bytes (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_continue_stream" (func $proxy_continue_stream (param i32) (result i32)))
  (import "env" "proxy_close_stream" (func $proxy_close_stream (param i32) (result i32)))
  (import "env" "proxy_http_call" (func $proxy_http_call (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_call_foreign_function" (func $proxy_call_foreign_function (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_set_tick_period_milliseconds" (func $proxy_set_tick_period_milliseconds (param i32) (result i32)))
  (import "env" "proxy_set_effective_context" (func $proxy_set_effective_context (param i32) (result i32)))
  (import "env" "proxy_done" (func $proxy_done (result i32)))
  (import "env" "proxy_define_metric" (func $proxy_define_metric (param i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_increment_metric" (func $proxy_increment_metric (param i32 i64) (result i32)))
  (import "env" "proxy_record_metric" (func $proxy_record_metric (param i32 i64) (result i32)))
  (import "env" "proxy_get_metric" (func $proxy_get_metric (param i32 i32) (result i32)))
  (import "env" "proxy_get_property" (func $proxy_get_property (param i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_set_property" (func $proxy_set_property (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func $fd_close (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_get" (func $fd_prestat_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_dir_name" (func $fd_prestat_dir_name (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open" (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock_time_get (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $environ_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))

  ;; 0x100..0x1ff: return slots and scratch; 0x1000: strings;
  ;; 0x10000: context ids (65536 x 4 bytes, by id mod 65536);
  ;; 0x50000: kinds (1 plugin, 2 http); 0x60000: heap.
  (memory $memory 7)
  (export "memory" (memory $memory))

  (data (i32.const 0x1000) "x-sdk")
  (data (i32.const 0x1008) "go")
  (data (i32.const 0x1010) "x-sdk-config")
  (data (i32.const 0x1020) "panic: ")
  (data (i32.const 0x1028) "\n")
  (data (i32.const 0x1040) "runtime error: nil pointer dereference")
  (data (i32.const 0x1080) "invalid context id on proxy_on_context_create")
  (data (i32.const 0x10c0) "invalid context on proxy_on_request_headers")
  (data (i32.const 0x1100) "invalid context on proxy_on_delete")
  (data (i32.const 0x1140) "invalid root_context_id")
  (data (i32.const 0x1180) "http_call_response on invalid plugin context")
  (data (i32.const 0x11c0) "invalid context")
  (data (i32.const 0x1200) "invalid context on proxy_on_configure")
  (data (i32.const 0x1240) "error reading plugin configuration")
  (data (i32.const 0x1280) "failed to add request header")
  (data (i32.const 0x12c0) "invalid context id on proxy_on_response_headers")
  (data (i32.const 0x1300) "invalid context on proxy_on_request_body")
  (data (i32.const 0x1340) "invalid context on proxy_on_request_trailers")
  (data (i32.const 0x1380) "invalid context on proxy_on_request_metadata")
  (data (i32.const 0x13c0) "invalid context on proxy_on_response_metadata")

  (global $heap (mut i32) (i32.const 0x60000))
  (global $heap_mark (mut i32) (i32.const 0x60000))
  (global $vm_context (mut i32) (i32.const 0))
  (global $streams (mut i32) (i32.const 0))
  (global $config_ptr (mut i32) (i32.const 0))
  (global $config_len (mut i32) (i32.const 0))

  ;; ---- memory ------------------------------------------------------------------

  (func $alloc (param $size i32) (result i32)
    (local $ptr i32) (local $end i32) (local $have i32)
    (local.set $ptr (i32.and (i32.add (global.get $heap) (i32.const 7)) (i32.const -8)))
    (local.set $end (i32.add (local.get $ptr) (local.get $size)))
    (if (i32.lt_u (local.get $end) (local.get $ptr)) (then (return (i32.const 0))))
    (local.set $have (i32.shl (memory.size) (i32.const 16)))
    (if (i32.gt_u (local.get $end) (local.get $have))
      (then
        (if (i32.eq
              (memory.grow
                (i32.shr_u (i32.add (i32.sub (local.get $end) (local.get $have)) (i32.const 0xffff)) (i32.const 16)))
              (i32.const -1))
          (then (return (i32.const 0))))))
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

  (func $zero (param $dst i32) (param $len i32)
    (local $i i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
        (i32.store8 (i32.add (local.get $dst) (local.get $i)) (i32.const 0))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next))))

  ;; make([]byte, size) and &buf[0]; TinyGo's make of 0 bytes points at a
  ;; zero-size object, so &buf[0] would panic: the SDK never asks for 0.
  (func (export "proxy_on_memory_allocate") (param $size i32) (result i32)
    (local $p i32)
    (local.set $p (call $alloc (local.get $size)))
    (call $zero (local.get $p) (local.get $size))
    (local.get $p))

  ;; TinyGo's C-style allocator exports (a host that prefers "malloc", as
  ;; Envoy's does, allocates here instead).
  (func (export "malloc") (param $size i32) (result i32)
    (call $alloc (local.get $size)))
  (func (export "free") (param $ptr i32))
  (func (export "calloc") (param $count i32) (param $size i32) (result i32)
    (local $p i32) (local $n i32)
    (local.set $n (i32.mul (local.get $count) (local.get $size)))
    (local.set $p (call $alloc (local.get $n)))
    (if (local.get $p) (then (call $zero (local.get $p) (local.get $n))))
    (local.get $p))
  (func (export "realloc") (param $ptr i32) (param $size i32) (result i32)
    (local $p i32) (local $n i32)
    (local.set $p (call $alloc (local.get $size)))
    (if (i32.and (i32.ne (local.get $p) (i32.const 0)) (i32.ne (local.get $ptr) (i32.const 0)))
      (then
        ;; The old size is unknown here: copy what can be, up to the heap's end.
        (local.set $n (i32.sub (local.get $p) (local.get $ptr)))
        (if (i32.gt_u (local.get $n) (local.get $size)) (then (local.set $n (local.get $size))))
        (call $copy (local.get $p) (local.get $ptr) (local.get $n))))
    (local.get $p))

  ;; ---- contexts (the SDK's currentState maps) --------------------------------------

  (func $slot (param $id i32) (result i32)
    (i32.add (i32.const 0x10000) (i32.shl (i32.and (local.get $id) (i32.const 0xffff)) (i32.const 2))))
  (func $kind_at (param $id i32) (result i32)
    (i32.add (i32.const 0x50000) (i32.and (local.get $id) (i32.const 0xffff))))

  (func $live (param $id i32) (param $kind i32) (result i32)
    (if (i32.eqz (local.get $id)) (then (return (i32.const 0))))
    (if (i32.ne (i32.load (call $slot (local.get $id))) (local.get $id)) (then (return (i32.const 0))))
    (if (i32.eqz (local.get $kind)) (then (return (i32.const 1))))
    (i32.eq (i32.load8_u (call $kind_at (local.get $id))) (local.get $kind)))

  (func $insert (param $id i32) (param $kind i32)
    (i32.store (call $slot (local.get $id)) (local.get $id))
    (i32.store8 (call $kind_at (local.get $id)) (local.get $kind)))

  (func $remove (param $id i32)
    (i32.store (call $slot (local.get $id)) (i32.const 0))
    (i32.store8 (call $kind_at (local.get $id)) (i32.const 0)))

  ;; TinyGo's panic: "panic: MESSAGE\n" on stdout, then abort (unreachable).
  (func $panic (param $msg i32) (param $len i32)
    (i32.store (i32.const 0x140) (i32.const 0x1020))
    (i32.store (i32.const 0x144) (i32.const 7))
    (i32.store (i32.const 0x148) (local.get $msg))
    (i32.store (i32.const 0x14c) (local.get $len))
    (i32.store (i32.const 0x150) (i32.const 0x1028))
    (i32.store (i32.const 0x154) (i32.const 1))
    (drop (call $fd_write (i32.const 1) (i32.const 0x140) (i32.const 3) (i32.const 0x160)))
    unreachable)

  (func $require (param $id i32) (param $kind i32) (param $msg i32) (param $len i32)
    (if (i32.eqz (call $live (local.get $id) (local.get $kind)))
      (then (call $panic (local.get $msg) (local.get $len)))))

  (func $require_vm
    (if (i32.eqz (global.get $vm_context))
      (then (call $panic (i32.const 0x1040) (i32.const 38)))))

  ;; ---- start-up -----------------------------------------------------------------------

  (func (export "_start")
    (local $fd i32) (local $argc i32) (local $argv_size i32) (local $argv i32) (local $buf i32)
    ;; wasi-libc: find the preopened directories (fd 3, 4, ... until EBADF).
    (local.set $fd (i32.const 3))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $fd) (i32.const 64)))
        (br_if $done (call $fd_prestat_get (local.get $fd) (i32.const 0x180)))
        (local.set $buf (call $alloc (i32.add (i32.load (i32.const 0x184)) (i32.const 1))))
        (drop (call $fd_prestat_dir_name (local.get $fd) (local.get $buf) (i32.load (i32.const 0x184))))
        (local.set $fd (i32.add (local.get $fd) (i32.const 1)))
        (br $next)))
    ;; os.Args
    (if (i32.eqz (call $args_sizes_get (i32.const 0x188) (i32.const 0x18c)))
      (then
        (local.set $argc (i32.load (i32.const 0x188)))
        (local.set $argv_size (i32.load (i32.const 0x18c)))
        (if (local.get $argc)
          (then
            (local.set $argv (call $alloc (i32.shl (local.get $argc) (i32.const 2))))
            (drop (call $args_get (local.get $argv) (call $alloc (local.get $argv_size))))))))
    ;; the runtime's hash seed
    (drop (call $random_get (i32.const 0x190) (i32.const 8)))
    ;; main(): proxywasm.SetVMContext(&vmContext{})
    (global.set $vm_context (i32.const 1))
    (global.set $heap_mark (global.get $heap)))

  (func (export "proxy_abi_version_0_2_0"))

  ;; ---- lifecycle ------------------------------------------------------------------------

  (func (export "proxy_on_context_create") (param $id i32) (param $plugin i32)
    (if (i32.eqz (local.get $plugin))
      (then
        (call $require_vm) ;; vmContext.NewPluginContext(contextID)
        (call $insert (local.get $id) (i32.const 1))
        (return)))
    (if (i32.eqz (call $live (local.get $plugin) (i32.const 1)))
      (then (call $panic (i32.const 0x1080) (i32.const 45))))
    (call $insert (local.get $id) (i32.const 2))
    (global.set $streams (i32.add (global.get $streams) (i32.const 1))))

  (func (export "proxy_on_log") (param $id i32))

  (func (export "proxy_on_done") (param $id i32) (result i32)
    (i32.const 1))

  (func (export "proxy_on_delete") (param $id i32)
    (call $require (local.get $id) (i32.const 0) (i32.const 0x1100) (i32.const 34))
    (if (i32.eq (i32.load8_u (call $kind_at (local.get $id))) (i32.const 2))
      (then
        (global.set $streams (i32.sub (global.get $streams) (i32.const 1)))
        (if (i32.eqz (global.get $streams)) (then (global.set $heap (global.get $heap_mark))))))
    (call $remove (local.get $id)))

  (func (export "proxy_on_vm_start") (param $unused i32) (param $size i32) (result i32)
    (call $require_vm) ;; currentState.vmContext.OnVMStart(size)
    (i32.const 1))

  (func (export "proxy_on_configure") (param $plugin i32) (param $size i32) (result i32)
    (local $status i32)
    (call $require (local.get $plugin) (i32.const 1) (i32.const 0x1200) (i32.const 37))
    (i32.store (i32.const 0x100) (i32.const 0))
    (i32.store (i32.const 0x104) (i32.const 0))
    (local.set $status
      (call $proxy_get_buffer_bytes (i32.const 7) (i32.const 0) (i32.const 0x7fffffff) (i32.const 0x100) (i32.const 0x104)))
    (global.set $config_ptr (i32.const 0))
    (global.set $config_len (i32.const 0))
    (if (i32.and (i32.ne (local.get $status) (i32.const 0)) (i32.ne (local.get $status) (i32.const 1)))
      (then
        (drop (call $proxy_log (i32.const 5) (i32.const 0x1240) (i32.const 34)))
        (return (i32.const 0))))
    (if (i32.and (i32.eqz (local.get $status)) (i32.ne (i32.load (i32.const 0x100)) (i32.const 0)))
      (then
        (global.set $config_ptr (i32.load (i32.const 0x100)))
        (global.set $config_len (i32.load (i32.const 0x104)))))
    (global.set $heap_mark (global.get $heap))
    (i32.const 1))

  (func (export "proxy_on_tick") (param $plugin i32)
    (call $require (local.get $plugin) (i32.const 1) (i32.const 0x1140) (i32.const 23)))

  (func (export "proxy_on_queue_ready") (param $plugin i32) (param $queue i32)
    (call $require (local.get $plugin) (i32.const 1) (i32.const 0x11c0) (i32.const 15)))

  ;; ---- HTTP -------------------------------------------------------------------------------

  (func $add_header (param $key i32) (param $key_len i32) (param $value i32) (param $value_len i32)
    (if (call $proxy_add_header_map_value (i32.const 0) (local.get $key) (local.get $key_len)
          (local.get $value) (local.get $value_len))
      (then (drop (call $proxy_log (i32.const 5) (i32.const 0x1280) (i32.const 28))))))

  (func (export "proxy_on_request_headers") (param $id i32) (param $headers i32) (param $eos i32) (result i32)
    (call $require (local.get $id) (i32.const 2) (i32.const 0x10c0) (i32.const 43))
    (call $add_header (i32.const 0x1000) (i32.const 5) (i32.const 0x1008) (i32.const 2))
    (if (global.get $config_len)
      (then (call $add_header (i32.const 0x1010) (i32.const 12) (global.get $config_ptr) (global.get $config_len))))
    (i32.const 0))

  (func (export "proxy_on_request_metadata") (param $id i32) (param $elements i32) (result i32)
    (call $require (local.get $id) (i32.const 2) (i32.const 0x1380) (i32.const 44))
    (i32.const 0))

  (func (export "proxy_on_request_body") (param $id i32) (param $size i32) (param $eos i32) (result i32)
    (call $require (local.get $id) (i32.const 2) (i32.const 0x1300) (i32.const 40))
    (i32.const 0))

  (func (export "proxy_on_request_trailers") (param $id i32) (param $trailers i32) (result i32)
    (call $require (local.get $id) (i32.const 2) (i32.const 0x1340) (i32.const 44))
    (i32.const 0))

  (func (export "proxy_on_response_headers") (param $id i32) (param $headers i32) (param $eos i32) (result i32)
    (call $require (local.get $id) (i32.const 2) (i32.const 0x12c0) (i32.const 47))
    (i32.const 0))

  (func (export "proxy_on_response_metadata") (param $id i32) (param $elements i32) (result i32)
    (call $require (local.get $id) (i32.const 2) (i32.const 0x13c0) (i32.const 45))
    (i32.const 0))

  ;; (the SDK reuses the response-headers message in these two)
  (func (export "proxy_on_response_body") (param $id i32) (param $size i32) (param $eos i32) (result i32)
    (call $require (local.get $id) (i32.const 2) (i32.const 0x12c0) (i32.const 47))
    (i32.const 0))

  (func (export "proxy_on_response_trailers") (param $id i32) (param $trailers i32) (result i32)
    (call $require (local.get $id) (i32.const 2) (i32.const 0x12c0) (i32.const 47))
    (i32.const 0))

  (func (export "proxy_on_http_call_response") (param $plugin i32) (param $callout i32) (param $headers i32) (param $body i32) (param $trailers i32)
    (call $require (local.get $plugin) (i32.const 1) (i32.const 0x1180) (i32.const 44))
    ;; no callout was dispatched: "invalid callout id"
    (call $panic (i32.const 0x1180) (i32.const 44)))

  ;; ---- TCP: an HTTP filter has no TCP contexts --------------------------------------------

  (func (export "proxy_on_new_connection") (param $id i32) (result i32)
    (call $require (local.get $id) (i32.const 3) (i32.const 0x11c0) (i32.const 15))
    (i32.const 0))

  (func (export "proxy_on_downstream_data") (param $id i32) (param $size i32) (param $eos i32) (result i32)
    (call $require (local.get $id) (i32.const 3) (i32.const 0x11c0) (i32.const 15))
    (i32.const 0))

  (func (export "proxy_on_downstream_connection_close") (param $id i32) (param $peer i32)
    (call $require (local.get $id) (i32.const 3) (i32.const 0x11c0) (i32.const 15)))

  (func (export "proxy_on_upstream_data") (param $id i32) (param $size i32) (param $eos i32) (result i32)
    (call $require (local.get $id) (i32.const 3) (i32.const 0x11c0) (i32.const 15))
    (i32.const 0))

  (func (export "proxy_on_upstream_connection_close") (param $id i32) (param $peer i32)
    (call $require (local.get $id) (i32.const 3) (i32.const 0x11c0) (i32.const 15)))
)
