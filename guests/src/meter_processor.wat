;; meter_processor.wat: a PollTask processor of known instruction count, for
;; the accounting tests (wasmton_guest_fuel_total and friends). What it does
;; with a record depends on the record value's first byte:
;;   't'    unreachable (a trap)
;;   'g'    grows memory by one page (64 KiB)
;;   other  runs a loop of 100 iterations per value byte; each iteration is the
;;          same five operators (local.get, i32.const, i32.sub, local.tee,
;;          br_if), so a task's fuel grows by exactly 100 x (the fuel of those
;;          five) per value byte.
(module $meter_processor
  (import "decaton" "poll_task" (func $poll_task (param i64 i32) (result i32)))

  (memory $memory 1)
  (export "memory" (memory $memory))

  (func $run (export "run")
    (local $length i32)
    (local $first i32)
    (local $i i32)
    ;; The value goes to 1024 (up to 60,000 bytes).
    (local.set $length (call $poll_task (i64.const 1024) (i32.const 60000)))
    (local.set $first (i32.load8_u (i32.const 1024)))
    (if (i32.eq (local.get $first) (i32.const 116))
      (then unreachable))
    (if (i32.eq (local.get $first) (i32.const 103))
      (then
        (drop (memory.grow (i32.const 1)))
        (return)))
    (local.set $i (i32.mul (local.get $length) (i32.const 100)))
    (if (local.get $i)
      (then
        (loop $spin
          (br_if $spin (local.tee $i (i32.sub (local.get $i) (i32.const 1))))))))
)
