;; needs_import.wat: imports a function no host provides.
;; Instantiating it must fail with a clear "unknown import env.missing_function" error.
(module $needs_import
  (import "env" "missing_function" (func $missing_function (param i32) (result i32)))

  (func $run (export "run") (result i32)
    i32.const 42
    call $missing_function)
)
