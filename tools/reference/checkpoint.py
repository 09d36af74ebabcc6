"""Loads a DeepSeek-V4 checkpoint folder (deepseek-v4.md §2, §5) into dequantized torch tensors.

Has its own safetensors reader (no safetensors package here): 8-byte little-endian header
length, JSON header {name: {dtype, shape, data_offsets}}, then the raw bytes. Shards are found
through model.safetensors.index.json, or a single model.safetensors is read.

Dequantization is exact (every FP8/FP4 value times a power of two is representable in float32):
  FP8  `X.weight` F8_E4M3 [out, in] with `X.scale` E8M0 [ceil(out/128), ceil(in/128)];
  FP4  `X.weight` I8 [out, in/2] (low nibble = even element) with `X.scale` E8M0 [out, in/32].
The `.scale` tensors are consumed; the result maps each other name to one tensor.
"""

import json
import pathlib
import struct

import numpy as np
import torch

from formats import E2M1_VALUES, e4m3_value_table, e8m0_values

FP8_BLOCK = 128
FP4_BLOCK = 32

_NUMPY_DTYPES = {"BF16": np.uint16, "F32": np.float32, "I64": np.int64, "I32": np.int32,
                 "F8_E4M3": np.uint8, "F8_E8M0": np.uint8, "I8": np.uint8}


class Config:
    """config.json, keeping Hugging Face's field names."""

    def __init__(self, fields):
        self.fields = fields
        self.vocab_size = fields["vocab_size"]
        self.dim = fields["hidden_size"]
        self.n_layers = fields["num_hidden_layers"]
        self.n_heads = fields["num_attention_heads"]
        self.head_dim = fields["head_dim"]
        self.rope_dim = fields["qk_rope_head_dim"]
        self.nope_dim = self.head_dim - self.rope_dim
        self.q_lora_rank = fields["q_lora_rank"]
        self.o_groups = fields["o_groups"]
        self.o_lora_rank = fields["o_lora_rank"]
        self.n_routed_experts = fields["n_routed_experts"]
        self.n_experts_per_token = fields["num_experts_per_tok"]
        self.n_hash_layers = fields["num_hash_layers"]
        self.routed_scaling_factor = fields["routed_scaling_factor"]
        self.swiglu_limit = fields["swiglu_limit"]
        self.sliding_window = fields["sliding_window"]
        self.compress_ratios = fields["compress_ratios"][: self.n_layers]
        self.rope_theta = fields["rope_theta"]
        self.compress_rope_theta = fields["compress_rope_theta"]
        self.rope_scaling = fields.get("rope_scaling")
        self.index_n_heads = fields["index_n_heads"]
        self.index_head_dim = fields["index_head_dim"]
        self.index_topk = fields["index_topk"]
        self.hc_mult = fields["hc_mult"]
        self.hc_sinkhorn_iters = fields["hc_sinkhorn_iters"]
        self.hc_eps = fields["hc_eps"]
        self.norm_eps = fields["rms_norm_eps"]


def read_safetensors(path):
    """name -> (dtype string, numpy array of the stored element type, shaped)."""
    raw = pathlib.Path(path).read_bytes()
    (header_len,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + header_len])
    body = memoryview(raw)[8 + header_len:]
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        array = np.frombuffer(body[begin:end], dtype=_NUMPY_DTYPES[entry["dtype"]])
        out[name] = (entry["dtype"], array.reshape(entry["shape"]))
    return out


def shard_paths(folder):
    folder = pathlib.Path(folder)
    index = folder / "model.safetensors.index.json"
    if index.exists():
        weight_map = json.loads(index.read_text())["weight_map"]
        return [folder / name for name in sorted(set(weight_map.values()))]
    return [folder / "model.safetensors"]


def dequantize_fp8(codes, scale_bytes):
    """[out, in] e4m3 codes and [ceil(out/128), ceil(in/128)] E8M0 scales -> float64 values."""
    values = e4m3_value_table()[torch.from_numpy(codes.astype(np.int64))]
    scales = e8m0_values(torch.from_numpy(scale_bytes.copy()))
    scales = scales.repeat_interleave(FP8_BLOCK, 0).repeat_interleave(FP8_BLOCK, 1)
    return values * scales[: codes.shape[0], : codes.shape[1]]


def unpack_fp4_codes(packed):
    """[out, in/2] bytes -> [out, in] e2m1 codes: element 2k is the low nibble of byte k,
    element 2k+1 the high nibble."""
    packed = torch.from_numpy(packed.astype(np.int64))
    low, high = packed & 0xF, packed >> 4
    return torch.stack([low, high], dim=-1).flatten(-2)


def dequantize_fp4(packed, scale_bytes):
    """[out, in/2] packed e2m1 and [out, in/32] E8M0 scales -> float64 [out, in]."""
    values = torch.tensor(E2M1_VALUES, dtype=torch.float64)[unpack_fp4_codes(packed)]
    scales = e8m0_values(torch.from_numpy(scale_bytes.copy())).repeat_interleave(FP4_BLOCK, 1)
    return values * scales


def _plain_values(dtype, array):
    if dtype == "BF16":
        return torch.from_numpy((array.astype(np.uint32) << 16).view(np.float32)).to(torch.float64)
    if dtype == "I64":
        return torch.from_numpy(array.copy())
    return torch.from_numpy(array.copy()).to(torch.float64)


def load_checkpoint(folder, dtype, device="cpu"):
    """(Config, {name: tensor}, names of the FP8/FP4 weights). Floating tensors come out in
    `dtype`; I64 ones stay int64; all on `device` (decoded on the CPU, then moved, so the values
    are the same on every device). The FP8/FP4 set tells which linears quantize their input
    activation in official mode."""
    folder = pathlib.Path(folder)
    config = Config(json.loads((folder / "config.json").read_text()))
    stored = {}
    for path in shard_paths(folder):
        stored.update(read_safetensors(path))
    weights, quantized = {}, set()
    for name, (kind, array) in stored.items():
        if kind == "F8_E8M0":
            continue
        if kind in ("F8_E4M3", "I8"):
            quantized.add(name)
        if kind == "F8_E4M3":
            value = dequantize_fp8(array, stored[name[: -len("weight")] + "scale"][1])
        elif kind == "I8":
            value = dequantize_fp4(array, stored[name[: -len("weight")] + "scale"][1])
        else:
            value = _plain_values(kind, array)
        value = value if kind == "I64" else value.to(dtype)
        weights[name] = value.to(device)
    return config, weights, quantized

