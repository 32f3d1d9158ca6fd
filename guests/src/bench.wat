;; bench.wat: tiny functions for measuring call overhead.
;;   noop       ()        -> ()     host -> guest call with no work
;;   add        (i32 i32) -> i32    host -> guest call with arguments/result
;;   call_host  (i32)     -> i32    host -> guest -> host -> guest round trip:
;;                                  calls the import bench.host_echo and returns its result
(module $bench
  (import "bench" "host_echo" (func $host_echo (param i32) (result i32)))

  (func $noop (export "noop"))

  (func $add (export "add") (param $a i32) (param $b i32) (result i32)
    local.get $a
    local.get $b
    i32.add)

  (func $call_host (export "call_host") (param $x i32) (result i32)
    local.get $x
    call $host_echo)
)
