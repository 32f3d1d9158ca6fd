"""Interop helper for WasmtonMessagePackTests: PyPI's msgpack as the independent implementation.

    python3 msgpack_interop.py corpus OUT      write "name<TAB>base64" lines: msgpack.packb of the corpus below
    python3 msgpack_interop.py repack IN OUT   IN has "f64 base64" / "f32 base64" lines; unpack each and pack
                                               it again (f32: use_single_float=True), write base64 per line

PYTHONPATH must reach msgpack (scripts/msgpack-env.sh exports WASMTON_MSGPACK_PYTHONPATH).
The Swift side (InteropTests.swift) holds the expected value for every corpus name.
"""

import base64
import sys

import msgpack
from msgpack import ExtType, Timestamp


def corpus():
    items = [
        ("nil", None),
        ("true", True),
        ("false", False),
    ]
    for n in [0, 1, 127, 128, 255, 256, 65535, 65536, 2**32 - 1, 2**32, 2**63 - 1, 2**63, 2**64 - 1]:
        items.append(("uint %d" % n, n))
    for n in [-1, -32, -33, -128, -129, -32768, -32769, -(2**31), -(2**31) - 1, -(2**63)]:
        items.append(("int %d" % n, n))
    items += [
        ("double 1.5", 1.5),
        ("double -0.0", -0.0),
        ("double 0.1", 0.1),
        ("double max", 1.7976931348623157e308),
        ("double min subnormal", 5e-324),
        ("double inf", float("inf")),
        ("double -inf", float("-inf")),
        ("double nan", float("nan")),
    ]
    for n in [0, 1, 31, 32, 255, 256, 65535, 65536]:
        items.append(("str %d" % n, "x" * n))
    items += [
        ("str unicode", "é日本語😀\u0000\"\\"),
        ("str 2-byte 16", "é" * 16),
    ]
    for n in [0, 1, 255, 256, 65535, 65536]:
        items.append(("bin %d" % n, bytes(i % 251 for i in range(n))))
    for n in [0, 1, 15, 16, 65535, 65536]:
        items.append(("array %d" % n, list(range(n))))
    for n in [0, 1, 15, 16, 65536]:
        items.append(("map %d" % n, {"k%d" % i: i for i in range(n)}))
    items.append(("map any keys", {1: "one", -2: "minus two", b"\x00": "bytes", None: "nil", (1, "a"): "array", "s": 0}))
    for n in [0, 1, 2, 3, 4, 5, 8, 16, 17, 255, 256, 65536]:
        items.append(("ext %d" % n, ExtType(5, bytes(i % 7 for i in range(n)))))
    items += [
        ("ext type 0", ExtType(0, b"ab")),
        ("ext type 127", ExtType(127, b"")),
        ("timestamp 0", Timestamp(0, 0)),
        ("timestamp 64-bit", Timestamp(1, 500)),
        ("timestamp negative", Timestamp(-1, 0)),
        ("timestamp 2^34", Timestamp(2**34, 1)),
        ("nested", {"a": [1, {"b": None}, [b"x", 1.5]], "c": {"d": {"e": []}}, "é": [True, -1]}),
    ]
    return items


def corpus_single_float():
    return [
        ("float 1.5", 1.5),
        ("float 0.1", 0.1),
        ("float -0.0", -0.0),
        ("float inf", float("inf")),
        ("float nan", float("nan")),
        ("float in array", [0.5, -2.0]),
    ]


def b64(data):
    return base64.b64encode(data).decode("ascii")


def main(argv):
    if len(argv) == 3 and argv[1] == "corpus":
        with open(argv[2], "w") as out:
            for name, value in corpus():
                out.write("%s\t%s\n" % (name, b64(msgpack.packb(value, use_bin_type=True))))
            for name, value in corpus_single_float():
                out.write("%s\t%s\n" % (name, b64(msgpack.packb(value, use_bin_type=True, use_single_float=True))))
        return 0
    if len(argv) == 4 and argv[1] == "repack":
        with open(argv[2]) as inp, open(argv[3], "w") as out:
            for line in inp:
                kind, data = line.split()
                value = msgpack.unpackb(base64.b64decode(data, validate=True), raw=False, strict_map_key=False, use_list=False)
                packed = msgpack.packb(value, use_bin_type=True, use_single_float=(kind == "f32"))
                out.write(b64(packed) + "\n")
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
