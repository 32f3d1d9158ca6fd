;; proxy_sdk_rust.wat: the shape of a proxy-wasm filter built with the Rust SDK
;; (crate proxy-wasm 0.2.x, ABI 0.2.1) the way its README says:
;;
;;   [lib] crate-type = ["cdylib"]
;;   proxy_wasm::main! {{ proxy_wasm::set_http_context(|_, _| Box::new(Filter)); }}
;;   cargo build --target wasm32-wasip1 --release
;;
;; Sources read (see guests/PROXY_WASM_NOTES.md): proxy-wasm/proxy-wasm-rust-sdk
;; src/hostcalls.rs, src/dispatcher.rs, src/types.rs, src/traits.rs,
;; src/allocator.rs, src/lib.rs, CHANGELOG.md.
;;
;; Shape reproduced:
;;   imports  every env.proxy_* function hostcalls.rs declares (37; the trait
;;            objects' vtables keep nearly all of them alive in a real build),
;;            and the WASI functions Rust's std pulls into a wasip1 cdylib:
;;            fd_write (panic output), environ_get/environ_sizes_get,
;;            proc_exit. The exact WASI set varies with the Rust version.
;;   exports  memory, _initialize (proxy_wasm::main!), proxy_abi_version_0_2_1,
;;            proxy_on_memory_allocate (on wasm32-wasip1 the SDK exports it
;;            under that name; on wasm32-unknown-unknown it is "malloc"), and
;;            every proxy_on_* callback dispatcher.rs exports.
;;   start    _initialize runs the user's main! block, which registers the HTTP
;;            context factory. Without it, the first stream context panics
;;            ("missing ContextType on root_context").
;;   panics   like the SDK: an unexpected status from a hostcall, an unknown
;;            context id, a second root with the same id -> a critical
;;            proxy_log line ("panicked at ...") and then unreachable.
;;
;; The filter (the SDK-based user code):
;;   on_configure      get_buffer_bytes(PLUGIN_CONFIGURATION, 0, usize::MAX):
;;                     the SDK's get_plugin_configuration asks for 0xFFFFFFFF
;;                     bytes, so the host must clamp, not fail; Ok or NotFound
;;                     are fine, any other status panics.
;;   request headers   add "x-sdk: rust", and "x-sdk-config: CONFIG" when the
;;                     plugin configuration is not empty; continue.
;;   everything else   continue / true / nothing; unknown context ids panic.
;; Memory is a bump allocator, reset when the last stream context is deleted.
(module $proxy_sdk_rust
  (import "env" "proxy_log" (func $proxy_log (param i32 i32 i32) (result i32)))
  (import "env" "proxy_get_log_level" (func $proxy_get_log_level (param i32) (result i32)))
  (import "env" "proxy_get_current_time_nanoseconds" (func $proxy_get_current_time_nanoseconds (param i32) (result i32)))
  (import "env" "proxy_set_tick_period_milliseconds" (func $proxy_set_tick_period_milliseconds (param i32) (result i32)))
  (import "env" "proxy_get_buffer_bytes" (func $proxy_get_buffer_bytes (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_set_buffer_bytes" (func $proxy_set_buffer_bytes (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_get_header_map_pairs" (func $proxy_get_header_map_pairs (param i32 i32 i32) (result i32)))
  (import "env" "proxy_set_header_map_pairs" (func $proxy_set_header_map_pairs (param i32 i32 i32) (result i32)))
  (import "env" "proxy_get_header_map_value" (func $proxy_get_header_map_value (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_remove_header_map_value" (func $proxy_remove_header_map_value (param i32 i32 i32) (result i32)))
  (import "env" "proxy_replace_header_map_value" (func $proxy_replace_header_map_value (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_add_header_map_value" (func $proxy_add_header_map_value (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_get_property" (func $proxy_get_property (param i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_set_property" (func $proxy_set_property (param i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_get_shared_data" (func $proxy_get_shared_data (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_set_shared_data" (func $proxy_set_shared_data (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_register_shared_queue" (func $proxy_register_shared_queue (param i32 i32 i32) (result i32)))
  (import "env" "proxy_resolve_shared_queue" (func $proxy_resolve_shared_queue (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_dequeue_shared_queue" (func $proxy_dequeue_shared_queue (param i32 i32 i32) (result i32)))
  (import "env" "proxy_enqueue_shared_queue" (func $proxy_enqueue_shared_queue (param i32 i32 i32) (result i32)))
  (import "env" "proxy_continue_stream" (func $proxy_continue_stream (param i32) (result i32)))
  (import "env" "proxy_close_stream" (func $proxy_close_stream (param i32) (result i32)))
  (import "env" "proxy_send_local_response" (func $proxy_send_local_response (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_http_call" (func $proxy_http_call (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_grpc_call" (func $proxy_grpc_call (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_grpc_stream" (func $proxy_grpc_stream (param i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_grpc_send" (func $proxy_grpc_send (param i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_grpc_cancel" (func $proxy_grpc_cancel (param i32) (result i32)))
  (import "env" "proxy_grpc_close" (func $proxy_grpc_close (param i32) (result i32)))
  (import "env" "proxy_get_status" (func $proxy_get_status (param i32 i32 i32) (result i32)))
  (import "env" "proxy_set_effective_context" (func $proxy_set_effective_context (param i32) (result i32)))
  (import "env" "proxy_call_foreign_function" (func $proxy_call_foreign_function (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_done" (func $proxy_done (result i32)))
  (import "env" "proxy_define_metric" (func $proxy_define_metric (param i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_get_metric" (func $proxy_get_metric (param i32 i32) (result i32)))
  (import "env" "proxy_record_metric" (func $proxy_record_metric (param i32 i64) (result i32)))
  (import "env" "proxy_increment_metric" (func $proxy_increment_metric (param i32 i64) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $environ_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))

  ;; 0x100..0x10f: return slots for hostcalls; 0x1000: strings;
  ;; 0x10000: context ids (65536 slots of 4 bytes, by id mod 65536);
  ;; 0x50000: context kinds (1 root, 2 http); 0x60000: heap.
  (memory $memory 7)
  (export "memory" (memory $memory))

  (data (i32.const 0x1000) "x-sdk")
  (data (i32.const 0x1010) "rust")
  (data (i32.const 0x1020) "x-sdk-config")
  (data (i32.const 0x1040) "panicked at 'unexpected status'")
  (data (i32.const 0x1080) "panicked at 'invalid context_id'")
  (data (i32.const 0x10c0) "panicked at 'invalid root_context_id'")
  (data (i32.const 0x1100) "panicked at 'duplicate context_id'")
  (data (i32.const 0x1140) "panicked at 'missing ContextType on root_context'")
  (data (i32.const 0x1180) "panicked at 'invalid token_id'")

  (global $heap (mut i32) (i32.const 0x60000))
  (global $heap_mark (mut i32) (i32.const 0x60000))
  (global $http_factory (mut i32) (i32.const 0))
  (global $streams (mut i32) (i32.const 0))
  (global $config_ptr (mut i32) (i32.const 0))
  (global $config_len (mut i32) (i32.const 0))

  ;; ---- memory ------------------------------------------------------------

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

  (func (export "proxy_on_memory_allocate") (param $size i32) (result i32)
    (call $alloc (local.get $size)))

  ;; ---- contexts (the dispatcher's maps) ------------------------------------

  (func $slot (param $id i32) (result i32)
    (i32.add (i32.const 0x10000) (i32.shl (i32.and (local.get $id) (i32.const 0xffff)) (i32.const 2))))
  (func $kind_at (param $id i32) (result i32)
    (i32.add (i32.const 0x50000) (i32.and (local.get $id) (i32.const 0xffff))))

  ;; 1 if $id is a live context of $kind (0: any kind).
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

  ;; The SDK's panic hook logs at critical, then the panic aborts (unreachable).
  (func $panic (param $msg i32) (param $len i32)
    (drop (call $proxy_log (i32.const 5) (local.get $msg) (local.get $len)))
    unreachable)

  (func $require (param $id i32) (param $kind i32)
    (if (i32.eqz (call $live (local.get $id) (local.get $kind)))
      (then (call $panic (i32.const 0x1080) (i32.const 32)))))

  (func $expect_ok (param $status i32)
    (if (local.get $status) (then (call $panic (i32.const 0x1040) (i32.const 31)))))

  ;; ---- integration ----------------------------------------------------------

  (func (export "proxy_abi_version_0_2_1"))

  ;; proxy_wasm::main!: the user's block registers the HTTP context factory.
  (func (export "_initialize")
    (global.set $http_factory (i32.const 1)))

  ;; ---- lifecycle --------------------------------------------------------------

  (func (export "proxy_on_context_create") (param $id i32) (param $root i32)
    (if (i32.eqz (local.get $root))
      (then
        (if (call $live (local.get $id) (i32.const 0))
          (then (call $panic (i32.const 0x1100) (i32.const 34))))
        (call $insert (local.get $id) (i32.const 1))
        (return)))
    (if (i32.eqz (global.get $http_factory))
      (then (call $panic (i32.const 0x1140) (i32.const 49))))
    (if (i32.eqz (call $live (local.get $root) (i32.const 1)))
      (then (call $panic (i32.const 0x10c0) (i32.const 37))))
    (if (call $live (local.get $id) (i32.const 0))
      (then (call $panic (i32.const 0x1100) (i32.const 34))))
    (call $insert (local.get $id) (i32.const 2))
    (global.set $streams (i32.add (global.get $streams) (i32.const 1))))

  (func (export "proxy_on_done") (param $id i32) (result i32)
    (call $require (local.get $id) (i32.const 0))
    (i32.const 1))

  (func (export "proxy_on_log") (param $id i32)
    (call $require (local.get $id) (i32.const 0)))

  (func (export "proxy_on_delete") (param $id i32)
    (call $require (local.get $id) (i32.const 0))
    (if (i32.eq (i32.load8_u (call $kind_at (local.get $id))) (i32.const 2))
      (then
        (global.set $streams (i32.sub (global.get $streams) (i32.const 1)))
        (if (i32.eqz (global.get $streams)) (then (global.set $heap (global.get $heap_mark))))))
    (call $remove (local.get $id)))

  ;; ---- configuration ------------------------------------------------------------

  (func (export "proxy_on_vm_start") (param $root i32) (param $size i32) (result i32)
    (call $require (local.get $root) (i32.const 1))
    (i32.const 1))

  (func (export "proxy_on_configure") (param $root i32) (param $size i32) (result i32)
    (local $status i32)
    (call $require (local.get $root) (i32.const 1))
    (i32.store (i32.const 0x100) (i32.const 0))
    (i32.store (i32.const 0x104) (i32.const 0))
    (local.set $status
      (call $proxy_get_buffer_bytes (i32.const 7) (i32.const 0) (i32.const -1) (i32.const 0x100) (i32.const 0x104)))
    (global.set $config_ptr (i32.const 0))
    (global.set $config_len (i32.const 0))
    (if (i32.eqz (local.get $status))
      (then
        (if (i32.load (i32.const 0x100))
          (then
            (global.set $config_ptr (i32.load (i32.const 0x100)))
            (global.set $config_len (i32.load (i32.const 0x104))))))
      (else
        (if (i32.ne (local.get $status) (i32.const 1))
          (then (call $panic (i32.const 0x1040) (i32.const 31))))))
    (global.set $heap_mark (global.get $heap))
    (i32.const 1))

  (func (export "proxy_on_tick") (param $root i32)
    (call $require (local.get $root) (i32.const 1)))

  (func (export "proxy_on_queue_ready") (param $root i32) (param $queue i32)
    (call $require (local.get $root) (i32.const 1)))

  ;; ---- HTTP ------------------------------------------------------------------------

  (func (export "proxy_on_request_headers") (param $id i32) (param $headers i32) (param $eos i32) (result i32)
    (call $require (local.get $id) (i32.const 2))
    (call $expect_ok
      (call $proxy_add_header_map_value (i32.const 0) (i32.const 0x1000) (i32.const 5) (i32.const 0x1010) (i32.const 4)))
    (if (global.get $config_len)
      (then
        (call $expect_ok
          (call $proxy_add_header_map_value (i32.const 0) (i32.const 0x1020) (i32.const 12)
            (global.get $config_ptr) (global.get $config_len)))))
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

  (func (export "proxy_on_response_body") (param $id i32) (param $size i32) (param $eos i32) (result i32)
    (call $require (local.get $id) (i32.const 2))
    (i32.const 0))

  (func (export "proxy_on_response_trailers") (param $id i32) (param $trailers i32) (result i32)
    (call $require (local.get $id) (i32.const 2))
    (i32.const 0))

  ;; ---- TCP: an HTTP filter has no stream contexts, so these panic ---------------

  (func (export "proxy_on_new_connection") (param $id i32) (result i32)
    (call $require (local.get $id) (i32.const 3))
    (i32.const 0))

  (func (export "proxy_on_downstream_data") (param $id i32) (param $size i32) (param $eos i32) (result i32)
    (call $require (local.get $id) (i32.const 3))
    (i32.const 0))

  (func (export "proxy_on_downstream_connection_close") (param $id i32) (param $peer i32)
    (call $require (local.get $id) (i32.const 3)))

  (func (export "proxy_on_upstream_data") (param $id i32) (param $size i32) (param $eos i32) (result i32)
    (call $require (local.get $id) (i32.const 3))
    (i32.const 0))

  (func (export "proxy_on_upstream_connection_close") (param $id i32) (param $peer i32)
    (call $require (local.get $id) (i32.const 3)))

  ;; ---- callouts: this filter starts none, so every token is unknown --------------

  (func (export "proxy_on_http_call_response") (param $root i32) (param $token i32) (param $headers i32) (param $body i32) (param $trailers i32)
    (call $panic (i32.const 0x1180) (i32.const 30)))

  (func (export "proxy_on_grpc_receive_initial_metadata") (param $root i32) (param $token i32) (param $headers i32)
    (call $panic (i32.const 0x1180) (i32.const 30)))

  (func (export "proxy_on_grpc_receive") (param $root i32) (param $token i32) (param $size i32)
    (call $panic (i32.const 0x1180) (i32.const 30)))

  (func (export "proxy_on_grpc_receive_trailing_metadata") (param $root i32) (param $token i32) (param $trailers i32)
    (call $panic (i32.const 0x1180) (i32.const 30)))

  ;; 0.2.2 only logs an unknown token here (trace level).
  (func (export "proxy_on_grpc_close") (param $root i32) (param $token i32) (param $status i32))

  (func (export "proxy_on_foreign_function") (param $id i32) (param $function i32) (param $size i32))
)
