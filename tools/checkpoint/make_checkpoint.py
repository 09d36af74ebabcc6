#!/usr/bin/env python3
"""Writes a complete DeepSeek-V4 checkpoint folder at a small config, deterministic from a seed.

  make_checkpoint.py --preset tiny --out DIR [--seed 0] [--shards N | --single-file]
                     [--drafter none|mtp|dspark] [--alphabet] [--totals FILE]

The folder has what a real one has: config.json, model-0000K-of-0000N.safetensors +
model.safetensors.index.json (or one model.safetensors), tokenizer.json, tokenizer_config.json.
--totals writes the writer's own counts (params, bytes per dtype, layer census...), computed from
its tensor list, for tests to compare with what the engine reports. --alphabet writes a model
whose target and drafter agree by construction (see alphabet.py). Needs only numpy.
"""

import argparse
import json
import pathlib
import sys
import zlib

import numpy as np

import alphabet
from presets import PRESETS, build_config, drafter_stage_count
from quantize import to_bf16, to_fp4_groups, to_fp8_blocks
from safetensors_io import StoredTensor, write_checkpoint_files
from tokenizer_files import write_tokenizer_files
from v4_layout import model_tensors


def draw_values(tensor, config, seed):
    """Random values of sensible magnitude; each tensor has its own stream, so the values do not
    depend on sharding or on which other tensors exist."""
    rng = np.random.default_rng([seed, zlib.crc32(tensor.name.encode())])
    shape = tensor.shape
    if tensor.init == "tid2eid":
        experts = config["n_routed_experts"]
        order = np.argsort(rng.random((shape[0], experts)), axis=1)
        return order[:, : shape[1]].astype(np.int64)
    if tensor.init == "linear":
        return rng.normal(0.0, 1.0 / np.sqrt(shape[-1]), shape)
    if tensor.init == "norm":
        return 1.0 + 0.05 * rng.normal(size=shape)
    if tensor.init == "embed":
        return rng.normal(0.0, 0.1, shape)
    if tensor.init == "sink":
        return rng.normal(0.0, 1.0, shape)
    if tensor.init == "hc_scale":
        return rng.uniform(0.5, 1.5, shape)
    return rng.normal(0.0, 0.1, shape)  # "small": biases, ape


def encode(tensor, values):
    """The stored tensors for one logical tensor: the weight, and its `.scale` when quantized."""
    if tensor.kind == "bf16":
        return [StoredTensor(tensor.name, "BF16", tensor.shape, to_bf16(values).tobytes())]
    if tensor.kind == "f32":
        data = values.astype(np.float32).tobytes()
        return [StoredTensor(tensor.name, "F32", tensor.shape, data)]
    if tensor.kind == "i64":
        return [StoredTensor(tensor.name, "I64", tensor.shape, values.astype("<i8").tobytes())]
    scale_name = tensor.name[: -len(".weight")] + ".scale"
    if tensor.kind == "fp8":
        codes, scales = to_fp8_blocks(values)
        weight = StoredTensor(tensor.name, "F8_E4M3", codes.shape, codes.tobytes())
    else:
        codes, scales = to_fp4_groups(values)
        weight = StoredTensor(tensor.name, "I8", codes.shape, codes.tobytes())
    return [weight, StoredTensor(scale_name, "F8_E8M0", scales.shape, scales.tobytes())]


def _routed(name):
    return ".ffn.experts." in name


def compute_totals(config, logical, stored, n_stages):
    """The writer's own accounting, from its tensor lists (the engine derives the same from the
    files): params count logical elements (two per FP4 byte) and exclude scales."""
    k, experts = config["num_experts_per_tok"], config["n_routed_experts"]
    params = {t.name: int(np.prod(t.shape)) for t in logical}
    backbone = {n: p for n, p in params.items() if not n.startswith("mtp.")}
    drafter = {n: p for n, p in params.items() if n.startswith("mtp.")}

    def active(group):
        dense = sum(p for n, p in group.items() if not _routed(n))
        return dense + sum(p for n, p in group.items() if _routed(n)) * k // experts

    bytes_by_dtype, tensors_by_dtype = {}, {}
    for t in stored:
        bytes_by_dtype[t.dtype] = bytes_by_dtype.get(t.dtype, 0) + t.nbytes
        tensors_by_dtype[t.dtype] = tensors_by_dtype.get(t.dtype, 0) + 1
    total_bytes = sum(t.nbytes for t in stored)
    routed_bytes = sum(t.nbytes for t in stored if _routed(t.name))

    layers = config["num_hidden_layers"]
    ratios = config["compress_ratios"][:layers]
    head_dim, index_dim = config["head_dim"], config["index_head_dim"]
    kv_per_token = 0.0
    for ratio in ratios:
        if ratio:  # compressed entries at BF16, plus indexer keys in CSA layers (§4.10)
            kv_per_token += 2.0 * head_dim / ratio + (2.0 * index_dim / ratio if ratio == 4 else 0)
    return {
        "tensor_count": len(stored),
        "tensors_by_dtype": tensors_by_dtype,
        "bytes_by_dtype": bytes_by_dtype,
        "total_bytes": total_bytes,
        "routed_expert_bytes": routed_bytes,
        "non_expert_bytes": total_bytes - routed_bytes,
        "params_total": sum(params.values()),
        "params_backbone": sum(backbone.values()),
        "params_drafter": sum(drafter.values()),
        "params_active_backbone": active(backbone),
        "params_active_drafter": active(drafter),
        "layers_window": ratios.count(0),
        "layers_csa": ratios.count(4),
        "layers_hca": ratios.count(128),
        "layers_hash": config["num_hash_layers"],
        "drafter_stages": n_stages,
        "kv_bytes_per_token": kv_per_token,
        "kv_window_bytes": (layers + n_stages) * config["sliding_window"] * head_dim * 2,
    }


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", choices=sorted(PRESETS), default="tiny")
    parser.add_argument("--out", required=True, type=pathlib.Path)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--shards", type=int, help="number of shards (default: the preset's)")
    parser.add_argument("--single-file", action="store_true", help="one model.safetensors")
    parser.add_argument("--drafter", choices=["none", "mtp", "dspark"],
                        help="drafter stages to write (default: the preset's)")
    parser.add_argument("--alphabet", action="store_true",
                        help="target and drafter both write the alphabet (alphabet.py)")
    parser.add_argument("--totals", type=pathlib.Path, help="write the writer's totals here")
    args = parser.parse_args(argv)

    preset = PRESETS[args.preset]
    drafter = args.drafter or preset["drafter"]
    n_stages = drafter_stage_count(drafter)
    config = build_config(args.preset, drafter)
    n_shards = 0 if args.single_file else (args.shards or preset["shards"])

    logical = model_tensors(config, drafter, n_stages)
    stored = []
    for tensor in logical:
        values = draw_values(tensor, config, args.seed)
        if args.alphabet:
            values = alphabet.override(tensor, values, config, args.seed)
        stored += encode(tensor, values)

    args.out.mkdir(parents=True, exist_ok=True)
    for stale in args.out.glob("model*.safetensors*"):
        stale.unlink()
    with open(args.out / "config.json", "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    write_checkpoint_files(args.out, stored, n_shards)
    write_tokenizer_files(args.out, config["vocab_size"])
    if args.totals:
        with open(args.totals, "w") as f:
            json.dump(compute_totals(config, logical, stored, n_stages), f, indent=2)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
