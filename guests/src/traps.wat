;; traps.wat: exports that fail on purpose, for testing how the host reports
;; traps and enforces limits. Memory: 1 page, no maximum (exported as "memory").
;;
;;   unreachable        ()        -> ()    executes `unreachable`
;;   oob_load           ()        -> i32   i32.load past the end of memory
;;   div_zero           ()        -> i32   i32.div_s 1 / 0
;;   int_overflow       ()        -> i32   i32.div_s INT32_MIN / -1
;;   div_s              (i32 i32) -> i32   i32.div_s a / b (traps when b = 0 ...)
;;   stack_overflow     ()        -> i32   unbounded (non-tail) recursion
;;   infinite_loop      ()        -> ()    loops forever, never calls the host
;;   memory_bomb        ()        -> i32   memory.grow 1 page at a time until grow
;;                                         fails; returns the final size in pages
;;   grow               (i32)     -> i32   memory.grow by n pages; old size or -1
;;   indirect_null      ()        -> i32   call_indirect on an empty table slot
;;   indirect_mismatch  ()        -> i32   call_indirect with the wrong signature
;;   ok                 ()        -> i32   returns 42 (the module is usable after a trap)
(module $traps
  (type $void_to_i32 (func (result i32)))
  (type $i32_to_i32 (func (param i32) (result i32)))

  (memory $mem (export "memory") 1)

  ;; Slot 0 holds $answer, slot 1 is left empty (null).
  (table $tbl 2 funcref)
  (elem (table $tbl) (i32.const 0) func $answer)

  (func $answer (type $void_to_i32)
    i32.const 42)

  (func (export "ok") (result i32)
    i32.const 42)

  (func (export "unreachable")
    unreachable)

  (func (export "oob_load") (result i32)
    ;; Effective address = 0xFFFFFFFC + 8 = 2^32 + 4: out of bounds for any
    ;; 32-bit memory, even a full 4 GiB one.
    i32.const 0xFFFFFFFC
    i32.load offset=8)

  (func (export "div_zero") (result i32)
    i32.const 1
    i32.const 0
    i32.div_s)

  (func (export "int_overflow") (result i32)
    i32.const 0x80000000 ;; INT32_MIN
    i32.const -1
    i32.div_s)

  (func (export "div_s") (param $a i32) (param $b i32) (result i32)
    local.get $a
    local.get $b
    i32.div_s)

  ;; Not a tail call: the add after the call keeps every frame alive.
  (func $recurse (param $depth i32) (result i32)
    local.get $depth
    i32.const 1
    i32.add
    call $recurse
    i32.const 1
    i32.add)

  (func (export "stack_overflow") (result i32)
    i32.const 0
    call $recurse)

  (func (export "infinite_loop")
    (loop $forever
      br $forever))

  (func (export "memory_bomb") (result i32)
    (block $failed
      (loop $again
        i32.const 1
        memory.grow
        i32.const -1
        i32.eq
        br_if $failed
        br $again))
    memory.size)

  (func (export "grow") (param $pages i32) (result i32)
    local.get $pages
    memory.grow)

  (func (export "indirect_null") (result i32)
    i32.const 1 ;; empty slot
    call_indirect $tbl (type $void_to_i32))

  (func (export "indirect_mismatch") (result i32)
    i32.const 7 ;; argument for the (wrong) (i32) -> i32 signature
    i32.const 0 ;; slot 0 is $answer : () -> i32
    call_indirect $tbl (type $i32_to_i32))
)
