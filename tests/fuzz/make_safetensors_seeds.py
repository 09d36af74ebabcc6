#!/usr/bin/env python3
"""Writes a small seed corpus for fuzz_safetensors_header: valid files with every dtype, and
one of each kind of broken header. Standard library only. Usage: make_safetensors_seeds.py DIR"""

import json
import pathlib
import struct
import sys


def safetensors(header, data_bytes, raw_header=None):
    text = raw_header if raw_header is not None else json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + bytes(range(256)) * (data_bytes // 256) + bytes(
        data_bytes % 256)


def entry(dtype, shape, begin, end):
    return {"dtype": dtype, "shape": shape, "data_offsets": [begin, end]}


SEEDS = {
    "valid_all_dtypes": safetensors({
        "__metadata__": {"format": "pt"},
        "w": entry("F8_E4M3", [2, 3], 0, 6), "s": entry("F8_E8M0", [1, 1], 6, 7),
        "b": entry("BF16", [2], 8, 12), "h": entry("F16", [1], 12, 14),
        "f": entry("F32", [], 16, 20), "q": entry("I8", [4, 2], 20, 28),
        "i": entry("I32", [1], 28, 32), "t": entry("I64", [1, 1], 32, 40),
        "e": entry("F32", [0, 4], 40, 40)}, 40),
    "valid_empty": safetensors({}, 0),
    "overlap": safetensors({"a": entry("F32", [2], 0, 8), "b": entry("F32", [2], 4, 12)}, 12),
    "out_of_range": safetensors({"a": entry("F32", [4], 0, 16)}, 8),
    "size_mismatch": safetensors({"a": entry("BF16", [3], 0, 8)}, 8),
    "unknown_dtype": safetensors({"a": entry("F8_E5M2", [4], 0, 4)}, 4),
    "bad_json": safetensors(None, 4, raw_header=b'{"a": {"dtype": "F32", "shape": [1'),
    "deep_nesting": safetensors(None, 0, raw_header=b"[" * 64 + b"]" * 64),
    "length_past_end": struct.pack("<Q", 1 << 20) + b"{}",
    "short": b"\x02\x00\x00",
}


def main(out_dir):
    out = pathlib.Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name, content in SEEDS.items():
        (out / name).write_bytes(content)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
