;; table.wat: call_indirect through a function table.
;;   callByIndex 0 56 34  => 90   (table[0] = add)
;;   callByIndex 1 56 34  => 22   (table[1] = subtract)
;; Any other index traps (undefined table element).
(module $table
  (type $binop (func (param i32 i32) (result i32)))

  (table $functions 2 funcref)
  (elem (table $functions) (i32.const 0) func $add $subtract)

  (func $add (type $binop)
    local.get 0
    local.get 1
    i32.add)

  (func $subtract (type $binop)
    local.get 0
    local.get 1
    i32.sub)

  (func $callByIndex (export "callByIndex")
      (param $index i32) (param $a i32) (param $b i32) (result i32)
    local.get $a
    local.get $b
    local.get $index
    call_indirect $functions (type $binop))
)
