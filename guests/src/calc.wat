;; calc.wat: the classic first module. Three exported i32 binary operations.
;;   wasmton invoke calc.wasm add 1 2        => 3
;;   wasmton invoke calc.wasm subtract 5 7   => -2
;;   wasmton invoke calc.wasm multiply 6 7   => 42
(module $calc
  (func $add (export "add") (param $a i32) (param $b i32) (result i32)
    local.get $a
    local.get $b
    i32.add)

  (func $subtract (export "subtract") (param $a i32) (param $b i32) (result i32)
    local.get $a
    local.get $b
    i32.sub)

  (func $multiply (export "multiply") (param $a i32) (param $b i32) (result i32)
    local.get $a
    local.get $b
    i32.mul)
)
