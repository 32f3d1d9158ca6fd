#!/usr/bin/env python3
"""Write big.wat to stdout: a ~1 MB module for parse/compile/instantiate benchmarks.

Deterministic: a fixed-seed xorshift generator, no dependence on Python's
`random`, hash seeds, dicts ordering or the environment. The same script
always prints the same text.

The module has no imports. Exports:
  memory                 1 page
  noop  ()        -> ()
  add   (i32 i32) -> i32
  run   (i32)     -> i32   calls RUN_CALLS of the generated functions and sums
                           their results (always terminates, never traps)
  f<N>  every EXPORT_EVERY-th generated function, under its own name (its
        shape follows shape_of(N): f1000 and f8000 are (f64 f64) -> f64,
        the others (i32 i32) -> i32)

Generated functions f0..f<COUNT-1> come in three shapes, (i32 i32)->i32,
(i64)->i64 and (f64 f64)->f64, with mixed arithmetic, bounded loops,
if/else, memory loads/stores, direct calls to lower-numbered functions and
call_indirect through a table of the first TABLE_SIZE functions (slots of
non-i32 functions hold $add). Calls only
go to lower-numbered functions, so there is no recursion.
"""
import sys

COUNT = 9000
TABLE_SIZE = 256
RUN_CALLS = 64
EXPORT_EVERY = 1000


class Rng:
    """xorshift32: tiny, fast and identical on every Python version."""

    def __init__(self, seed):
        self.state = seed & 0xFFFFFFFF or 1

    def next(self):
        x = self.state
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        self.state = x
        return x

    def below(self, n):
        return self.next() % n

    def chance(self, percent):
        return self.below(100) < percent

    def pick(self, items):
        return items[self.below(len(items))]


I32_BINOPS = ["i32.add", "i32.sub", "i32.mul", "i32.and", "i32.or", "i32.xor",
              "i32.shl", "i32.shr_s", "i32.shr_u", "i32.rotl", "i32.rotr"]
I32_CMPS = ["i32.eq", "i32.ne", "i32.lt_s", "i32.lt_u", "i32.gt_s", "i32.ge_u"]
I32_UNOPS = ["i32.clz", "i32.ctz", "i32.popcnt", "i32.eqz"]
I64_BINOPS = ["i64.add", "i64.sub", "i64.mul", "i64.and", "i64.or", "i64.xor",
              "i64.shl", "i64.shr_u", "i64.rotl"]
F64_BINOPS = ["f64.add", "f64.sub", "f64.mul", "f64.min", "f64.max"]
F64_UNOPS = ["f64.abs", "f64.neg", "f64.floor", "f64.ceil", "f64.nearest"]


def shape_of(index):
    # Mostly i32 functions; every 5th is i64, every 7th (not 5th) is f64.
    if index % 5 == 4:
        return "i64"
    if index % 7 == 6:
        return "f64"
    return "i32"


def i32_const(rng):
    return f"i32.const {rng.below(1 << 16) - (1 << 15)}"


def gen_i32_body(rng, index, lines):
    # Locals: $a $b params, $x $y scratch, $i loop counter.
    lines.append("    (local $x i32) (local $y i32) (local $i i32)")
    lines.append("    local.get $a")
    lines.append("    local.get $b")
    lines.append(f"    {rng.pick(I32_BINOPS)}")
    lines.append("    local.set $x")
    for _ in range(3 + rng.below(5)):
        kind = rng.below(10)
        if kind < 4:
            lines.append("    local.get $x")
            lines.append(f"    {i32_const(rng)}")
            lines.append(f"    {rng.pick(I32_BINOPS)}")
            lines.append("    local.set $x")
        elif kind < 5:
            lines.append("    local.get $x")
            lines.append(f"    {rng.pick(I32_UNOPS)}")
            lines.append("    local.get $b")
            lines.append("    i32.add")
            lines.append("    local.set $y")
        elif kind < 6:
            # Division by a non-zero constant cannot trap.
            lines.append("    local.get $x")
            lines.append(f"    i32.const {2 + rng.below(1000)}")
            lines.append(f"    {rng.pick(['i32.div_u', 'i32.rem_u'])}")
            lines.append("    local.set $y")
        elif kind < 7:
            # Memory traffic confined to the first page.
            offset = rng.below(64) * 4
            lines.append("    local.get $x")
            lines.append("    i32.const 0xFF00")
            lines.append("    i32.and")
            lines.append("    local.get $y")
            lines.append(f"    i32.store offset={offset}")
            lines.append("    local.get $a")
            lines.append("    i32.const 0xFF00")
            lines.append("    i32.and")
            lines.append(f"    i32.load offset={offset}")
            lines.append("    local.get $x")
            lines.append("    i32.xor")
            lines.append("    local.set $x")
        elif kind < 8:
            lines.append("    local.get $x")
            lines.append("    local.get $a")
            lines.append(f"    {rng.pick(I32_CMPS)}")
            lines.append("    (if (result i32)")
            lines.append(f"      (then local.get $x {i32_const(rng)} {rng.pick(I32_BINOPS)})")
            lines.append(f"      (else local.get $y {i32_const(rng)} {rng.pick(I32_BINOPS)}))")
            lines.append("    local.set $x")
        elif kind < 9:
            # A bounded loop: 1..8 iterations, no calls inside.
            lines.append(f"    i32.const {1 + rng.below(8)}")
            lines.append("    local.set $i")
            lines.append("    (loop $l")
            lines.append("      local.get $x")
            lines.append("      local.get $i")
            lines.append(f"      {rng.pick(['i32.add', 'i32.mul', 'i32.xor', 'i32.sub'])}")
            lines.append(f"      i32.const {1 + rng.below(31)}")
            lines.append("      i32.rotl")
            lines.append("      local.set $x")
            lines.append("      local.get $i")
            lines.append("      i32.const 1")
            lines.append("      i32.sub")
            lines.append("      local.tee $i")
            lines.append("      br_if $l)")
        else:
            lines.append("    local.get $y")
            lines.append("    local.get $x")
            lines.append("    local.get $x")
            lines.append("    local.get $a")
            lines.append("    i32.lt_u")
            lines.append("    select")
            lines.append("    local.set $y")
    # At most one call, to a lower-numbered i32 function, keeping call
    # chains short and the call graph acyclic.
    if index >= TABLE_SIZE and rng.chance(20):
        lines.append("    local.get $x")
        lines.append("    local.get $y")
        lines.append("    local.get $x")
        lines.append(f"    i32.const {TABLE_SIZE - 1}")
        lines.append("    i32.and")
        lines.append("    call_indirect $table (type $i32_fn)")
        lines.append("    local.set $x")
    elif index > 0 and rng.chance(25):
        callee = rng.below(index)
        while shape_of(callee) != "i32":
            callee -= 1
        if callee >= 0:
            lines.append("    local.get $x")
            lines.append("    local.get $y")
            lines.append(f"    call $f{callee}")
            lines.append("    local.set $x")
    lines.append("    local.get $x")
    lines.append("    local.get $y")
    lines.append(f"    {rng.pick(['i32.add', 'i32.xor', 'i32.sub'])}")


