;; proxy_test_conformance.wat: a proxy-wasm 0.2.1 filter that exercises the
;; host functions and records what it saw, for Wasmton's tests
;; (Tests/WasmtonContractsTests/ProxyWasmTests.swift and the gateway's filter
;; tests). Not an example to copy: the C kit (include/proxy_wasm.h) is.
;;
;; What it does is chosen by the request header "x-test" (read with
;; proxy_get_header_map_value in every callback). Results are recorded as
;; request headers (map 0) in request callbacks and as response headers (map 2)
;; in response callbacks, added with proxy_add_header_map_value; numbers are
;; decimal. Every request headers callback also adds, after its mode's work,
;;   x-num-headers (its num_headers), x-eos (end_of_stream), x-context-id.
;; Every response headers callback copies the request's x-hello, if any, to the
;; response header x-echo-hello (so a test can see what an earlier filter did),
;; and the request's x-eos to the response; in modes props and buffers it also
;; copies the request headers that mode recorded (x-prop-path, x-prop-method,
;; x-prop-source, x-prop-name; x-body, x-body-append-max) to the response, so
;; they can be seen where the request goes to a waPC function.
;;
;; Modes (request headers unless said otherwise):
;;   startup         x-order: one letter per callback so far (i _initialize,
;;                   c root context_create, v vm_start, g configure, C stream
;;                   context_create, H request headers, B request body,
;;                   R response headers, S response body, D done, L log,
;;                   X delete, T tick); x-vm-root, x-vm-size, x-vm-cfg-status,
;;                   x-vm-cfg (what vm_start got and read), x-cfg-size,
;;                   x-cfg-status, x-cfg (configure), x-root (the root id),
;;                   x-parent (the last stream context's parent)
;;   maps            request map: x-map-size(-status) (proxy_get_header_map_size),
;;                   x-pairs-bytes and x-pairs-count (proxy_get_header_map_pairs),
;;                   x-got-in (value of x-in), x-missing-status (value of an
;;                   absent header), adds x-multi: one and x-multi: two,
;;                   replaces x-replace with "new", removes x-remove; request
;;                   trailers: x-got-trailer (value of x-in-trailer), adds
;;                   x-trailer-added: yes; response trailers: set to the spec's
;;                   example {a: 1, b: 22} (x-set-pairs-status), then a
;;                   malformed map (x-set-bad-status); x-map6-status (pairs of
;;                   map 6, HTTP call response headers).
;;                   Response headers: x-resp-num-headers, x-resp-eos,
;;                   x-resp-status-seen (:status), adds x-resp-added: yes,
;;                   replaces x-resp-replace, removes x-resp-remove; adds
;;                   x-resp-trailer: yes to the response trailers.
;;   buffers         pauses both header callbacks and each body callback until
;;                   end of stream, so the whole body is seen before the headers
;;                   go on (how Envoy filters that rewrite bodies work).
;;                   Request headers: x-plugin-config and x-vm-config (whole,
;;                   max 0xFFFFFFFF), x-plugin-config-slice (start 1, max 3),
;;                   x-plugin-config-tail (start 2, max 0xFFFFFFFF),
;;                   x-zero-max-status/-size (max 0), x-config-past-end (status
;;                   for start 1000). Request body: x-body-size, x-body-eos,
;;                   x-body, x-body-slice (2, 3), x-body-past-end (status),
;;                   x-body-status-size (proxy_get_buffer_status), then
;;                   replaces the first 5 bytes with HELLO (x-body-set-status),
;;                   appends "!" at start = body size (x-body-append-status)
;;                   and "?" at start 0xFFFFFFFF (x-body-append-max). Response
;;                   body: x-resp-body, x-resp-body-size, prepends "prefix-"
;;                   (x-resp-body-set).
;;   props           x-prop-path (request\0path), x-prop-method (the dotted
;;                   single segment request.method), x-prop-source
;;                   (source\0address\0, C++ style), x-prop-name (plugin_name),
;;                   x-prop-root-status/-size (plugin_root_id), x-prop-unknown
;;                   (status of nope\0nothing), x-prop-set-status and x-prop-set
;;                   (proxy_set_property wasmton\0test = v1, read back)
;;   time            x-time-status, x-time (proxy_get_current_time_nanoseconds)
;;   tick-on/off     proxy_set_tick_period_milliseconds(20 / 0): x-tick-status
;;   ticks           x-ticks: how many times proxy_on_tick ran
;;   log             proxy_log "log level N" at levels 0..5: x-log-ok (how many
;;                   answered Ok); level 6: x-log-bad-status; x-log-level-status
;;                   and x-log-level (proxy_get_log_level)
;;   unimpl          x-http-call-status, x-define-metric, x-shared-data: the
;;                   statuses of proxy_http_call, proxy_define_metric and
;;                   proxy_get_shared_data
;;   effective       x-effective-root/-self: proxy_set_effective_context(root /
;;                   this context); then adds x-after-effective: ok
;;   misc            x-continue-status (proxy_continue_stream(0)),
;;                   x-done-status (proxy_done)
;;   local           proxy_send_local_response(403, "denied_by_test",
;;                   "go away\n", {x-local: yes}, -1) and PAUSE
;;   local-continue  the same with 418, and CONTINUE
;;   local-bad       status 99: x-local-status (the host's answer); continues
;;   late-local      (response headers) a local 451 response, PAUSE
;;   pause           PAUSE without a local response
;;   trap            unreachable
;; Configuration: a plugin configuration "reject" makes proxy_on_configure
;; return 0, a VM configuration "reject-vm" makes proxy_on_vm_start return 0.
;;
;; Memory: 0x100 return slots (0x100 pointer, 0x104 size, 0x108 u64,
;; 0x110 u32, 0x114/0x118 u32), 0x200 decimal scratch, 0x400 the callback
;; trace, 0x800 the plugin configuration, 0x900 the VM configuration (first
;; 255 bytes each), 0x1000 strings, 0x10000 a bump heap reset at the start of
;; every callback (nothing the host returns is kept across callbacks).
(module $proxy_test_conformance
  (import "env" "proxy_log" (func $proxy_log (param i32 i32 i32) (result i32)))
  (import "env" "proxy_get_log_level" (func $proxy_get_log_level (param i32) (result i32)))
  (import "env" "proxy_get_current_time_nanoseconds" (func $proxy_get_current_time_nanoseconds (param i32) (result i32)))
  (import "env" "proxy_set_tick_period_milliseconds" (func $proxy_set_tick_period_milliseconds (param i32) (result i32)))
  (import "env" "proxy_get_buffer_bytes" (func $proxy_get_buffer_bytes (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_get_buffer_status" (func $proxy_get_buffer_status (param i32 i32 i32) (result i32)))
  (import "env" "proxy_set_buffer_bytes" (func $proxy_set_buffer_bytes (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_get_header_map_pairs" (func $proxy_get_header_map_pairs (param i32 i32 i32) (result i32)))
  (import "env" "proxy_set_header_map_pairs" (func $proxy_set_header_map_pairs (param i32 i32 i32) (result i32)))
  (import "env" "proxy_get_header_map_size" (func $proxy_get_header_map_size (param i32 i32) (result i32)))
  (import "env" "proxy_get_header_map_value" (func $proxy_get_header_map_value (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_add_header_map_value" (func $proxy_add_header_map_value (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_replace_header_map_value" (func $proxy_replace_header_map_value (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_remove_header_map_value" (func $proxy_remove_header_map_value (param i32 i32 i32) (result i32)))
  (import "env" "proxy_get_property" (func $proxy_get_property (param i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_set_property" (func $proxy_set_property (param i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_send_local_response" (func $proxy_send_local_response (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_set_effective_context" (func $proxy_set_effective_context (param i32) (result i32)))
  (import "env" "proxy_continue_stream" (func $proxy_continue_stream (param i32) (result i32)))
  (import "env" "proxy_done" (func $proxy_done (result i32)))
  (import "env" "proxy_http_call" (func $proxy_http_call (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_define_metric" (func $proxy_define_metric (param i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_get_shared_data" (func $proxy_get_shared_data (param i32 i32 i32 i32 i32) (result i32)))

  (memory $memory 2)
  (export "memory" (memory $memory))

  ;; ---- constants ------------------------------------------------------------------

  ;; NUL-terminated strings (lengths by $strlen).
  (global $S_x_test i32 (i32.const 0x1000))
  (data (i32.const 0x1000) "x-test\00")
  (global $S_startup i32 (i32.const 0x1020))
  (data (i32.const 0x1020) "startup\00")
  (global $S_maps i32 (i32.const 0x1040))
  (data (i32.const 0x1040) "maps\00")
  (global $S_buffers i32 (i32.const 0x1060))
  (data (i32.const 0x1060) "buffers\00")
  (global $S_props i32 (i32.const 0x1080))
  (data (i32.const 0x1080) "props\00")
  (global $S_time i32 (i32.const 0x10a0))
  (data (i32.const 0x10a0) "time\00")
  (global $S_tick_on i32 (i32.const 0x10c0))
  (data (i32.const 0x10c0) "tick-on\00")
  (global $S_tick_off i32 (i32.const 0x10e0))
  (data (i32.const 0x10e0) "tick-off\00")
  (global $S_ticks i32 (i32.const 0x1100))
  (data (i32.const 0x1100) "ticks\00")
  (global $S_log i32 (i32.const 0x1120))
  (data (i32.const 0x1120) "log\00")
  (global $S_unimpl i32 (i32.const 0x1140))
  (data (i32.const 0x1140) "unimpl\00")
  (global $S_effective i32 (i32.const 0x1160))
  (data (i32.const 0x1160) "effective\00")
  (global $S_misc i32 (i32.const 0x1180))
  (data (i32.const 0x1180) "misc\00")
  (global $S_local i32 (i32.const 0x11a0))
  (data (i32.const 0x11a0) "local\00")
  (global $S_local_continue i32 (i32.const 0x11c0))
  (data (i32.const 0x11c0) "local-continue\00")
  (global $S_local_bad i32 (i32.const 0x11e0))
  (data (i32.const 0x11e0) "local-bad\00")
  (global $S_late_local i32 (i32.const 0x1200))
  (data (i32.const 0x1200) "late-local\00")
  (global $S_pause i32 (i32.const 0x1220))
  (data (i32.const 0x1220) "pause\00")
  (global $S_trap i32 (i32.const 0x1240))
  (data (i32.const 0x1240) "trap\00")
  (global $S_reject i32 (i32.const 0x1260))
  (data (i32.const 0x1260) "reject\00")
  (global $S_reject_vm i32 (i32.const 0x1280))
  (data (i32.const 0x1280) "reject-vm\00")
  (global $S_x_num_headers i32 (i32.const 0x12a0))
  (data (i32.const 0x12a0) "x-num-headers\00")
  (global $S_x_eos i32 (i32.const 0x12c0))
  (data (i32.const 0x12c0) "x-eos\00")
  (global $S_x_context_id i32 (i32.const 0x12e0))
  (data (i32.const 0x12e0) "x-context-id\00")
  (global $S_x_order i32 (i32.const 0x1300))
  (data (i32.const 0x1300) "x-order\00")
  (global $S_x_vm_root i32 (i32.const 0x1320))
  (data (i32.const 0x1320) "x-vm-root\00")
  (global $S_x_vm_size i32 (i32.const 0x1340))
  (data (i32.const 0x1340) "x-vm-size\00")
  (global $S_x_vm_cfg_status i32 (i32.const 0x1360))
  (data (i32.const 0x1360) "x-vm-cfg-status\00")
  (global $S_x_vm_cfg i32 (i32.const 0x1380))
  (data (i32.const 0x1380) "x-vm-cfg\00")
  (global $S_x_cfg_size i32 (i32.const 0x13a0))
  (data (i32.const 0x13a0) "x-cfg-size\00")
  (global $S_x_cfg_status i32 (i32.const 0x13c0))
  (data (i32.const 0x13c0) "x-cfg-status\00")
  (global $S_x_cfg i32 (i32.const 0x13e0))
  (data (i32.const 0x13e0) "x-cfg\00")
  (global $S_x_root i32 (i32.const 0x1400))
  (data (i32.const 0x1400) "x-root\00")
  (global $S_x_parent i32 (i32.const 0x1420))
  (data (i32.const 0x1420) "x-parent\00")
  (global $S_x_map_size i32 (i32.const 0x1440))
  (data (i32.const 0x1440) "x-map-size\00")
  (global $S_x_map_size_status i32 (i32.const 0x1460))
  (data (i32.const 0x1460) "x-map-size-status\00")
  (global $S_x_pairs_bytes i32 (i32.const 0x1480))
  (data (i32.const 0x1480) "x-pairs-bytes\00")
  (global $S_x_pairs_count i32 (i32.const 0x14a0))
  (data (i32.const 0x14a0) "x-pairs-count\00")
  (global $S_x_in i32 (i32.const 0x14c0))
  (data (i32.const 0x14c0) "x-in\00")
  (global $S_x_got_in i32 (i32.const 0x14e0))
  (data (i32.const 0x14e0) "x-got-in\00")
  (global $S_x_missing i32 (i32.const 0x1500))
  (data (i32.const 0x1500) "x-missing\00")
  (global $S_x_missing_status i32 (i32.const 0x1520))
  (data (i32.const 0x1520) "x-missing-status\00")
  (global $S_x_multi i32 (i32.const 0x1540))
  (data (i32.const 0x1540) "x-multi\00")
  (global $S_one i32 (i32.const 0x1560))
  (data (i32.const 0x1560) "one\00")
  (global $S_two i32 (i32.const 0x1580))
  (data (i32.const 0x1580) "two\00")
  (global $S_x_replace i32 (i32.const 0x15a0))
  (data (i32.const 0x15a0) "x-replace\00")
  (global $S_new i32 (i32.const 0x15c0))
  (data (i32.const 0x15c0) "new\00")
  (global $S_x_remove i32 (i32.const 0x15e0))
  (data (i32.const 0x15e0) "x-remove\00")
  (global $S_x_in_trailer i32 (i32.const 0x1600))
  (data (i32.const 0x1600) "x-in-trailer\00")
  (global $S_x_got_trailer i32 (i32.const 0x1620))
  (data (i32.const 0x1620) "x-got-trailer\00")
  (global $S_x_trailer_added i32 (i32.const 0x1640))
  (data (i32.const 0x1640) "x-trailer-added\00")
  (global $S_yes i32 (i32.const 0x1660))
  (data (i32.const 0x1660) "yes\00")
  (global $S_x_set_pairs_status i32 (i32.const 0x1680))
  (data (i32.const 0x1680) "x-set-pairs-status\00")
  (global $S_x_set_bad_status i32 (i32.const 0x16a0))
  (data (i32.const 0x16a0) "x-set-bad-status\00")
  (global $S_x_map6_status i32 (i32.const 0x16c0))
  (data (i32.const 0x16c0) "x-map6-status\00")
  (global $S_x_hello i32 (i32.const 0x16e0))
  (data (i32.const 0x16e0) "x-hello\00")
  (global $S_x_echo_hello i32 (i32.const 0x1700))
  (data (i32.const 0x1700) "x-echo-hello\00")
  (global $S_x_resp_num_headers i32 (i32.const 0x1720))
  (data (i32.const 0x1720) "x-resp-num-headers\00")
  (global $S_x_resp_eos i32 (i32.const 0x1740))
  (data (i32.const 0x1740) "x-resp-eos\00")
  (global $S_status i32 (i32.const 0x1760))
  (data (i32.const 0x1760) ":status\00")
  (global $S_x_resp_status_seen i32 (i32.const 0x1780))
  (data (i32.const 0x1780) "x-resp-status-seen\00")
  (global $S_x_resp_added i32 (i32.const 0x17a0))
  (data (i32.const 0x17a0) "x-resp-added\00")
  (global $S_x_resp_replace i32 (i32.const 0x17c0))
  (data (i32.const 0x17c0) "x-resp-replace\00")
  (global $S_x_resp_remove i32 (i32.const 0x17e0))
  (data (i32.const 0x17e0) "x-resp-remove\00")
  (global $S_x_resp_trailer i32 (i32.const 0x1800))
  (data (i32.const 0x1800) "x-resp-trailer\00")
  (global $S_x_plugin_config i32 (i32.const 0x1820))
  (data (i32.const 0x1820) "x-plugin-config\00")
  (global $S_x_vm_config i32 (i32.const 0x1840))
  (data (i32.const 0x1840) "x-vm-config\00")
  (global $S_x_plugin_config_slice i32 (i32.const 0x1860))
  (data (i32.const 0x1860) "x-plugin-config-slice\00")
  (global $S_x_plugin_config_tail i32 (i32.const 0x1880))
  (data (i32.const 0x1880) "x-plugin-config-tail\00")
  (global $S_x_zero_max_status i32 (i32.const 0x18a0))
  (data (i32.const 0x18a0) "x-zero-max-status\00")
  (global $S_x_zero_max_size i32 (i32.const 0x18c0))
  (data (i32.const 0x18c0) "x-zero-max-size\00")
  (global $S_x_config_past_end i32 (i32.const 0x18e0))
  (data (i32.const 0x18e0) "x-config-past-end\00")
  (global $S_x_body_size i32 (i32.const 0x1900))
  (data (i32.const 0x1900) "x-body-size\00")
  (global $S_x_body_eos i32 (i32.const 0x1920))
  (data (i32.const 0x1920) "x-body-eos\00")
  (global $S_x_body i32 (i32.const 0x1940))
  (data (i32.const 0x1940) "x-body\00")
  (global $S_x_body_slice i32 (i32.const 0x1960))
  (data (i32.const 0x1960) "x-body-slice\00")
  (global $S_x_body_past_end i32 (i32.const 0x1980))
  (data (i32.const 0x1980) "x-body-past-end\00")
  (global $S_x_body_status_size i32 (i32.const 0x19a0))
  (data (i32.const 0x19a0) "x-body-status-size\00")
  (global $S_x_body_set_status i32 (i32.const 0x19c0))
  (data (i32.const 0x19c0) "x-body-set-status\00")
  (global $S_x_body_append_status i32 (i32.const 0x19e0))
  (data (i32.const 0x19e0) "x-body-append-status\00")
  (global $S_x_body_append_max i32 (i32.const 0x1a00))
  (data (i32.const 0x1a00) "x-body-append-max\00")
  (global $S_HELLO i32 (i32.const 0x1a20))
  (data (i32.const 0x1a20) "HELLO\00")
  (global $S_bang i32 (i32.const 0x1a40))
  (data (i32.const 0x1a40) "!\00")
  (global $S_question i32 (i32.const 0x1a60))
  (data (i32.const 0x1a60) "?\00")
  (global $S_x_resp_body i32 (i32.const 0x1a80))
  (data (i32.const 0x1a80) "x-resp-body\00")
  (global $S_x_resp_body_size i32 (i32.const 0x1aa0))
  (data (i32.const 0x1aa0) "x-resp-body-size\00")
  (global $S_x_resp_body_set i32 (i32.const 0x1ac0))
  (data (i32.const 0x1ac0) "x-resp-body-set\00")
  (global $S_prefix_ i32 (i32.const 0x1ae0))
  (data (i32.const 0x1ae0) "prefix-\00")
  (global $S_x_prop_path i32 (i32.const 0x1b00))
  (data (i32.const 0x1b00) "x-prop-path\00")
  (global $S_request_method i32 (i32.const 0x1b20))
  (data (i32.const 0x1b20) "request.method\00")
  (global $S_x_prop_method i32 (i32.const 0x1b40))
  (data (i32.const 0x1b40) "x-prop-method\00")
  (global $S_x_prop_source i32 (i32.const 0x1b60))
  (data (i32.const 0x1b60) "x-prop-source\00")
  (global $S_plugin_name i32 (i32.const 0x1b80))
  (data (i32.const 0x1b80) "plugin_name\00")
  (global $S_x_prop_name i32 (i32.const 0x1ba0))
  (data (i32.const 0x1ba0) "x-prop-name\00")
  (global $S_plugin_root_id i32 (i32.const 0x1bc0))
  (data (i32.const 0x1bc0) "plugin_root_id\00")
  (global $S_x_prop_root_status i32 (i32.const 0x1be0))
  (data (i32.const 0x1be0) "x-prop-root-status\00")
  (global $S_x_prop_root_size i32 (i32.const 0x1c00))
  (data (i32.const 0x1c00) "x-prop-root-size\00")
  (global $S_x_prop_unknown i32 (i32.const 0x1c20))
  (data (i32.const 0x1c20) "x-prop-unknown\00")
  (global $S_x_prop_set_status i32 (i32.const 0x1c40))
  (data (i32.const 0x1c40) "x-prop-set-status\00")
  (global $S_x_prop_set i32 (i32.const 0x1c60))
  (data (i32.const 0x1c60) "x-prop-set\00")
  (global $S_v1 i32 (i32.const 0x1c80))
  (data (i32.const 0x1c80) "v1\00")
  (global $S_x_time_status i32 (i32.const 0x1ca0))
  (data (i32.const 0x1ca0) "x-time-status\00")
  (global $S_x_time i32 (i32.const 0x1cc0))
  (data (i32.const 0x1cc0) "x-time\00")
  (global $S_x_tick_status i32 (i32.const 0x1ce0))
  (data (i32.const 0x1ce0) "x-tick-status\00")
  (global $S_x_ticks i32 (i32.const 0x1d00))
  (data (i32.const 0x1d00) "x-ticks\00")
  (global $S_x_log_ok i32 (i32.const 0x1d20))
  (data (i32.const 0x1d20) "x-log-ok\00")
  (global $S_x_log_bad_status i32 (i32.const 0x1d40))
  (data (i32.const 0x1d40) "x-log-bad-status\00")
  (global $S_x_log_level_status i32 (i32.const 0x1d60))
  (data (i32.const 0x1d60) "x-log-level-status\00")
  (global $S_x_log_level i32 (i32.const 0x1d80))
  (data (i32.const 0x1d80) "x-log-level\00")
  (global $S_x_http_call_status i32 (i32.const 0x1da0))
  (data (i32.const 0x1da0) "x-http-call-status\00")
  (global $S_x_define_metric i32 (i32.const 0x1dc0))
  (data (i32.const 0x1dc0) "x-define-metric\00")
  (global $S_x_shared_data i32 (i32.const 0x1de0))
  (data (i32.const 0x1de0) "x-shared-data\00")
  (global $S_x_effective_root i32 (i32.const 0x1e00))
  (data (i32.const 0x1e00) "x-effective-root\00")
  (global $S_x_effective_self i32 (i32.const 0x1e20))
  (data (i32.const 0x1e20) "x-effective-self\00")
  (global $S_x_after_effective i32 (i32.const 0x1e40))
  (data (i32.const 0x1e40) "x-after-effective\00")
  (global $S_ok i32 (i32.const 0x1e60))
  (data (i32.const 0x1e60) "ok\00")
  (global $S_x_continue_status i32 (i32.const 0x1e80))
  (data (i32.const 0x1e80) "x-continue-status\00")
  (global $S_x_done_status i32 (i32.const 0x1ea0))
  (data (i32.const 0x1ea0) "x-done-status\00")
  (global $S_denied_by_test i32 (i32.const 0x1ec0))
  (data (i32.const 0x1ec0) "denied_by_test\00")
  (global $S_x_local_status i32 (i32.const 0x1ee0))
  (data (i32.const 0x1ee0) "x-local-status\00")

  ;; Byte strings with NULs inside (lengths given where used).
  (global $P_request_path i32 (i32.const 0x2000))   ;; 12 bytes
  (data (i32.const 0x2000) "request\00path")
  (global $P_source_address i32 (i32.const 0x2020)) ;; 15 bytes, trailing NUL
  (data (i32.const 0x2020) "source\00address\00")
  (global $P_nope i32 (i32.const 0x2040))           ;; 12 bytes
  (data (i32.const 0x2040) "nope\00nothing")
  (global $P_wasmton_test i32 (i32.const 0x2060))   ;; 12 bytes
  (data (i32.const 0x2060) "wasmton\00test")
  ;; {x-local: yes}, serialized: 24 bytes
  (global $M_local_headers i32 (i32.const 0x2080))
  (data (i32.const 0x2080) "\01\00\00\00\07\00\00\00\03\00\00\00x-local\00yes\00")
  ;; the spec's example {a: 1, b: 22}: 29 bytes
  (global $M_pairs i32 (i32.const 0x20c0))
  (data (i32.const 0x20c0) "\02\00\00\00\01\00\00\00\01\00\00\00\01\00\00\00\02\00\00\00a\001\00b\0022\00")
  ;; a count of 255 pairs in 6 bytes: not a map
  (global $M_bad i32 (i32.const 0x2100))
  (data (i32.const 0x2100) "\ff\00\00\00\01\00")
  (global $S_go_away i32 (i32.const 0x2120))
  (data (i32.const 0x2120) "go away\0a\00")
  ;; "log level N": the digit at +10 is patched before each proxy_log
  (global $S_log_message i32 (i32.const 0x2140))
  (data (i32.const 0x2140) "log level 0\00")

  ;; ---- state ----------------------------------------------------------------------

  (global $heap (mut i32) (i32.const 0x10000))
  (global $order_len (mut i32) (i32.const 0))
  (global $root_id (mut i32) (i32.const 0))
  (global $last_parent (mut i32) (i32.const -1))
  (global $vm_root (mut i32) (i32.const -1))
  (global $vm_size (mut i32) (i32.const -1))
  (global $vm_cfg_status (mut i32) (i32.const -1))
  (global $vm_cfg_len (mut i32) (i32.const 0))
  (global $cfg_size (mut i32) (i32.const -1))
  (global $cfg_status (mut i32) (i32.const -1))
  (global $cfg_len (mut i32) (i32.const 0))
  (global $ticks (mut i32) (i32.const 0))

  ;; ---- helpers --------------------------------------------------------------------

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

  (func $reset
    (global.set $heap (i32.const 0x10000)))

  (func $strlen (param $p i32) (result i32)
    (local $n i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (i32.load8_u (i32.add (local.get $p) (local.get $n)))))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $n))

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

  (func $min (param $a i32) (param $b i32) (result i32)
    (select (local.get $a) (local.get $b) (i32.lt_u (local.get $a) (local.get $b))))

  ;; The decimal digits of $v at 0x200; returns their count.
  (func $utoa64 (param $v i64) (result i32)
    (local $p i32) (local $n i32)
    (local.set $p (i32.const 0x240))
    (loop $next
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p) (i32.wrap_i64 (i64.add (i64.rem_u (local.get $v) (i64.const 10)) (i64.const 48))))
      (local.set $v (i64.div_u (local.get $v) (i64.const 10)))
      (br_if $next (i64.ne (local.get $v) (i64.const 0))))
    (local.set $n (i32.sub (i32.const 0x240) (local.get $p)))
    (call $copy (i32.const 0x200) (local.get $p) (local.get $n))
    (local.get $n))

  (func $utoa (param $v i32) (result i32)
    (call $utoa64 (i64.extend_i32_u (local.get $v))))

  ;; Record NAME: VALUE (bytes) / VALUE (a C string) / N (decimal) in map $map.
  (func $add (param $map i32) (param $name i32) (param $value i32) (param $len i32)
    (drop (call $proxy_add_header_map_value (local.get $map) (local.get $name) (call $strlen (local.get $name))
      (local.get $value) (local.get $len))))

  (func $add_s (param $map i32) (param $name i32) (param $value i32)
    (call $add (local.get $map) (local.get $name) (local.get $value) (call $strlen (local.get $value))))

  (func $add_n (param $map i32) (param $name i32) (param $n i32)
    (local $len i32)
    (local.set $len (call $utoa (local.get $n)))
    (call $add (local.get $map) (local.get $name) (i32.const 0x200) (local.get $len)))

  ;; The returned (pointer, size) of the last $get, $buf or $prop.
  (func $ret_ptr (result i32) (i32.load (i32.const 0x100)))
  (func $ret_len (result i32) (i32.load (i32.const 0x104)))

  (func $clear_ret
    (i32.store (i32.const 0x100) (i32.const 0))
    (i32.store (i32.const 0x104) (i32.const 0)))

  ;; proxy_get_header_map_value(map, NAME): the status.
  (func $get (param $map i32) (param $name i32) (result i32)
    (call $clear_ret)
    (call $proxy_get_header_map_value (local.get $map) (local.get $name) (call $strlen (local.get $name))
      (i32.const 0x100) (i32.const 0x104)))

  ;; proxy_get_buffer_bytes(type, start, max): the status.
  (func $buf (param $type i32) (param $start i32) (param $max i32) (result i32)
    (call $clear_ret)
    (call $proxy_get_buffer_bytes (local.get $type) (local.get $start) (local.get $max) (i32.const 0x100) (i32.const 0x104)))

  ;; proxy_get_property(path, len): the status.
  (func $prop (param $path i32) (param $len i32) (result i32)
    (call $clear_ret)
    (call $proxy_get_property (local.get $path) (local.get $len) (i32.const 0x100) (i32.const 0x104)))

  ;; Whether the request header x-test is MODE.
  (func $mode_is (param $mode i32) (result i32)
    (if (call $get (i32.const 0) (global.get $S_x_test)) (then (return (i32.const 0))))
    (call $eq (call $ret_ptr) (call $ret_len) (local.get $mode) (call $strlen (local.get $mode))))

  (func $trace (param $letter i32)
    (if (i32.lt_u (global.get $order_len) (i32.const 0x3f0))
      (then
        (i32.store8 (i32.add (i32.const 0x400) (global.get $order_len)) (local.get $letter))
        (global.set $order_len (i32.add (global.get $order_len) (i32.const 1))))))

  (func $local_response (param $status i32) (result i32)
    (call $proxy_send_local_response (local.get $status)
      (global.get $S_denied_by_test) (call $strlen (global.get $S_denied_by_test))
      (global.get $S_go_away) (call $strlen (global.get $S_go_away))
      (global.get $M_local_headers) (i32.const 24)
      (i32.const -1)))

  ;; ---- start-up -------------------------------------------------------------------

  (func (export "proxy_abi_version_0_2_1"))

  (func (export "_initialize")
    (call $trace (i32.const 105))) ;; i

  (func (export "proxy_on_context_create") (param $id i32) (param $parent i32)
    (call $reset)
    (if (i32.eqz (local.get $parent))
      (then
        (call $trace (i32.const 99)) ;; c
        (global.set $root_id (local.get $id)))
      (else
        (call $trace (i32.const 67)) ;; C
        (global.set $last_parent (local.get $parent)))))

  (func (export "proxy_on_vm_start") (param $root i32) (param $size i32) (result i32)
    (call $reset)
    (call $trace (i32.const 118)) ;; v
    (global.set $vm_root (local.get $root))
    (global.set $vm_size (local.get $size))
    (global.set $vm_cfg_status (call $buf (i32.const 6) (i32.const 0) (i32.const -1)))
    (global.set $vm_cfg_len (call $min (call $ret_len) (i32.const 0xff)))
    (call $copy (i32.const 0x900) (call $ret_ptr) (global.get $vm_cfg_len))
    (i32.eqz
      (call $eq (i32.const 0x900) (global.get $vm_cfg_len) (global.get $S_reject_vm) (call $strlen (global.get $S_reject_vm)))))

  (func (export "proxy_on_configure") (param $root i32) (param $size i32) (result i32)
    (call $reset)
    (call $trace (i32.const 103)) ;; g
    (global.set $cfg_size (local.get $size))
    (global.set $cfg_status (call $buf (i32.const 7) (i32.const 0) (i32.const -1)))
    (global.set $cfg_len (call $min (call $ret_len) (i32.const 0xff)))
    (call $copy (i32.const 0x800) (call $ret_ptr) (global.get $cfg_len))
    (i32.eqz
      (call $eq (i32.const 0x800) (global.get $cfg_len) (global.get $S_reject) (call $strlen (global.get $S_reject)))))

  (func (export "proxy_on_tick") (param $root i32)
    (call $trace (i32.const 84)) ;; T
    (global.set $ticks (i32.add (global.get $ticks) (i32.const 1))))

  ;; ---- request modes --------------------------------------------------------------

  (func $startup_report
    (call $add (i32.const 0) (global.get $S_x_order) (i32.const 0x400) (global.get $order_len))
    (call $add_n (i32.const 0) (global.get $S_x_vm_root) (global.get $vm_root))
    (call $add_n (i32.const 0) (global.get $S_x_vm_size) (global.get $vm_size))
    (call $add_n (i32.const 0) (global.get $S_x_vm_cfg_status) (global.get $vm_cfg_status))
    (call $add (i32.const 0) (global.get $S_x_vm_cfg) (i32.const 0x900) (global.get $vm_cfg_len))
    (call $add_n (i32.const 0) (global.get $S_x_cfg_size) (global.get $cfg_size))
    (call $add_n (i32.const 0) (global.get $S_x_cfg_status) (global.get $cfg_status))
    (call $add (i32.const 0) (global.get $S_x_cfg) (i32.const 0x800) (global.get $cfg_len))
    (call $add_n (i32.const 0) (global.get $S_x_root) (global.get $root_id))
    (call $add_n (i32.const 0) (global.get $S_x_parent) (global.get $last_parent)))

  (func $maps_request
    (local $status i32) (local $size i32) (local $pairs i32) (local $pairs_len i32)
    ;; Measure first, before anything is added.
    (i32.store (i32.const 0x114) (i32.const 0))
    (local.set $status (call $proxy_get_header_map_size (i32.const 0) (i32.const 0x114)))
    (local.set $size (i32.load (i32.const 0x114)))
    (call $clear_ret)
    (drop (call $proxy_get_header_map_pairs (i32.const 0) (i32.const 0x100) (i32.const 0x104)))
    (local.set $pairs (call $ret_ptr))
    (local.set $pairs_len (call $ret_len))
    (call $add_n (i32.const 0) (global.get $S_x_map_size_status) (local.get $status))
    (call $add_n (i32.const 0) (global.get $S_x_map_size) (local.get $size))
    (call $add_n (i32.const 0) (global.get $S_x_pairs_bytes) (local.get $pairs_len))
    (if (i32.ge_u (local.get $pairs_len) (i32.const 4))
      (then (call $add_n (i32.const 0) (global.get $S_x_pairs_count) (i32.load (local.get $pairs)))))
    ;; One value, a missing one.
    (if (i32.eqz (call $get (i32.const 0) (global.get $S_x_in)))
      (then (call $add (i32.const 0) (global.get $S_x_got_in) (call $ret_ptr) (call $ret_len))))
    (call $add_n (i32.const 0) (global.get $S_x_missing_status) (call $get (i32.const 0) (global.get $S_x_missing)))
    ;; Add twice, replace, remove.
    (call $add_s (i32.const 0) (global.get $S_x_multi) (global.get $S_one))
    (call $add_s (i32.const 0) (global.get $S_x_multi) (global.get $S_two))
    (drop (call $proxy_replace_header_map_value (i32.const 0)
      (global.get $S_x_replace) (call $strlen (global.get $S_x_replace))
      (global.get $S_new) (call $strlen (global.get $S_new))))
    (drop (call $proxy_remove_header_map_value (i32.const 0)
      (global.get $S_x_remove) (call $strlen (global.get $S_x_remove))))
    ;; Request trailers.
    (if (i32.eqz (call $get (i32.const 1) (global.get $S_x_in_trailer)))
      (then (call $add (i32.const 0) (global.get $S_x_got_trailer) (call $ret_ptr) (call $ret_len))))
    (call $add_s (i32.const 1) (global.get $S_x_trailer_added) (global.get $S_yes))
    ;; Response trailers: a whole map, then one that is not a map.
    (call $add_n (i32.const 0) (global.get $S_x_set_pairs_status)
      (call $proxy_set_header_map_pairs (i32.const 3) (global.get $M_pairs) (i32.const 29)))
    (call $add_n (i32.const 0) (global.get $S_x_set_bad_status)
      (call $proxy_set_header_map_pairs (i32.const 3) (global.get $M_bad) (i32.const 6)))
    ;; A map that does not exist in an HTTP stream.
    (call $clear_ret)
    (call $add_n (i32.const 0) (global.get $S_x_map6_status)
      (call $proxy_get_header_map_pairs (i32.const 6) (i32.const 0x100) (i32.const 0x104))))

  (func $config_buffers
    (drop (call $buf (i32.const 7) (i32.const 0) (i32.const -1)))
    (call $add (i32.const 0) (global.get $S_x_plugin_config) (call $ret_ptr) (call $ret_len))
    (drop (call $buf (i32.const 6) (i32.const 0) (i32.const -1)))
    (call $add (i32.const 0) (global.get $S_x_vm_config) (call $ret_ptr) (call $ret_len))
    (drop (call $buf (i32.const 7) (i32.const 1) (i32.const 3)))
    (call $add (i32.const 0) (global.get $S_x_plugin_config_slice) (call $ret_ptr) (call $ret_len))
    (drop (call $buf (i32.const 7) (i32.const 2) (i32.const -1)))
    (call $add (i32.const 0) (global.get $S_x_plugin_config_tail) (call $ret_ptr) (call $ret_len))
    (call $add_n (i32.const 0) (global.get $S_x_zero_max_status) (call $buf (i32.const 7) (i32.const 0) (i32.const 0)))
    (call $add_n (i32.const 0) (global.get $S_x_zero_max_size) (call $ret_len))
    (call $add_n (i32.const 0) (global.get $S_x_config_past_end) (call $buf (i32.const 7) (i32.const 1000) (i32.const 1))))

  (func $props
    (drop (call $prop (global.get $P_request_path) (i32.const 12)))
    (call $add (i32.const 0) (global.get $S_x_prop_path) (call $ret_ptr) (call $ret_len))
    (drop (call $prop (global.get $S_request_method) (call $strlen (global.get $S_request_method))))
    (call $add (i32.const 0) (global.get $S_x_prop_method) (call $ret_ptr) (call $ret_len))
    (drop (call $prop (global.get $P_source_address) (i32.const 15)))
    (call $add (i32.const 0) (global.get $S_x_prop_source) (call $ret_ptr) (call $ret_len))
    (drop (call $prop (global.get $S_plugin_name) (call $strlen (global.get $S_plugin_name))))
    (call $add (i32.const 0) (global.get $S_x_prop_name) (call $ret_ptr) (call $ret_len))
    (call $add_n (i32.const 0) (global.get $S_x_prop_root_status)
      (call $prop (global.get $S_plugin_root_id) (call $strlen (global.get $S_plugin_root_id))))
    (call $add_n (i32.const 0) (global.get $S_x_prop_root_size) (call $ret_len))
    (call $add_n (i32.const 0) (global.get $S_x_prop_unknown) (call $prop (global.get $P_nope) (i32.const 12)))
    (call $add_n (i32.const 0) (global.get $S_x_prop_set_status)
      (call $proxy_set_property (global.get $P_wasmton_test) (i32.const 12) (global.get $S_v1) (i32.const 2)))
    (drop (call $prop (global.get $P_wasmton_test) (i32.const 12)))
    (call $add (i32.const 0) (global.get $S_x_prop_set) (call $ret_ptr) (call $ret_len)))

  (func $time
    (local $len i32)
    (i64.store (i32.const 0x108) (i64.const 0))
    (call $add_n (i32.const 0) (global.get $S_x_time_status) (call $proxy_get_current_time_nanoseconds (i32.const 0x108)))
    (local.set $len (call $utoa64 (i64.load (i32.const 0x108))))
    (call $add (i32.const 0) (global.get $S_x_time) (i32.const 0x200) (local.get $len)))

  (func $logs
    (local $level i32) (local $ok i32)
    (block $done
      (loop $next
        (br_if $done (i32.gt_u (local.get $level) (i32.const 5)))
        (i32.store8 (i32.add (global.get $S_log_message) (i32.const 10)) (i32.add (i32.const 48) (local.get $level)))
        (if (i32.eqz (call $proxy_log (local.get $level) (global.get $S_log_message) (i32.const 11)))
          (then (local.set $ok (i32.add (local.get $ok) (i32.const 1)))))
        (local.set $level (i32.add (local.get $level) (i32.const 1)))
        (br $next)))
    (call $add_n (i32.const 0) (global.get $S_x_log_ok) (local.get $ok))
    (i32.store8 (i32.add (global.get $S_log_message) (i32.const 10)) (i32.const 54))
    (call $add_n (i32.const 0) (global.get $S_x_log_bad_status)
      (call $proxy_log (i32.const 6) (global.get $S_log_message) (i32.const 11)))
    (i32.store (i32.const 0x110) (i32.const -1))
    (call $add_n (i32.const 0) (global.get $S_x_log_level_status) (call $proxy_get_log_level (i32.const 0x110)))
    (call $add_n (i32.const 0) (global.get $S_x_log_level) (i32.load (i32.const 0x110))))

  (func $unimplemented
    (call $add_n (i32.const 0) (global.get $S_x_http_call_status)
      (call $proxy_http_call (global.get $S_x_test) (i32.const 6) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)
        (i32.const 0) (i32.const 0) (i32.const 1000) (i32.const 0x114)))
    (call $add_n (i32.const 0) (global.get $S_x_define_metric)
      (call $proxy_define_metric (i32.const 0) (global.get $S_x_test) (i32.const 6) (i32.const 0x114)))
    (call $add_n (i32.const 0) (global.get $S_x_shared_data)
      (call $proxy_get_shared_data (global.get $S_x_test) (i32.const 6) (i32.const 0x100) (i32.const 0x104) (i32.const 0x114))))

  (func $effective (param $id i32)
    (call $add_n (i32.const 0) (global.get $S_x_effective_root) (call $proxy_set_effective_context (global.get $root_id)))
    (call $add_n (i32.const 0) (global.get $S_x_effective_self) (call $proxy_set_effective_context (local.get $id)))
    (call $add_s (i32.const 0) (global.get $S_x_after_effective) (global.get $S_ok)))

  (func $misc
    (call $add_n (i32.const 0) (global.get $S_x_continue_status) (call $proxy_continue_stream (i32.const 0)))
    (call $add_n (i32.const 0) (global.get $S_x_done_status) (call $proxy_done)))

  ;; ---- HTTP callbacks -------------------------------------------------------------

  (func (export "proxy_on_request_headers") (param $id i32) (param $n i32) (param $eos i32) (result i32)
    (call $reset)
    (call $trace (i32.const 72)) ;; H
    (if (call $mode_is (global.get $S_startup)) (then (call $startup_report)))
    (if (call $mode_is (global.get $S_maps)) (then (call $maps_request)))
    (if (call $mode_is (global.get $S_buffers)) (then (call $config_buffers)))
    (if (call $mode_is (global.get $S_props)) (then (call $props)))
    (if (call $mode_is (global.get $S_time)) (then (call $time)))
    (if (call $mode_is (global.get $S_tick_on))
      (then (call $add_n (i32.const 0) (global.get $S_x_tick_status) (call $proxy_set_tick_period_milliseconds (i32.const 20)))))
    (if (call $mode_is (global.get $S_tick_off))
      (then (call $add_n (i32.const 0) (global.get $S_x_tick_status) (call $proxy_set_tick_period_milliseconds (i32.const 0)))))
    (if (call $mode_is (global.get $S_ticks)) (then (call $add_n (i32.const 0) (global.get $S_x_ticks) (global.get $ticks))))
    (if (call $mode_is (global.get $S_log)) (then (call $logs)))
    (if (call $mode_is (global.get $S_unimpl)) (then (call $unimplemented)))
    (if (call $mode_is (global.get $S_effective)) (then (call $effective (local.get $id))))
    (if (call $mode_is (global.get $S_misc)) (then (call $misc)))
    (if (call $mode_is (global.get $S_local))
      (then (drop (call $local_response (i32.const 403))) (return (i32.const 1))))
    (if (call $mode_is (global.get $S_local_continue))
      (then (drop (call $local_response (i32.const 418))) (return (i32.const 0))))
    (if (call $mode_is (global.get $S_local_bad))
      (then (call $add_n (i32.const 0) (global.get $S_x_local_status) (call $local_response (i32.const 99)))))
    (if (call $mode_is (global.get $S_pause)) (then (return (i32.const 1))))
    (if (call $mode_is (global.get $S_trap)) (then unreachable))
    (call $add_n (i32.const 0) (global.get $S_x_num_headers) (local.get $n))
    (call $add_n (i32.const 0) (global.get $S_x_eos) (local.get $eos))
    (call $add_n (i32.const 0) (global.get $S_x_context_id) (local.get $id))
    ;; buffers holds the headers until it has the whole body (as Envoy filters that rewrite bodies do).
    (if (result i32) (call $mode_is (global.get $S_buffers)) (then (i32.const 1)) (else (i32.const 0))))

  (func (export "proxy_on_request_body") (param $id i32) (param $size i32) (param $eos i32) (result i32)
    (call $reset)
    (call $trace (i32.const 66)) ;; B
    (if (call $mode_is (global.get $S_buffers))
      (then
        (if (i32.eqz (local.get $eos)) (then (return (i32.const 1)))) ;; buffer until the end
        (call $add_n (i32.const 0) (global.get $S_x_body_size) (local.get $size))
        (call $add_n (i32.const 0) (global.get $S_x_body_eos) (local.get $eos))
        (drop (call $buf (i32.const 0) (i32.const 0) (i32.const -1)))
        (call $add (i32.const 0) (global.get $S_x_body) (call $ret_ptr) (call $ret_len))
        (drop (call $buf (i32.const 0) (i32.const 2) (i32.const 3)))
        (call $add (i32.const 0) (global.get $S_x_body_slice) (call $ret_ptr) (call $ret_len))
        (call $add_n (i32.const 0) (global.get $S_x_body_past_end) (call $buf (i32.const 0) (i32.const 1000) (i32.const 1)))
        (i32.store (i32.const 0x114) (i32.const -1))
        (drop (call $proxy_get_buffer_status (i32.const 0) (i32.const 0x114) (i32.const 0x118)))
        (call $add_n (i32.const 0) (global.get $S_x_body_status_size) (i32.load (i32.const 0x114)))
        (call $add_n (i32.const 0) (global.get $S_x_body_set_status)
          (call $proxy_set_buffer_bytes (i32.const 0) (i32.const 0) (i32.const 5) (global.get $S_HELLO) (i32.const 5)))
        (call $add_n (i32.const 0) (global.get $S_x_body_append_status)
          (call $proxy_set_buffer_bytes (i32.const 0) (local.get $size) (i32.const 0) (global.get $S_bang) (i32.const 1)))
        (call $add_n (i32.const 0) (global.get $S_x_body_append_max)
          (call $proxy_set_buffer_bytes (i32.const 0) (i32.const -1) (i32.const 0) (global.get $S_question) (i32.const 1)))))
    (i32.const 0))

  ;; Copies the request header NAME, if present, to the response headers.
  (func $echo (param $name i32)
    (if (i32.eqz (call $get (i32.const 0) (local.get $name)))
      (then (call $add (i32.const 2) (local.get $name) (call $ret_ptr) (call $ret_len)))))

  (func (export "proxy_on_response_headers") (param $id i32) (param $n i32) (param $eos i32) (result i32)
    (call $reset)
    (call $trace (i32.const 82)) ;; R
    (if (i32.eqz (call $get (i32.const 0) (global.get $S_x_hello)))
      (then (call $add (i32.const 2) (global.get $S_x_echo_hello) (call $ret_ptr) (call $ret_len))))
    (call $echo (global.get $S_x_eos))
    (if (call $mode_is (global.get $S_props))
      (then
        (call $echo (global.get $S_x_prop_path))
        (call $echo (global.get $S_x_prop_method))
        (call $echo (global.get $S_x_prop_source))
        (call $echo (global.get $S_x_prop_name))))
    (if (call $mode_is (global.get $S_buffers))
      (then
        (call $echo (global.get $S_x_body))
        (call $echo (global.get $S_x_body_append_max))))
    (if (call $mode_is (global.get $S_maps))
      (then
        (call $add_n (i32.const 2) (global.get $S_x_resp_num_headers) (local.get $n))
        (call $add_n (i32.const 2) (global.get $S_x_resp_eos) (local.get $eos))
        (if (i32.eqz (call $get (i32.const 2) (global.get $S_status)))
          (then (call $add (i32.const 2) (global.get $S_x_resp_status_seen) (call $ret_ptr) (call $ret_len))))
        (call $add_s (i32.const 2) (global.get $S_x_resp_added) (global.get $S_yes))
        (drop (call $proxy_replace_header_map_value (i32.const 2)
          (global.get $S_x_resp_replace) (call $strlen (global.get $S_x_resp_replace))
          (global.get $S_new) (call $strlen (global.get $S_new))))
        (drop (call $proxy_remove_header_map_value (i32.const 2)
          (global.get $S_x_resp_remove) (call $strlen (global.get $S_x_resp_remove))))
        (call $add_s (i32.const 3) (global.get $S_x_resp_trailer) (global.get $S_yes))))
    (if (call $mode_is (global.get $S_late_local))
      (then (drop (call $local_response (i32.const 451))) (return (i32.const 1))))
    (if (result i32) (call $mode_is (global.get $S_buffers)) (then (i32.const 1)) (else (i32.const 0))))

  (func (export "proxy_on_response_body") (param $id i32) (param $size i32) (param $eos i32) (result i32)
    (call $reset)
    (call $trace (i32.const 83)) ;; S
    (if (call $mode_is (global.get $S_buffers))
      (then
        (if (i32.eqz (local.get $eos)) (then (return (i32.const 1)))) ;; buffer until the end
        (drop (call $buf (i32.const 1) (i32.const 0) (i32.const -1)))
        (call $add (i32.const 2) (global.get $S_x_resp_body) (call $ret_ptr) (call $ret_len))
        (call $add_n (i32.const 2) (global.get $S_x_resp_body_size) (local.get $size))
        (call $add_n (i32.const 2) (global.get $S_x_resp_body_set)
          (call $proxy_set_buffer_bytes (i32.const 1) (i32.const 0) (i32.const 0) (global.get $S_prefix_)
            (call $strlen (global.get $S_prefix_))))))
    (i32.const 0))

  (func (export "proxy_on_done") (param $id i32) (result i32)
    (call $trace (i32.const 68)) ;; D
    (i32.const 1))

  (func (export "proxy_on_log") (param $id i32)
    (call $trace (i32.const 76))) ;; L

  (func (export "proxy_on_delete") (param $id i32)
    (call $trace (i32.const 88))) ;; X
)
