;; proxy_test_abi01.wat: a proxy-wasm ABI 0.1.0 filter (the first Rust SDK's
;; ABI, which the book's filter speaks) that records what the host does where
;; 0.1.0 differs from 0.2.x, for Tests/WasmtonContractsTests/ProxyWasmTests.swift.
;;
;;   _start                 (no _initialize) must run before the callbacks:
;;                          the first callback traps otherwise
;;   proxy_on_configure     reads the configuration the 0.1.0 way,
;;                          proxy_get_configuration, and keeps it
;;   proxy_on_request_headers(context_id, num_headers): TWO parameters; adds
;;     x-num-headers: num_headers
;;     x-missing-status, x-missing-size: what proxy_get_header_map_value
;;                          answered for an absent header (0.1.0: Ok, empty)
;;     x-config-status, x-config: proxy_get_configuration's answer
;; Allocator: malloc only (a bump allocator). Memory: 0x100 return slots,
;; 0x200 decimal scratch, 0x400 the configuration (first 255 bytes),
;; 0x1000 strings, 0x10000 heap.
(module $proxy_test_abi01
  (import "env" "proxy_get_configuration" (func $proxy_get_configuration (param i32 i32) (result i32)))
  (import "env" "proxy_get_header_map_value" (func $proxy_get_header_map_value (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_add_header_map_value" (func $proxy_add_header_map_value (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_continue_request" (func $proxy_continue_request (result i32)))
  (import "env" "proxy_clear_route_cache" (func $proxy_clear_route_cache (result i32)))

  (memory $memory 2)
  (export "memory" (memory $memory))

  (data (i32.const 0x1000) "x-missing")          ;; 9
  (data (i32.const 0x1010) "x-missing-status")   ;; 16
  (data (i32.const 0x1030) "x-missing-size")     ;; 14
  (data (i32.const 0x1040) "x-num-headers")      ;; 13
  (data (i32.const 0x1050) "x-config-status")    ;; 15
  (data (i32.const 0x1060) "x-config")           ;; 8

  (global $heap (mut i32) (i32.const 0x10000))
  (global $started (mut i32) (i32.const 0))
  (global $config_status (mut i32) (i32.const -1))
  (global $config_len (mut i32) (i32.const 0))

  (func (export "malloc") (param $size i32) (result i32)
    (local $ptr i32)
    (local.set $ptr (i32.and (i32.add (global.get $heap) (i32.const 7)) (i32.const -8)))
    (if (i32.gt_u (i32.add (local.get $ptr) (local.get $size)) (i32.const 0x20000)) (then (return (i32.const 0))))
    (global.set $heap (i32.add (local.get $ptr) (local.get $size)))
    (local.get $ptr))

  (func $utoa (param $v i32) (result i32)
    (local $p i32) (local $n i32) (local $i i32)
    (local.set $p (i32.const 0x220))
    (loop $next
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p) (i32.add (i32.rem_u (local.get $v) (i32.const 10)) (i32.const 48)))
      (local.set $v (i32.div_u (local.get $v) (i32.const 10)))
      (br_if $next (local.get $v)))
    (local.set $n (i32.sub (i32.const 0x220) (local.get $p)))
    (block $done
      (loop $copy
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (i32.store8 (i32.add (i32.const 0x200) (local.get $i)) (i32.load8_u (i32.add (local.get $p) (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $copy)))
    (local.get $n))

  (func $add_n (param $name i32) (param $name_len i32) (param $n i32)
    (local $len i32)
    (local.set $len (call $utoa (local.get $n)))
    (drop (call $proxy_add_header_map_value (i32.const 0) (local.get $name) (local.get $name_len) (i32.const 0x200) (local.get $len))))

  (func $copy (param $dst i32) (param $src i32) (param $len i32)
    (local $i i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
        (i32.store8 (i32.add (local.get $dst) (local.get $i)) (i32.load8_u (i32.add (local.get $src) (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next))))

  (func $require_started
    (if (i32.eqz (global.get $started)) (then unreachable)))

  (func (export "proxy_abi_version_0_1_0"))

  (func (export "_start")
    (global.set $started (i32.const 1)))

  (func (export "proxy_on_context_create") (param $id i32) (param $parent i32)
    (call $require_started))

  (func (export "proxy_on_vm_start") (param $root i32) (param $size i32) (result i32)
    (call $require_started)
    (i32.const 1))

  (func (export "proxy_on_configure") (param $root i32) (param $size i32) (result i32)
    (local $len i32)
    (i32.store (i32.const 0x100) (i32.const 0))
    (i32.store (i32.const 0x104) (i32.const 0))
    (global.set $config_status (call $proxy_get_configuration (i32.const 0x100) (i32.const 0x104)))
    (local.set $len (i32.load (i32.const 0x104)))
    (if (i32.gt_u (local.get $len) (i32.const 0xff)) (then (local.set $len (i32.const 0xff))))
    (call $copy (i32.const 0x400) (i32.load (i32.const 0x100)) (local.get $len))
    (global.set $config_len (local.get $len))
    (i32.const 1))

  ;; ABI 0.1.0: (context_id, num_headers), no end_of_stream.
  (func (export "proxy_on_request_headers") (param $id i32) (param $n i32) (result i32)
    (local $status i32)
    (call $require_started)
    (global.set $heap (i32.const 0x10000))
    (call $add_n (i32.const 0x1040) (i32.const 13) (local.get $n))
    (i32.store (i32.const 0x100) (i32.const 0))
    (i32.store (i32.const 0x104) (i32.const -1))
    (local.set $status
      (call $proxy_get_header_map_value (i32.const 0) (i32.const 0x1000) (i32.const 9) (i32.const 0x100) (i32.const 0x104)))
    (call $add_n (i32.const 0x1010) (i32.const 16) (local.get $status))
    (call $add_n (i32.const 0x1030) (i32.const 14) (i32.load (i32.const 0x104)))
    (call $add_n (i32.const 0x1050) (i32.const 15) (global.get $config_status))
    (drop (call $proxy_add_header_map_value (i32.const 0) (i32.const 0x1060) (i32.const 8) (i32.const 0x400) (global.get $config_len)))
    (i32.const 0))

  (func (export "proxy_on_response_headers") (param $id i32) (param $n i32) (result i32)
    (call $require_started)
    (i32.const 0))

  (func (export "proxy_on_done") (param $id i32) (result i32) (i32.const 1))
  (func (export "proxy_on_log") (param $id i32))
  (func (export "proxy_on_delete") (param $id i32))
)
