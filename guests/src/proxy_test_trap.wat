;; proxy_test_trap.wat: a proxy-wasm 0.2.1 filter that misbehaves on request,
;; for the tests of how Wasmton contains a failing filter
;; (Tests/WasmtonGatewayTests/FilterTests.swift, Tests/WasmtonCLITests).
;;
;; On the request headers, by the request's :path:
;;   contains "/trap"   traps (unreachable)
;;   contains "/loop"   loops forever without calling the host (only the
;;                      sandbox's fuel or deadline stops it)
;;   contains "/pause"  returns PAUSE without a local response
;;   contains "/slow"   spins for a while (300000 loop iterations) without
;;                      calling the host, then reads :path again and adds it
;;                      as "x-path-seen" (so a test can see whether the host
;;                      kept the stream of this call while it ran), then goes on
;;                      as below
;;   otherwise          adds "x-trap-filter: passed" and "x-vm-requests: N",
;;                      N counting the requests this VM has seen (1 for the
;;                      first one after a (re)start), and continues.
;; On the response headers: traps when :path contains "/late-trap", else adds
;; "x-trap-filter-response: passed".
;; Memory: 0x100 return slots, 0x200 decimal scratch, 0x1000 strings, 0x10000
;; a bump heap reset at the start of every callback.
(module $proxy_test_trap
  (import "env" "proxy_get_header_map_value" (func $proxy_get_header_map_value (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_add_header_map_value" (func $proxy_add_header_map_value (param i32 i32 i32 i32 i32) (result i32)))

  (memory $memory 2)
  (export "memory" (memory $memory))

  (data (i32.const 0x1000) ":path")                    ;; 5
  (data (i32.const 0x1010) "/trap")                    ;; 5
  (data (i32.const 0x1020) "/loop")                    ;; 5
  (data (i32.const 0x1030) "/pause")                   ;; 6
  (data (i32.const 0x1040) "/late-trap")               ;; 10
  (data (i32.const 0x1050) "x-trap-filter")            ;; 13
  (data (i32.const 0x1060) "passed")                   ;; 6
  (data (i32.const 0x1070) "x-vm-requests")            ;; 13
  (data (i32.const 0x1080) "x-trap-filter-response")   ;; 22
  (data (i32.const 0x10a0) "/slow")                    ;; 5
  (data (i32.const 0x10b0) "x-path-seen")              ;; 11

  (global $heap (mut i32) (i32.const 0x10000))
  (global $requests (mut i32) (i32.const 0))

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

  ;; Whether the request's :path contains the $len bytes at $needle.
  (func $path_contains (param $needle i32) (param $len i32) (result i32)
    (local $path i32) (local $path_len i32) (local $i i32) (local $j i32) (local $match i32)
    (i32.store (i32.const 0x100) (i32.const 0))
    (i32.store (i32.const 0x104) (i32.const 0))
    (if (call $proxy_get_header_map_value (i32.const 0) (i32.const 0x1000) (i32.const 5) (i32.const 0x100) (i32.const 0x104))
      (then (return (i32.const 0))))
    (local.set $path (i32.load (i32.const 0x100)))
    (local.set $path_len (i32.load (i32.const 0x104)))
    (if (i32.lt_u (local.get $path_len) (local.get $len)) (then (return (i32.const 0))))
    (block $none
      (loop $at
        (br_if $none (i32.gt_u (local.get $i) (i32.sub (local.get $path_len) (local.get $len))))
        (local.set $j (i32.const 0))
        (local.set $match (i32.const 1))
        (block $compared
          (loop $byte
            (br_if $compared (i32.ge_u (local.get $j) (local.get $len)))
            (if (i32.ne (i32.load8_u (i32.add (local.get $path) (i32.add (local.get $i) (local.get $j))))
                        (i32.load8_u (i32.add (local.get $needle) (local.get $j))))
              (then (local.set $match (i32.const 0)) (br $compared)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $byte)))
        (if (local.get $match) (then (return (i32.const 1))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $at)))
    (i32.const 0))

  ;; The decimal digits of $v at 0x200; returns their count.
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

  (func (export "proxy_abi_version_0_2_1"))
  (func (export "_initialize"))
  (func (export "proxy_on_context_create") (param $id i32) (param $parent i32))
  (func (export "proxy_on_vm_start") (param $root i32) (param $size i32) (result i32) (i32.const 1))
  (func (export "proxy_on_configure") (param $root i32) (param $size i32) (result i32) (i32.const 1))

  (func (export "proxy_on_request_headers") (param $id i32) (param $n i32) (param $eos i32) (result i32)
    (local $len i32)
    (global.set $heap (i32.const 0x10000))
    (global.set $requests (i32.add (global.get $requests) (i32.const 1)))
    (if (call $path_contains (i32.const 0x1010) (i32.const 5)) (then unreachable))
    (if (call $path_contains (i32.const 0x1020) (i32.const 5))
      (then (loop $forever (br $forever))))
    (if (call $path_contains (i32.const 0x1030) (i32.const 6)) (then (return (i32.const 1))))
    (if (call $path_contains (i32.const 0x10a0) (i32.const 5))
      (then
        (local.set $len (i32.const 0))
        (loop $spin
          (local.set $len (i32.add (local.get $len) (i32.const 1)))
          (br_if $spin (i32.lt_u (local.get $len) (i32.const 300000))))
        (i32.store (i32.const 0x100) (i32.const 0))
        (i32.store (i32.const 0x104) (i32.const 0))
        (if (i32.eqz (call $proxy_get_header_map_value (i32.const 0) (i32.const 0x1000) (i32.const 5)
                       (i32.const 0x100) (i32.const 0x104)))
          (then
            (drop (call $proxy_add_header_map_value (i32.const 0) (i32.const 0x10b0) (i32.const 11)
              (i32.load (i32.const 0x100)) (i32.load (i32.const 0x104))))))))
    (drop (call $proxy_add_header_map_value (i32.const 0) (i32.const 0x1050) (i32.const 13) (i32.const 0x1060) (i32.const 6)))
    (local.set $len (call $utoa (global.get $requests)))
    (drop (call $proxy_add_header_map_value (i32.const 0) (i32.const 0x1070) (i32.const 13) (i32.const 0x200) (local.get $len)))
    (i32.const 0))

  (func (export "proxy_on_response_headers") (param $id i32) (param $n i32) (param $eos i32) (result i32)
    (global.set $heap (i32.const 0x10000))
    (if (call $path_contains (i32.const 0x1040) (i32.const 10)) (then unreachable))
    (drop (call $proxy_add_header_map_value (i32.const 2) (i32.const 0x1080) (i32.const 22) (i32.const 0x1060) (i32.const 6)))
    (i32.const 0))

  (func (export "proxy_on_done") (param $id i32) (result i32) (i32.const 1))
  (func (export "proxy_on_log") (param $id i32))
  (func (export "proxy_on_delete") (param $id i32))
)
