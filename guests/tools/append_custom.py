#!/usr/bin/env python3
"""Append a custom section (id 0) to a WebAssembly binary.

wat2wasm (wabt 1.0.32) parses `(@custom ...)` annotations but does not emit
them, so the build uses this to add a non-"name" custom section to a module.

usage: append_custom.py IN.wasm OUT.wasm SECTION_NAME PAYLOAD_TEXT
"""
import sys


def uleb128(value):
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def main(argv):
    if len(argv) != 5:
        sys.exit(__doc__.strip().splitlines()[-1])
    src, dst, name, payload = argv[1], argv[2], argv[3].encode(), argv[4].encode()
    with open(src, "rb") as f:
        module = f.read()
    if module[:8] != b"\0asm\x01\0\0\0":
        sys.exit(f"{src}: not a WebAssembly 1.0 binary")
    body = uleb128(len(name)) + name + payload
    with open(dst, "wb") as f:
        f.write(module + b"\x00" + uleb128(len(body)) + body)


if __name__ == "__main__":
    main(sys.argv)