def gen_i64_body(rng, lines):
    lines.append("    (local $x i64)")
    lines.append("    local.get $a")
    lines.append(f"    i64.const {rng.next() * 2654435761 & 0x7FFFFFFFFFFFFFFF}")
    lines.append("    i64.mul")
    lines.append("    local.set $x")
    for _ in range(3 + rng.below(5)):
        lines.append("    local.get $x")
        lines.append(f"    i64.const {rng.below(1 << 20)}")
        lines.append(f"    {rng.pick(I64_BINOPS)}")
        lines.append("    local.set $x")
    lines.append("    local.get $x")
    lines.append("    i64.const 33")
    lines.append("    i64.shr_u")
    lines.append("    local.get $x")
    lines.append("    i64.xor")


def gen_f64_body(rng, lines):
    lines.append("    (local $x f64)")
    lines.append("    local.get $a")
    lines.append("    local.get $b")
    lines.append(f"    {rng.pick(F64_BINOPS)}")
    lines.append("    local.set $x")
    for _ in range(2 + rng.below(5)):
        lines.append("    local.get $x")
        lines.append(f"    f64.const {rng.below(100000) / 1000}")
        lines.append(f"    {rng.pick(F64_BINOPS)}")
        lines.append(f"    {rng.pick(F64_UNOPS)}")
        lines.append("    local.set $x")
    lines.append("    local.get $x")
    lines.append("    f64.abs")
    lines.append("    f64.sqrt")


def generate():
    rng = Rng(0x5EED1234)
    out = []
    out.append(";; Generated by tools/gen_big.py. Do not edit.")
    out.append("(module $big")
    out.append("  (type $i32_fn (func (param i32 i32) (result i32)))")
    out.append("  (type $i64_fn (func (param i64) (result i64)))")
    out.append("  (type $f64_fn (func (param f64 f64) (result f64)))")
    out.append('  (memory $memory (export "memory") 1)')
    out.append(f"  (table $table {TABLE_SIZE} funcref)")
    # Table slots holding i64/f64 functions are filled with $add instead so
    # every slot has the (i32 i32) -> i32 type used by call_indirect.
    slots = [f"$f{i}" if shape_of(i) == "i32" else "$add" for i in range(TABLE_SIZE)]
    out.append(f"  (elem (table $table) (i32.const 0) func {' '.join(slots)})")
    out.append('  (func $noop (export "noop"))')
    out.append('  (func $add (export "add") (type $i32_fn)')
    out.append("    local.get 0")
    out.append("    local.get 1")
    out.append("    i32.add)")

    for index in range(COUNT):
        shape = shape_of(index)
        export = f' (export "f{index}")' if index % EXPORT_EVERY == 0 else ""
        lines = []
        if shape == "i32":
            lines.append(f"  (func $f{index}{export} (type $i32_fn) (param $a i32) (param $b i32) (result i32)")
            gen_i32_body(rng, index, lines)
        elif shape == "i64":
            lines.append(f"  (func $f{index}{export} (type $i64_fn) (param $a i64) (result i64)")
            gen_i64_body(rng, lines)
        else:
            lines.append(f"  (func $f{index}{export} (type $f64_fn) (param $a f64) (param $b f64) (result f64)")
            gen_f64_body(rng, lines)
        lines[-1] += ")"
        out.extend(lines)

    # run(x): call RUN_CALLS functions spread over the module and sum results.
    out.append('  (func $run (export "run") (param $x i32) (result i32)')
    out.append("    (local $sum i32)")
    for k in range(RUN_CALLS):
        index = k * COUNT // RUN_CALLS
        while shape_of(index) != "i32":
            index += 1
        out.append("    local.get $sum")
        out.append("    local.get $x")
        out.append(f"    i32.const {k}")
        out.append(f"    call $f{index}")
        out.append("    i32.add")
        out.append("    local.set $sum")
    out.append("    local.get $sum)")
    out.append(")")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    sys.stdout.write(generate())
