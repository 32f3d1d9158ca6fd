;; sections.wat: one module containing every standard section (ids 1-12).
;; The build appends a custom section "wasmton.note" (see tools/append_custom.py)
;; and wat2wasm --debug-names emits the custom "name" section.
;;
;; Imports the host must provide:
;;   env.log  (func (param i32))   called only by the "notify" export
;;   env.base (global i32)         read by the start function
;;
;; Exports:
;;   memory, table                  the defined memory and table
;;   counter (mut i32 global)       set to env.base + 1 by the start function
;;   answer  (i32 global)           42
;;   add, subtract  (i32 i32) -> i32
;;   call_table (i32 i32 i32) -> i32    call_indirect table[idx](a, b)
;;   notify (i32) -> ()             calls env.log with its argument
;;   load_passive (i32) -> i32      memory.init the passive segment at addr; returns its length
;;   drop_passive () -> ()          data.drop the passive segment (a later load_passive traps)
;;   read_byte (i32) -> i32         i32.load8_u at addr
;;   bump () -> i32                 counter += 1; returns the new value
(module $sections
  ;; section 1: type
  (type $binop (func (param i32 i32) (result i32)))
  (type $sink (func (param i32)))
  (type $thunk (func))

  ;; section 2: import
  (import "env" "log" (func $log (type $sink)))
  (import "env" "base" (global $base i32))

  ;; section 3: function (declarations of the funcs below)

  ;; section 4: table
  (table $table (export "table") 2 funcref)

  ;; section 5: memory
  (memory $memory (export "memory") 1)

  ;; section 6: global
  (global $counter (export "counter") (mut i32) (i32.const 0))
  (global $answer (export "answer") i32 (i32.const 42))

  ;; section 7: export (inline exports above and on the funcs below)

  ;; section 8: start
  (start $init)

  ;; section 9: element
  (elem (table $table) (i32.const 0) func $add $subtract)

  ;; section 10: code
  (func $init (type $thunk)
    global.get $base
    i32.const 1
    i32.add
    global.set $counter)

  (func $add (export "add") (type $binop)
    local.get 0
    local.get 1
    i32.add)

  (func $subtract (export "subtract") (type $binop)
    local.get 0
    local.get 1
    i32.sub)

  (func (export "call_table") (param $idx i32) (param $a i32) (param $b i32) (result i32)
    local.get $a
    local.get $b
    local.get $idx
    call_indirect $table (type $binop))

  (func (export "notify") (param $value i32)
    local.get $value
    call $log)

  (func (export "load_passive") (param $addr i32) (result i32)
    local.get $addr
    i32.const 0  ;; offset in the segment
    i32.const 13 ;; length of "passive bytes"
    memory.init $passive
    i32.const 13)

  (func (export "drop_passive")
    data.drop $passive)

  (func (export "read_byte") (param $addr i32) (result i32)
    local.get $addr
    i32.load8_u)

  (func (export "bump") (result i32)
    global.get $counter
    i32.const 1
    i32.add
    global.set $counter
    global.get $counter)

  ;; section 11: data (one active, one passive segment)
  (data (memory $memory) (i32.const 16) "Hello, sections!")
  (data $passive "passive bytes")

  ;; section 12: datacount, emitted because memory.init/data.drop are used
)
