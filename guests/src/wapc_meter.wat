;; wapc_meter.wat: a waPC guest of known instruction count, for the accounting
;; tests (wasmton_guest_fuel_total and friends). Imports only what it needs.
;;
;; Operations, told apart by their first letter:
;;   spin   runs a loop of 100 iterations per payload byte; each iteration is
;;          the same five operators (local.get, i32.const, i32.sub, local.tee,
;;          br_if), so the fuel of a call grows by exactly 100 x (the fuel of
;;          those five) per payload byte. Responds with an empty body.
;;   trap   unreachable.
;;   grow   grows memory by one page (64 KiB) and responds with an empty body.
;;   other  "unknown operation", returns 0.
(module $wapc_meter
  (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (import "wapc" "__guest_error" (func $guest_error (param i32 i32)))

  (memory $memory 1)
  (export "memory" (memory $memory))
  (data (i32.const 16) "unknown operation")

  ;; The operation name goes to 1024, the payload to 2048 (up to 62 KiB).
  (func $guest_call (export "__guest_call") (param $operation_len i32) (param $payload_len i32) (result i32)
    (local $first i32)
    (local $i i32)
    (call $guest_request (i32.const 1024) (i32.const 2048))
    (local.set $first (i32.load8_u (i32.const 1024)))
    ;; 's': spin
    (if (i32.eq (local.get $first) (i32.const 115))
      (then
        (local.set $i (i32.mul (local.get $payload_len) (i32.const 100)))
        (if (local.get $i)
          (then
            (loop $spin
              (br_if $spin (local.tee $i (i32.sub (local.get $i) (i32.const 1)))))))
        (call $guest_response (i32.const 2048) (i32.const 0))
        (return (i32.const 1))))
    ;; 't': trap
    (if (i32.eq (local.get $first) (i32.const 116))
      (then unreachable))
    ;; 'g': grow by a page
    (if (i32.eq (local.get $first) (i32.const 103))
      (then
        (drop (memory.grow (i32.const 1)))
        (call $guest_response (i32.const 2048) (i32.const 0))
        (return (i32.const 1))))
    (call $guest_error (i32.const 16) (i32.const 17))
    (i32.const 0))
)
