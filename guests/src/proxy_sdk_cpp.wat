;; proxy_sdk_cpp.wat: the shape of a proxy-wasm filter built with the C++ SDK
;; (proxy-wasm/proxy-wasm-cpp-sdk, ABI 0.2.1) and Emscripten, the way its
;; bazel/defs.bzl links it:
;;
;;   static RegisterContextFactory register_Example(CONTEXT_FACTORY(ExampleContext),
;;                                                  ROOT_FACTORY(ExampleRootContext), "");
;;   em++ ... --no-entry -sSTANDALONE_WASM -sEXPORTED_FUNCTIONS=_malloc
;;        --js-library=proxy_wasm_intrinsics.js  (the SDK adds -sALLOW_MEMORY_GROWTH)
;;
;; Sources read (see guests/PROXY_WASM_NOTES.md): proxy-wasm/proxy-wasm-cpp-sdk
;; proxy_wasm_externs.h, proxy_wasm_intrinsics.js, proxy_wasm_intrinsics.cc,
;; proxy_wasm_api.h, proxy_wasm_common.h, bazel/defs.bzl, Makefile.base_lite;
;; proxy-wasm/proxy-wasm-cpp-host include/proxy-wasm/exports.h and src/wasm.cc
;; (the host provides env.emscripten_notify_memory_growth and env.pthread_equal
;; for Emscripten modules); proxy-wasm/proxy-wasm-cpp-sdk#195 and
;; proxy-wasm/proxy-wasm-cpp-host#461 (memory growth in the SDK's builds).
;;
;; Shape reproduced:
;;   imports  every env.proxy_* function proxy_wasm_intrinsics.js lists (41,
;;            among them proxy_get_configuration and proxy_clear_route_cache,
;;            which Envoy registers for ABI 0.1.0 modules only),
;;            env.emscripten_notify_memory_growth (called after memory.grow),
;;            and the WASI functions of Emscripten's standalone libc: fd_write,
;;            fd_close, fd_seek, proc_exit, environ_sizes_get/environ_get,
;;            clock_time_get. The exact set varies with the Emscripten version.
;;   exports  memory, __indirect_function_table, _initialize (the standalone
;;            reactor: global constructors, which register the context
;;            factories), malloc (EXPORTED_FUNCTIONS=_malloc; there is NO
;;            proxy_on_memory_allocate, so the host must fall back to malloc),
;;            Emscripten's stack helpers, proxy_abi_version_0_2_1 and the
;;            callbacks proxy_wasm_intrinsics.cc exports, including
;;            proxy_validate_configuration and the ABI 0.1.0 leftovers
;;            proxy_on_request_metadata / proxy_on_response_metadata.
;;   root     proxy_on_context_create(root, 0) asks the host for the property
;;            "plugin_root_id" (one segment, no NUL) and aborts unless the host
;;            answers Ok (CHECK_RESULT: a critical proxy_log line naming the
;;            call, then a trap). The factories are registered for the root id
;;            "": with any other plugin_root_id the SDK builds its default
;;            root and stream contexts, which do nothing (no header is added).
;;   unknown  context ids are null pointers in the SDK: a trap.
;;
;; The filter (ExampleRootContext / ExampleContext):
;;   onConfigure       getBufferBytes(PluginConfiguration, 0, configuration_size),
;;                     status ignored as the SDK does; returns true.
;;   onRequestHeaders  addRequestHeader("x-sdk", "cpp"), and "x-sdk-config:
;;                     CONFIG" when the configuration is not empty (statuses
;;                     ignored); FilterHeadersStatus::Continue.
;; Memory is a bump allocator, reset when the last stream context is deleted.
(module $proxy_sdk_cpp
  (import "env" "proxy_get_configuration" (func $proxy_get_configuration (param i32 i32) (result i32)))
  (import "env" "proxy_log" (func $proxy_log (param i32 i32 i32) (result i32)))
  (import "env" "proxy_get_log_level" (func $proxy_get_log_level (param i32) (result i32)))
  (import "env" "proxy_set_tick_period_milliseconds" (func $proxy_set_tick_period_milliseconds (param i32) (result i32)))
  (import "env" "proxy_get_current_time_nanoseconds" (func $proxy_get_current_time_nanoseconds (param i32) (result i32)))
  (import "env" "proxy_get_status" (func $proxy_get_status (param i32 i32 i32) (result i32)))
  (import "env" "proxy_get_property" (func $proxy_get_property (param i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_set_property" (func $proxy_set_property (param i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_continue_stream" (func $proxy_continue_stream (param i32) (result i32)))
  (import "env" "proxy_close_stream" (func $proxy_close_stream (param i32) (result i32)))
  (import "env" "proxy_clear_route_cache" (func $proxy_clear_route_cache (result i32)))
  (import "env" "proxy_add_header_map_value" (func $proxy_add_header_map_value (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_get_header_map_value" (func $proxy_get_header_map_value (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_get_header_map_pairs" (func $proxy_get_header_map_pairs (param i32 i32 i32) (result i32)))
  (import "env" "proxy_set_header_map_pairs" (func $proxy_set_header_map_pairs (param i32 i32 i32) (result i32)))
  (import "env" "proxy_get_header_map_size" (func $proxy_get_header_map_size (param i32 i32) (result i32)))
  (import "env" "proxy_get_shared_data" (func $proxy_get_shared_data (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_set_shared_data" (func $proxy_set_shared_data (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_register_shared_queue" (func $proxy_register_shared_queue (param i32 i32 i32) (result i32)))
  (import "env" "proxy_resolve_shared_queue" (func $proxy_resolve_shared_queue (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_enqueue_shared_queue" (func $proxy_enqueue_shared_queue (param i32 i32 i32) (result i32)))
  (import "env" "proxy_dequeue_shared_queue" (func $proxy_dequeue_shared_queue (param i32 i32 i32) (result i32)))
  (import "env" "proxy_replace_header_map_value" (func $proxy_replace_header_map_value (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_remove_header_map_value" (func $proxy_remove_header_map_value (param i32 i32 i32) (result i32)))
  (import "env" "proxy_get_buffer_bytes" (func $proxy_get_buffer_bytes (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_get_buffer_status" (func $proxy_get_buffer_status (param i32 i32 i32) (result i32)))
  (import "env" "proxy_set_buffer_bytes" (func $proxy_set_buffer_bytes (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_http_call" (func $proxy_http_call (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_define_metric" (func $proxy_define_metric (param i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_increment_metric" (func $proxy_increment_metric (param i32 i64) (result i32)))
  (import "env" "proxy_record_metric" (func $proxy_record_metric (param i32 i64) (result i32)))
  (import "env" "proxy_get_metric" (func $proxy_get_metric (param i32 i32) (result i32)))
  (import "env" "proxy_grpc_call" (func $proxy_grpc_call (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_grpc_stream" (func $proxy_grpc_stream (param i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_grpc_send" (func $proxy_grpc_send (param i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_grpc_close" (func $proxy_grpc_close (param i32) (result i32)))
  (import "env" "proxy_grpc_cancel" (func $proxy_grpc_cancel (param i32) (result i32)))
  (import "env" "proxy_send_local_response" (func $proxy_send_local_response (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_set_effective_context" (func $proxy_set_effective_context (param i32) (result i32)))
  (import "env" "proxy_done" (func $proxy_done (result i32)))
  (import "env" "proxy_call_foreign_function" (func $proxy_call_foreign_function (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "emscripten_notify_memory_growth" (func $emscripten_notify_memory_growth (param i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func $fd_close (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_seek" (func $fd_seek (param i32 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $environ_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock_time_get (param i32 i64 i32) (result i32)))

  ;; 0x100..0x10f: return slots; 0x1000: strings; 0x2000..0xffff: stack;
  ;; 0x10000: context ids (65536 x 4 bytes, by id mod 65536); 0x50000: kinds
  ;; (low nibble 1 root, 2 stream; 0x10 set for the SDK's default, do-nothing
  ;; contexts); 0x60000: heap.
  (memory $memory 7)
  (export "memory" (memory $memory))
  (table $__indirect_function_table 1 funcref)
  (export "__indirect_function_table" (table $__indirect_function_table))

  (data (i32.const 0x1000) "x-sdk")
  (data (i32.const 0x1008) "cpp")
  (data (i32.const 0x1010) "x-sdk-config")
  (data (i32.const 0x1020) "plugin_root_id")
  (data (i32.const 0x1040) "proxy_get_property(\"plugin_root_id\", sizeof(\"plugin_root_id\") - 1, &root_id_ptr, &root_id_size)")

  (global $__stack_pointer (mut i32) (i32.const 0x10000))
  (global $heap (mut i32) (i32.const 0x60000))
  (global $heap_mark (mut i32) (i32.const 0x60000))
  (global $registered (mut i32) (i32.const 0))
  (global $streams (mut i32) (i32.const 0))
  (global $config_ptr (mut i32) (i32.const 0))
  (global $config_len (mut i32) (i32.const 0))

  ;; ---- memory (Emscripten's malloc over sbrk) -----------------------------------------

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
          (then (return (i32.const 0))))
        (call $emscripten_notify_memory_growth (i32.const 0))))
    (global.set $heap (local.get $end))
    (local.get $ptr))

  (func (export "malloc") (param $size i32) (result i32)
    (call $alloc (local.get $size)))

  (func (export "_emscripten_stack_restore") (param $sp i32)
    (global.set $__stack_pointer (local.get $sp)))
  (func (export "_emscripten_stack_alloc") (param $size i32) (result i32)
    (global.set $__stack_pointer
      (i32.and (i32.sub (global.get $__stack_pointer) (local.get $size)) (i32.const -16)))
    (global.get $__stack_pointer))
  (func (export "emscripten_stack_get_current") (result i32)
    (global.get $__stack_pointer))

  ;; ---- contexts (the SDK's context_map) ------------------------------------------------

  (func $slot (param $id i32) (result i32)
    (i32.add (i32.const 0x10000) (i32.shl (i32.and (local.get $id) (i32.const 0xffff)) (i32.const 2))))
  (func $kind_at (param $id i32) (result i32)
    (i32.add (i32.const 0x50000) (i32.and (local.get $id) (i32.const 0xffff))))

  ;; 1 if $id is live and (for $kind 1 or 2) of that kind, default or not.
  (func $live (param $id i32) (param $kind i32) (result i32)
    (if (i32.eqz (local.get $id)) (then (return (i32.const 0))))
    (if (i32.ne (i32.load (call $slot (local.get $id))) (local.get $id)) (then (return (i32.const 0))))
    (if (i32.eqz (local.get $kind)) (then (return (i32.const 1))))
    (i32.eq (i32.and (i32.load8_u (call $kind_at (local.get $id))) (i32.const 0x0f)) (local.get $kind)))

  ;; 1 if $id is one of the filter's own contexts (not an SDK default).
  (func $ours (param $id i32) (result i32)
    (i32.eqz (i32.and (i32.load8_u (call $kind_at (local.get $id))) (i32.const 0x10))))

  (func $insert (param $id i32) (param $kind i32)
    (i32.store (call $slot (local.get $id)) (local.get $id))
    (i32.store8 (call $kind_at (local.get $id)) (local.get $kind)))

  (func $remove (param $id i32)
    (i32.store (call $slot (local.get $id)) (i32.const 0))
    (i32.store8 (call $kind_at (local.get $id)) (i32.const 0)))

  ;; A null context pointer: the call through its vtable traps.
  (func $require (param $id i32) (param $kind i32)
    (if (i32.eqz (call $live (local.get $id) (local.get $kind))) (then unreachable)))

  ;; ---- integration -----------------------------------------------------------------------

  (func (export "proxy_abi_version_0_2_1"))

  ;; Emscripten's standalone reactor entry: global constructors, among them the
  ;; filter's RegisterContextFactory (root id "").
  (func (export "_initialize")
    (global.set $registered (i32.const 1)))

  ;; ---- lifecycle --------------------------------------------------------------------------

  (func (export "proxy_on_context_create") (param $id i32) (param $parent i32)
    (local $kind i32)
    (if (local.get $parent)
      (then
        ;; ensureContext: context_map[parent]->asRoot(), then the root id's factory
        (call $require (local.get $parent) (i32.const 1))
        (local.set $kind (i32.const 2))
        (if (i32.eqz (call $ours (local.get $parent))) (then (local.set $kind (i32.const 0x12))))
        (if (i32.eqz (call $live (local.get $id) (i32.const 0)))
          (then
            (call $insert (local.get $id) (local.get $kind))
            (global.set $streams (i32.add (global.get $streams) (i32.const 1)))))
        (return)))
    ;; ensureRootContext
    (if (call $live (local.get $id) (i32.const 1)) (then (return)))
    (i32.store (i32.const 0x100) (i32.const 0))
    (i32.store (i32.const 0x104) (i32.const 0))
    (if (call $proxy_get_property (i32.const 0x1020) (i32.const 14) (i32.const 0x100) (i32.const 0x104))
      (then
        ;; CHECK_RESULT: logCritical(#call) and abort()
        (drop (call $proxy_log (i32.const 5) (i32.const 0x1040) (i32.const 95)))
        unreachable))
    (local.set $kind (i32.const 0x11))
    (if (i32.and (global.get $registered) (i32.eqz (i32.load (i32.const 0x104))))
      (then (local.set $kind (i32.const 1))))
    (call $insert (local.get $id) (local.get $kind)))

  (func (export "proxy_on_done") (param $id i32) (result i32)
    (call $require (local.get $id) (i32.const 0))
    (i32.const 1))

  (func (export "proxy_on_log") (param $id i32)
    (call $require (local.get $id) (i32.const 0)))

  (func (export "proxy_on_delete") (param $id i32)
    (call $require (local.get $id) (i32.const 0))
    (if (call $live (local.get $id) (i32.const 2))
      (then
        (global.set $streams (i32.sub (global.get $streams) (i32.const 1)))
        (if (i32.eqz (global.get $streams)) (then (global.set $heap (global.get $heap_mark))))))
    (call $remove (local.get $id)))

  ;; ---- configuration ------------------------------------------------------------------

  (func (export "proxy_on_vm_start") (param $root i32) (param $size i32) (result i32)
    (call $require (local.get $root) (i32.const 1))
    (i32.const 1))

  (func (export "proxy_validate_configuration") (param $root i32) (param $size i32) (result i32)
    (call $require (local.get $root) (i32.const 1))
    (i32.const 1))

  (func (export "proxy_on_configure") (param $root i32) (param $size i32) (result i32)
    (call $require (local.get $root) (i32.const 1))
    (if (call $ours (local.get $root))
      (then
        (i32.store (i32.const 0x100) (i32.const 0))
        (i32.store (i32.const 0x104) (i32.const 0))
        (drop (call $proxy_get_buffer_bytes (i32.const 7) (i32.const 0) (local.get $size) (i32.const 0x100) (i32.const 0x104)))
        (global.set $config_ptr (i32.load (i32.const 0x100)))
        (global.set $config_len (i32.load (i32.const 0x104)))
        (if (i32.eqz (global.get $config_ptr)) (then (global.set $config_len (i32.const 0))))
        (global.set $heap_mark (global.get $heap))))
    (i32.const 1))

  (func (export "proxy_on_tick") (param $root i32)
    (call $require (local.get $root) (i32.const 1)))

  (func (export "proxy_on_queue_ready") (param $root i32) (param $token i32)
    (call $require (local.get $root) (i32.const 1)))

  (func (export "proxy_on_foreign_function") (param $id i32) (param $function i32) (param $size i32)
    (call $require (local.get $id) (i32.const 0)))

  ;; ---- HTTP -------------------------------------------------------------------------------

  (func (export "proxy_on_request_headers") (param $id i32) (param $headers i32) (param $eos i32) (result i32)
    (call $require (local.get $id) (i32.const 2))
    (if (call $ours (local.get $id))
      (then
        (drop (call $proxy_add_header_map_value (i32.const 0) (i32.const 0x1000) (i32.const 5) (i32.const 0x1008) (i32.const 3)))
        (if (global.get $config_len)
          (then
            (drop (call $proxy_add_header_map_value (i32.const 0) (i32.const 0x1010) (i32.const 12)
              (global.get $config_ptr) (global.get $config_len)))))))
    (i32.const 0))

  (func (export "proxy_on_request_metadata") (param $id i32) (param $elements i32) (result i32)
    (call $require (local.get $id) (i32.const 2))
    (i32.const 0))

  (func (export "proxy_on_request_body") (param $id i32) (param $size i32) (param $eos i32) (result i32)
    (call $require (local.get $id) (i32.const 2))
    (i32.const 0))

  (func (export "proxy_on_request_trailers") (param $id i32) (param $trailers i32) (result i32)
    (call $require (local.get $id) (i32.const 2))
    (i32.const 0))

  (func (export "proxy_on_response_headers") (param $id i32) (param $headers i32) (param $eos i32) (result i32)
    (call $require (local.get $id) (i32.const 2))
    (i32.const 0))

  (func (export "proxy_on_response_metadata") (param $id i32) (param $elements i32) (result i32)
    (call $require (local.get $id) (i32.const 2))
    (i32.const 0))

  (func (export "proxy_on_response_body") (param $id i32) (param $size i32) (param $eos i32) (result i32)
    (call $require (local.get $id) (i32.const 2))
    (i32.const 0))

  (func (export "proxy_on_response_trailers") (param $id i32) (param $trailers i32) (result i32)
    (call $require (local.get $id) (i32.const 2))
    (i32.const 0))

  ;; ---- TCP (the default Context continues) ----------------------------------------------

  (func (export "proxy_on_new_connection") (param $id i32) (result i32)
    (call $require (local.get $id) (i32.const 2))
    (i32.const 0))

  (func (export "proxy_on_downstream_data") (param $id i32) (param $size i32) (param $eos i32) (result i32)
    (call $require (local.get $id) (i32.const 2))
    (i32.const 0))

  (func (export "proxy_on_upstream_data") (param $id i32) (param $size i32) (param $eos i32) (result i32)
    (call $require (local.get $id) (i32.const 2))
    (i32.const 0))

  (func (export "proxy_on_downstream_connection_close") (param $id i32) (param $peer i32)
    (call $require (local.get $id) (i32.const 2)))

  (func (export "proxy_on_upstream_connection_close") (param $id i32) (param $peer i32)
    (call $require (local.get $id) (i32.const 2)))

  ;; ---- callouts: delivered to the root context; unknown tokens are ignored -------------

  (func (export "proxy_on_http_call_response") (param $root i32) (param $token i32) (param $headers i32) (param $body i32) (param $trailers i32)
    (call $require (local.get $root) (i32.const 1)))

  (func (export "proxy_on_grpc_receive_initial_metadata") (param $root i32) (param $token i32) (param $headers i32)
    (call $require (local.get $root) (i32.const 1)))

  (func (export "proxy_on_grpc_receive_trailing_metadata") (param $root i32) (param $token i32) (param $trailers i32)
    (call $require (local.get $root) (i32.const 1)))

  (func (export "proxy_on_grpc_receive") (param $root i32) (param $token i32) (param $size i32)
    (call $require (local.get $root) (i32.const 1)))

  (func (export "proxy_on_grpc_close") (param $root i32) (param $token i32) (param $status i32)
    (call $require (local.get $root) (i32.const 1)))
)
