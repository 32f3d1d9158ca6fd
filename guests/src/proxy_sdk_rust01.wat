;; proxy_sdk_rust01.wat: the shape of the book's Envoy filter (chapter 8,
;; envoy_wasm): Rust, crate proxy-wasm "0.1.0" (Cargo resolves it to the last
;; 0.1.x, 0.1.4), which speaks proxy-wasm ABI 0.1.0, built the book's way:
;;
;;   [lib] crate-type = ["cdylib"]
;;   #[no_mangle] pub fn _start() { proxy_wasm::set_http_context(...) }
;;   fn on_http_request_headers(&mut self, num_headers: usize) -> Action
;;   cargo build --target wasm32-unknown-unknown --release
;;
;; Sources read (see guests/PROXY_WASM_NOTES.md): proxy-wasm/proxy-wasm-rust-sdk
;; CHANGELOG.md (0.1.x = ABI 0.1.0, 0.2.0 = ABI 0.2.1), the 0.1.x src/hostcalls.rs,
;; src/dispatcher.rs, src/types.rs and src/allocator.rs; issue #104 (the ABI 0.1.0
;; imports proxy_get_configuration, proxy_continue_request/response,
;; proxy_clear_route_cache); proxy-wasm/proxy-wasm-cpp-host src/wasm.cc (which
;; imports a host registers per ABI version); Envoy's context.cc (ABI 0.1.0: a
;; missing header is Ok with an empty value, not NotFound).
;;
;; Shape reproduced:
;;   imports  every env.proxy_* function the 0.1.x hostcalls.rs declares (36),
;;            among them the ABI 0.1.0-only proxy_get_configuration,
;;            proxy_continue_request, proxy_continue_response and
;;            proxy_clear_route_cache; no WASI at all (wasm32-unknown-unknown).
;;   exports  memory, the globals __data_end and __heap_base, _start (the
;;            book's), malloc (the SDK's allocator; on wasm32-unknown-unknown
;;            the SDK exports it as "malloc", and there is no
;;            proxy_on_memory_allocate), proxy_abi_version_0_1_0 and the 0.1.x
;;            dispatcher's callbacks; proxy_on_request_headers and
;;            proxy_on_response_headers take TWO parameters (context_id,
;;            num_headers): ABI 0.1.0 has no end_of_stream there.
;;   start    no _initialize, so the host calls _start, which registers the
;;            HTTP context factory; without it the first stream context panics.
;;   panics   the book never calls set_log_level, so no panic hook is
;;            installed: an unexpected status or an unknown context is a bare
;;            unreachable. (log::info! lines are dropped for the same reason:
;;            the book's filter logs nothing itself.)
;;
;; The filter (the book's on_http_request_headers):
;;   get_http_request_headers (proxy_get_header_map_pairs; panics unless Ok),
;;   take the last ":authority" value (empty if none), then
;;   set_http_request_header("x-hello", Some("Hello world from AUTHORITY"))
;;   (proxy_replace_header_map_value; panics unless Ok); continue.
;; The root context is the SDK's no-op root: vm_start and configure return true
;; without reading any configuration.
(module $proxy_sdk_rust01
  (import "env" "proxy_log" (func $proxy_log (param i32 i32 i32) (result i32)))
  (import "env" "proxy_get_current_time_nanoseconds" (func $proxy_get_current_time_nanoseconds (param i32) (result i32)))
  (import "env" "proxy_set_tick_period_milliseconds" (func $proxy_set_tick_period_milliseconds (param i32) (result i32)))
  (import "env" "proxy_get_configuration" (func $proxy_get_configuration (param i32 i32) (result i32)))
  (import "env" "proxy_get_buffer_bytes" (func $proxy_get_buffer_bytes (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_set_buffer_bytes" (func $proxy_set_buffer_bytes (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_get_header_map_pairs" (func $proxy_get_header_map_pairs (param i32 i32 i32) (result i32)))
  (import "env" "proxy_set_header_map_pairs" (func $proxy_set_header_map_pairs (param i32 i32 i32) (result i32)))
  (import "env" "proxy_get_header_map_value" (func $proxy_get_header_map_value (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_replace_header_map_value" (func $proxy_replace_header_map_value (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_remove_header_map_value" (func $proxy_remove_header_map_value (param i32 i32 i32) (result i32)))
  (import "env" "proxy_add_header_map_value" (func $proxy_add_header_map_value (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_get_property" (func $proxy_get_property (param i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_set_property" (func $proxy_set_property (param i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_get_shared_data" (func $proxy_get_shared_data (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_set_shared_data" (func $proxy_set_shared_data (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_register_shared_queue" (func $proxy_register_shared_queue (param i32 i32 i32) (result i32)))
  (import "env" "proxy_resolve_shared_queue" (func $proxy_resolve_shared_queue (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_dequeue_shared_queue" (func $proxy_dequeue_shared_queue (param i32 i32 i32) (result i32)))
  (import "env" "proxy_enqueue_shared_queue" (func $proxy_enqueue_shared_queue (param i32 i32 i32) (result i32)))
  (import "env" "proxy_continue_request" (func $proxy_continue_request (result i32)))
  (import "env" "proxy_continue_response" (func $proxy_continue_response (result i32)))
  (import "env" "proxy_send_local_response" (func $proxy_send_local_response (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_clear_route_cache" (func $proxy_clear_route_cache (result i32)))
  (import "env" "proxy_http_call" (func $proxy_http_call (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_grpc_call" (func $proxy_grpc_call (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_grpc_stream" (func $proxy_grpc_stream (param i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_grpc_send" (func $proxy_grpc_send (param i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_grpc_cancel" (func $proxy_grpc_cancel (param i32) (result i32)))
  (import "env" "proxy_grpc_close" (func $proxy_grpc_close (param i32) (result i32)))
  (import "env" "proxy_set_effective_context" (func $proxy_set_effective_context (param i32) (result i32)))
  (import "env" "proxy_done" (func $proxy_done (result i32)))
  (import "env" "proxy_define_metric" (func $proxy_define_metric (param i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_get_metric" (func $proxy_get_metric (param i32 i32) (result i32)))
  (import "env" "proxy_record_metric" (func $proxy_record_metric (param i32 i64) (result i32)))
  (import "env" "proxy_increment_metric" (func $proxy_increment_metric (param i32 i64) (result i32)))

  ;; Rust's wasm32-unknown-unknown default: 17 pages (1 MiB of stack first).
  ;; 0x100..0x10f: return slots; 0x1000: strings; 0x10000: context ids
  ;; (65536 x 4 bytes, by id mod 65536); 0x50000: kinds (1 root, 2 http);
  ;; 0x60000: heap.
  (memory $memory 17)
  (export "memory" (memory $memory))
  (global $__data_end i32 (i32.const 0x60000))
  (global $__heap_base i32 (i32.const 0x60000))
  (export "__data_end" (global $__data_end))
  (export "__heap_base" (global $__heap_base))

  (data (i32.const 0x1000) "x-hello")
  (data (i32.const 0x1010) ":authority")
  (data (i32.const 0x1020) "Hello world from ")

  (global $heap (mut i32) (i32.const 0x60000))
  (global $http_factory (mut i32) (i32.const 0))
  (global $streams (mut i32) (i32.const 0))

  ;; ---- memory -----------------------------------------------------------------

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

  ;; The SDK's allocator, exported as "malloc" on wasm32-unknown-unknown.
  (func (export "malloc") (param $size i32) (result i32)
    (call $alloc (local.get $size)))

  ;; ---- contexts ------------------------------------------------------------------

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

  ;; No panic hook: a panic is a bare trap.
  (func $require (param $id i32) (param $kind i32)
    (if (i32.eqz (call $live (local.get $id) (local.get $kind))) (then unreachable)))

  (func $expect_ok (param $status i32)
    (if (local.get $status) (then unreachable)))

  ;; ---- integration ---------------------------------------------------------------

  (func (export "proxy_abi_version_0_1_0"))

  ;; The book's #[no_mangle] pub fn _start(): set_http_context(...).
  (func (export "_start")
    (global.set $http_factory (i32.const 1)))

  ;; ---- lifecycle ----------------------------------------------------------------------

  (func (export "proxy_on_context_create") (param $id i32) (param $root i32)
    (if (i32.eqz (local.get $root))
      (then
        (if (call $live (local.get $id) (i32.const 0)) (then unreachable)) ;; duplicate context_id
        (call $insert (local.get $id) (i32.const 1))
        (return)))
    (if (i32.eqz (global.get $http_factory)) (then unreachable))         ;; missing ContextType
    (if (i32.eqz (call $live (local.get $root) (i32.const 1))) (then unreachable)) ;; invalid root
    (if (call $live (local.get $id) (i32.const 0)) (then unreachable))
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
        (if (i32.eqz (global.get $streams)) (then (global.set $heap (i32.const 0x60000))))))
    (call $remove (local.get $id)))

  (func (export "proxy_on_vm_start") (param $root i32) (param $size i32) (result i32)
    (call $require (local.get $root) (i32.const 1))
    (i32.const 1))

  (func (export "proxy_on_configure") (param $root i32) (param $size i32) (result i32)
    (call $require (local.get $root) (i32.const 1))
    (i32.const 1))

  (func (export "proxy_on_tick") (param $root i32)
    (call $require (local.get $root) (i32.const 1)))

  (func (export "proxy_on_queue_ready") (param $root i32) (param $queue i32)
    (call $require (local.get $root) (i32.const 1)))

  ;; ---- HTTP ------------------------------------------------------------------------------

  ;; ABI 0.1.0: (context_id, num_headers), no end_of_stream.
  (func (export "proxy_on_request_headers") (param $id i32) (param $headers i32) (result i32)
    (local $data i32) (local $size i32) (local $count i32) (local $i i32) (local $p i32)
    (local $key_len i32) (local $value_len i32) (local $authority i32) (local $authority_len i32)
    (local $value i32)
    (call $require (local.get $id) (i32.const 2))
    (i32.store (i32.const 0x100) (i32.const 0))
    (i32.store (i32.const 0x104) (i32.const 0))
    (call $expect_ok (call $proxy_get_header_map_pairs (i32.const 0) (i32.const 0x100) (i32.const 0x104)))
    (local.set $data (i32.load (i32.const 0x100)))
    (local.set $size (i32.load (i32.const 0x104)))
    ;; for (name, value) in headers { if name == ":authority" { authority = value } }
    (if (i32.and (i32.ne (local.get $data) (i32.const 0)) (i32.ne (local.get $size) (i32.const 0)))
      (then
        (local.set $count (i32.load (local.get $data)))
        (local.set $p (i32.add (i32.add (local.get $data) (i32.const 4)) (i32.shl (local.get $count) (i32.const 3))))
        (block $done
          (loop $next
            (br_if $done (i32.ge_u (local.get $i) (local.get $count)))
            (local.set $key_len (i32.load (i32.add (local.get $data) (i32.add (i32.const 4) (i32.shl (local.get $i) (i32.const 3))))))
            (local.set $value_len (i32.load (i32.add (local.get $data) (i32.add (i32.const 8) (i32.shl (local.get $i) (i32.const 3))))))
            (if (call $eq (local.get $p) (local.get $key_len) (i32.const 0x1010) (i32.const 10))
              (then
                (local.set $authority (i32.add (local.get $p) (i32.add (local.get $key_len) (i32.const 1))))
                (local.set $authority_len (local.get $value_len))))
            (local.set $p (i32.add (local.get $p) (i32.add (i32.add (local.get $key_len) (local.get $value_len)) (i32.const 2))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $next)))))
    ;; format!("Hello world from {}", authority)
    (local.set $value (call $alloc (i32.add (i32.const 17) (local.get $authority_len))))
    (if (i32.eqz (local.get $value)) (then unreachable))
    (call $copy (local.get $value) (i32.const 0x1020) (i32.const 17))
    (call $copy (i32.add (local.get $value) (i32.const 17)) (local.get $authority) (local.get $authority_len))
    (call $expect_ok
      (call $proxy_replace_header_map_value (i32.const 0) (i32.const 0x1000) (i32.const 7)
        (local.get $value) (i32.add (i32.const 17) (local.get $authority_len))))
    (i32.const 0))

  (func (export "proxy_on_request_body") (param $id i32) (param $size i32) (param $eos i32) (result i32)
    (call $require (local.get $id) (i32.const 2))
    (i32.const 0))

  (func (export "proxy_on_request_trailers") (param $id i32) (param $trailers i32) (result i32)
    (call $require (local.get $id) (i32.const 2))
    (i32.const 0))

  (func (export "proxy_on_response_headers") (param $id i32) (param $headers i32) (result i32)
    (call $require (local.get $id) (i32.const 2))
    (i32.const 0))

  (func (export "proxy_on_response_body") (param $id i32) (param $size i32) (param $eos i32) (result i32)
    (call $require (local.get $id) (i32.const 2))
    (i32.const 0))

  (func (export "proxy_on_response_trailers") (param $id i32) (param $trailers i32) (result i32)
    (call $require (local.get $id) (i32.const 2))
    (i32.const 0))

  ;; ---- TCP and callouts: never used by an HTTP filter that makes no calls ---------

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

  (func (export "proxy_on_http_call_response") (param $root i32) (param $token i32) (param $headers i32) (param $body i32) (param $trailers i32)
    unreachable)

  (func (export "proxy_on_grpc_receive") (param $root i32) (param $token i32) (param $size i32)
    unreachable)

  (func (export "proxy_on_grpc_close") (param $root i32) (param $token i32) (param $status i32)
    unreachable)
)
