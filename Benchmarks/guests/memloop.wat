;; memloop.wat: a memory-bound loop for the benchmark's bounds-checking and fuel rows.
;;   memloop (i32) -> i32   n iterations of one i32.load and one i32.store over the first
;;                          64 KiB of memory; returns a running sum (depends on earlier calls)
(module $memloop
  (memory (export "memory") 1)
  (func (export "memloop") (param $n i32) (result i32)
    (local $i i32) (local $addr i32) (local $acc i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $addr (i32.and (i32.shl (local.get $i) (i32.const 2)) (i32.const 0xFFFC)))
        (local.set $acc (i32.add (local.get $acc) (i32.load (local.get $addr))))
        (i32.store (local.get $addr) (i32.add (local.get $acc) (local.get $i)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $acc)))
