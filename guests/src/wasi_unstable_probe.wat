;; wasi_unstable_probe.wat: a WASI command that imports only `wasi_unstable`
;; (WASI snapshot 0, what older TinyGo and AssemblyScript releases emit) and
;; checks the snapshot-0 layouts from the guest's side.
;;
;;   wasmton run --dir DIR wasi_unstable_probe.wasm
;;
;; needs one preopened, writable directory (fd 3). It creates probe.txt there
;; with 13 bytes, then checks, by number:
;;    1  path_open creates the file            2  fd_write writes 13 bytes
;;    3  fd_seek whence 2 (SET) 0 -> 0         4  whence 1 (END) -3 -> 10
;;    5  whence 0 (CUR) +2 -> 12               6  whence 3 -> EINVAL (28)
;;    7  fd_tell -> 12
;;    8  fd_filestat_get succeeds              9  filetype (offset 16) = 4
;;   10  nlink, a u32 at offset 20 = 1        11  size, at offset 24 = 13
;;   12  the 8 bytes after the 56-byte filestat are untouched
;;   13  path_filestat_get probe.txt into the last 56 bytes of memory succeeds
;;   14  filetype 4, nlink 1 and size 13 there
;;   15  the 8 bytes before that filestat are untouched
;;   16  path_filestat_get "." -> filetype 3 (directory)
;;   17  poll_oneoff on one snapshot-0 clock subscription (56 bytes, its
;;       `identifier` before the clock id) succeeds with one event
;;   18  the event: userdata 0x77, error 0, type 0 (clock)
;;   19  the subscription is unchanged after the call
;;   20  fd_readdir lists probe.txt with the preview1-identical dirent layout
;;       (namlen u32 at 16, type u8 at 20, name at 24)
;;   21  clock_time_get (same as preview1) returns a nonzero time
;;   22  fd_close succeeds
;;
;; Prints "wasi_unstable_probe: ok" and returns, or prints
;; "wasi_unstable_probe: check NN failed" and exits with NN (the first failure).
(module $wasi_unstable_probe
  (import "wasi_unstable" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_unstable" "fd_seek" (func $fd_seek (param i32 i64 i32 i32) (result i32)))
  (import "wasi_unstable" "fd_tell" (func $fd_tell (param i32 i32) (result i32)))
  (import "wasi_unstable" "fd_close" (func $fd_close (param i32) (result i32)))
  (import "wasi_unstable" "fd_filestat_get" (func $fd_filestat_get (param i32 i32) (result i32)))
  (import "wasi_unstable" "fd_readdir" (func $fd_readdir (param i32 i32 i32 i64 i32) (result i32)))
  (import "wasi_unstable" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_unstable" "path_filestat_get" (func $path_filestat_get (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_unstable" "poll_oneoff" (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (import "wasi_unstable" "clock_time_get" (func $clock_time_get (param i32 i64 i32) (result i32)))
  (import "wasi_unstable" "proc_exit" (func $proc_exit (param i32)))

  ;; One page. Layout:
  ;;     0  iovec (8)            16  nwritten / nevents / fd (4 each)
  ;;    32  u64 results (8)      64  filestat (56), then 8 sentinel bytes at 120
  ;;   256  "probe.txt"         272  the 13 content bytes
  ;;   288  "."                 320  "wasi_unstable_probe: ok\n"
  ;;   352  "wasi_unstable_probe: check "   379  "NN failed\n"
  ;;   512  subscription (56)   576  copy of it (56)   640  event (32)
  ;;  1024  readdir buffer (1024)
  ;; 65472  8 sentinel bytes, then the last 56 bytes: the second filestat
  (memory (export "memory") 1)
  (data (i32.const 256) "probe.txt")
  (data (i32.const 272) "0123456789abc")
  (data (i32.const 288) ".")
  (data (i32.const 320) "wasi_unstable_probe: ok\n")
  (data (i32.const 352) "wasi_unstable_probe: check ")
  (data (i32.const 379) "NN failed\n")

  (global $failed (mut i32) (i32.const 0))
  (global $fd (mut i32) (i32.const -1))

  ;; Records the first failed check.
  (func $check (param $id i32) (param $ok i32)
    (if (i32.and (i32.eqz (local.get $ok)) (i32.eqz (global.get $failed)))
      (then (global.set $failed (local.get $id)))))

  (func $print (param $address i32) (param $length i32)
    (i32.store (i32.const 0) (local.get $address))
    (i32.store (i32.const 4) (local.get $length))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 16))))

  ;; Fills `length` bytes at `address` with 0xAA.
  (func $sentinel (param $address i32) (param $length i32)
    (memory.fill (local.get $address) (i32.const 0xAA) (local.get $length)))

  ;; Whether `length` bytes at `address` are all still 0xAA.
  (func $intact (param $address i32) (param $length i32) (result i32)
    (local $i i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $length)))
        (if (i32.ne (i32.load8_u (i32.add (local.get $address) (local.get $i))) (i32.const 0xAA))
          (then (return (i32.const 0))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i32.const 1))

  ;; The checks on a snapshot-0 filestat at `address`: filetype, nlink (u32) and size.
  (func $regular13 (param $address i32) (result i32)
    (i32.and
      (i32.and
        (i32.eq (i32.load8_u offset=16 (local.get $address)) (i32.const 4))
        (i32.eq (i32.load offset=20 (local.get $address)) (i32.const 1)))
      (i64.eq (i64.load offset=24 (local.get $address)) (i64.const 13))))

  (func $files
    ;; 1, 2: create probe.txt (oflags CREAT | TRUNC) and write 13 bytes.
    (call $check (i32.const 1)
      (i32.eqz (call $path_open (i32.const 3) (i32.const 0) (i32.const 256) (i32.const 9) (i32.const 9)
        (i64.const 0x1fffffff) (i64.const 0x1fffffff) (i32.const 0) (i32.const 16))))
    (global.set $fd (i32.load (i32.const 16)))
    (i32.store (i32.const 0) (i32.const 272))
    (i32.store (i32.const 4) (i32.const 13))
    (call $check (i32.const 2)
      (i32.and
        (i32.eqz (call $fd_write (global.get $fd) (i32.const 0) (i32.const 1) (i32.const 16)))
        (i32.eq (i32.load (i32.const 16)) (i32.const 13))))

    ;; 3-7: fd_seek with snapshot 0's whence: CUR = 0, END = 1, SET = 2.
    (call $check (i32.const 3)
      (i32.and
        (i32.eqz (call $fd_seek (global.get $fd) (i64.const 0) (i32.const 2) (i32.const 32)))
        (i64.eq (i64.load (i32.const 32)) (i64.const 0))))
    (call $check (i32.const 4)
      (i32.and
        (i32.eqz (call $fd_seek (global.get $fd) (i64.const -3) (i32.const 1) (i32.const 32)))
        (i64.eq (i64.load (i32.const 32)) (i64.const 10))))
    (call $check (i32.const 5)
      (i32.and
        (i32.eqz (call $fd_seek (global.get $fd) (i64.const 2) (i32.const 0) (i32.const 32)))
        (i64.eq (i64.load (i32.const 32)) (i64.const 12))))
    (call $check (i32.const 6)
      (i32.eq (call $fd_seek (global.get $fd) (i64.const 0) (i32.const 3) (i32.const 32)) (i32.const 28)))
    (call $check (i32.const 7)
      (i32.and
        (i32.eqz (call $fd_tell (global.get $fd) (i32.const 32)))
        (i64.eq (i64.load (i32.const 32)) (i64.const 12))))

    ;; 8-12: fd_filestat_get writes 56 bytes, nlink a u32 at 20, size at 24.
    (call $sentinel (i32.const 64) (i32.const 64))
    (call $check (i32.const 8) (i32.eqz (call $fd_filestat_get (global.get $fd) (i32.const 64))))
    (call $check (i32.const 9) (i32.eq (i32.load8_u (i32.const 80)) (i32.const 4)))
    (call $check (i32.const 10) (i32.eq (i32.load (i32.const 84)) (i32.const 1)))
    (call $check (i32.const 11) (i64.eq (i64.load (i32.const 88)) (i64.const 13)))
    (call $check (i32.const 12) (call $intact (i32.const 120) (i32.const 8)))

    ;; 13-15: path_filestat_get into the last 56 bytes of memory (a 64-byte
    ;; preview1 filestat would not fit there).
    (call $sentinel (i32.const 65472) (i32.const 64))
    (call $check (i32.const 13)
      (i32.eqz (call $path_filestat_get (i32.const 3) (i32.const 1) (i32.const 256) (i32.const 9) (i32.const 65480))))
    (call $check (i32.const 14) (call $regular13 (i32.const 65480)))
    (call $check (i32.const 15) (call $intact (i32.const 65472) (i32.const 8)))

    ;; 16: the directory itself.
    (call $check (i32.const 16)
      (i32.and
        (i32.eqz (call $path_filestat_get (i32.const 3) (i32.const 0) (i32.const 288) (i32.const 1) (i32.const 64)))
        (i32.eq (i32.load8_u (i32.const 80)) (i32.const 3)))))

  (func $poll
    ;; 17-19: one clock subscription, relative 1 ms on the monotonic clock.
    (memory.fill (i32.const 512) (i32.const 0) (i32.const 56))
    (i64.store (i32.const 512) (i64.const 0x77))            ;; userdata
    (i32.store8 (i32.const 520) (i32.const 0))               ;; tag: clock
    (i64.store (i32.const 528) (i64.const 0x1111222233334444)) ;; identifier
    (i32.store (i32.const 536) (i32.const 1))                ;; id: monotonic
    (i64.store (i32.const 544) (i64.const 1000000))          ;; timeout
    (i64.store (i32.const 552) (i64.const 0))                ;; precision
    (i32.store16 (i32.const 560) (i32.const 0))              ;; flags: relative
    (memory.copy (i32.const 576) (i32.const 512) (i32.const 56))
    (call $sentinel (i32.const 640) (i32.const 32))
    (call $check (i32.const 17)
      (i32.and
        (i32.eqz (call $poll_oneoff (i32.const 512) (i32.const 640) (i32.const 1) (i32.const 16)))
        (i32.eq (i32.load (i32.const 16)) (i32.const 1))))
    (call $check (i32.const 18)
      (i32.and
        (i64.eq (i64.load (i32.const 640)) (i64.const 0x77))
        (i32.and
          (i32.eqz (i32.load16_u (i32.const 648)))
          (i32.eqz (i32.load8_u (i32.const 650))))))
    (call $check (i32.const 19)
      (i32.and
        (i64.eq (i64.load (i32.const 512)) (i64.load (i32.const 576)))
        (i32.and
          (i64.eq (i64.load (i32.const 528)) (i64.const 0x1111222233334444))
          (i64.eq (i64.load (i32.const 544)) (i64.const 1000000))))))

  ;; 20: walk the dirents for probe.txt, a regular file.
  (func $readdir
    (local $at i32) (local $end i32) (local $found i32)
    (if (i32.eqz (call $fd_readdir (i32.const 3) (i32.const 1024) (i32.const 1024) (i64.const 0) (i32.const 16)))
      (then
        (local.set $at (i32.const 1024))
        (local.set $end (i32.add (i32.const 1024) (i32.load (i32.const 16))))
        (block $done
          (loop $next
            (br_if $done (i32.gt_u (i32.add (local.get $at) (i32.const 24)) (local.get $end)))
            (if (i32.and
                  (i32.and
                    (i32.eq (i32.load offset=16 (local.get $at)) (i32.const 9))
                    (i32.eq (i32.load8_u offset=20 (local.get $at)) (i32.const 4)))
                  (i32.and
                    (i64.eq (i64.load offset=24 (local.get $at)) (i64.load (i32.const 256)))
                    (i32.eq (i32.load8_u offset=32 (local.get $at)) (i32.load8_u (i32.const 264)))))
              (then (local.set $found (i32.const 1))))
            (local.set $at (i32.add (local.get $at) (i32.add (i32.const 24) (i32.load offset=16 (local.get $at)))))
            (br $next)))))
    (call $check (i32.const 20) (local.get $found)))

  (func $start (export "_start")
    (call $files)
    (call $poll)
    (call $readdir)
    (call $check (i32.const 21)
      (i32.and
        (i32.eqz (call $clock_time_get (i32.const 0) (i64.const 1) (i32.const 32)))
        (i64.ne (i64.load (i32.const 32)) (i64.const 0))))
    (call $check (i32.const 22) (i32.eqz (call $fd_close (global.get $fd))))
    (if (i32.eqz (global.get $failed))
      (then
        (call $print (i32.const 320) (i32.const 24))
        (return)))
    (i32.store8 (i32.const 379) (i32.add (i32.const 48) (i32.div_u (global.get $failed) (i32.const 10))))
    (i32.store8 (i32.const 380) (i32.add (i32.const 48) (i32.rem_u (global.get $failed) (i32.const 10))))
    (call $print (i32.const 352) (i32.const 37))
    (call $proc_exit (global.get $failed)))
)
