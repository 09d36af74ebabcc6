#!/usr/bin/python3
"""Shows the fp32-mode bounds catch real mistakes: plants one bug at a time (by replacing one
function of the reference) and measures how far the logits move from the correct ones, on each
fixture checkpoint's longest prompt. Not part of CI.

  /usr/bin/python3 tools/reference/check_planted_bugs.py [--work DIR]
"""

import argparse
import contextlib
import pathlib
import sys
import tempfile

import torch

import attention
import checkpoint
import indexer
import mhc
import moe
import rope
from compare import format_distance, logit_distance
from make_fixtures import CHECKPOINTS, committed_prompt, generate_checkpoint
from model import Model

# The correct functions, kept before any bug is planted.
CORRECT_HC_POST = mhc.hc_post
CORRECT_ATTEND = attention.attend_with_sink
CORRECT_UNPACK_FP4 = checkpoint.unpack_fp4_codes
CORRECT_ROPE_FREQUENCIES = rope.rope_frequencies
CORRECT_APPLY_ROPE = attention.apply_rope
CORRECT_ROUTE = moe.MoE.route
CORRECT_SELECT = indexer.Indexer.select


def _hc_post_transposed(f, X_residual, post, C, numerics):
    return CORRECT_HC_POST(f, X_residual, post, C.transpose(-1, -2), numerics)


def _attend_without_sink(q, keys, visible, sink):
    return CORRECT_ATTEND(q, keys, visible, torch.full_like(sink, -1e30))


def _fp4_nibbles_swapped(packed):
    codes = CORRECT_UNPACK_FP4(packed)
    return torch.stack([codes[..., 1::2], codes[..., 0::2]], dim=-1).flatten(-2)


def _rope_without_yarn(config, compress_ratio):
    scaling, config.rope_scaling = config.rope_scaling, None
    try:
        return CORRECT_ROPE_FREQUENCIES(config, compress_ratio)
    finally:
        config.rope_scaling = scaling


def _apply_rope_no_derotation(x, cos, sin, rope_dim, conjugate=False):
    return x if conjugate else CORRECT_APPLY_ROPE(x, cos, sin, rope_dim)


def _route_weights_with_bias(self, x, ids):
    chosen, weights = CORRECT_ROUTE(self, x, ids)
    if self.hash_routed:
        return chosen, weights
    logits = x @ self.weights[self.prefix + ".gate.weight"].T
    scores = torch.sqrt(torch.nn.functional.softplus(logits))
    picked = torch.gather(scores + self.weights[self.prefix + ".gate.bias"], 1, chosen)
    return chosen, picked / picked.sum(dim=-1, keepdim=True) * self.config.routed_scaling_factor


def _sinkhorn_rows_last(logits, iters, eps):
    C = torch.softmax(logits, dim=-1) + eps
    for _ in range(iters):
        C = C / (C.sum(dim=-2, keepdim=True) + eps)
        C = C / (C.sum(dim=-1, keepdim=True) + eps)
    return C


def _indexer_ignored(self, x, qr, start, cos, sin, cache):
    """Every usable entry kept, as if the CSA layer were HCA."""
    CORRECT_SELECT(self, x, qr, start, cos, sin, cache)  # still fills the indexer cache
    usable = (torch.arange(start, start + x.shape[0], device=x.device) + 1) // 4
    entry = torch.arange(cache.keys.shape[0], device=x.device)[None, :].expand(x.shape[0], -1)
    return torch.where(entry < usable[:, None], entry, torch.full_like(entry, -1))


# name -> (owner, attribute, replacement)
BUGS = {
    "hc_post sums C over its second index": (mhc, "hc_post", _hc_post_transposed),
    "attention sink ignored": (attention, "attend_with_sink", _attend_without_sink),
    "FP4 nibble order swapped": (checkpoint, "unpack_fp4_codes", _fp4_nibbles_swapped),
    "YaRN missing in compressed layers": (rope, "rope_frequencies", _rope_without_yarn),
    "attention output not de-rotated": (attention, "apply_rope", _apply_rope_no_derotation),
    "MoE bias also in the routing weights": (moe.MoE, "route", _route_weights_with_bias),
    "Sinkhorn ends on rows instead of columns": (mhc, "sinkhorn", _sinkhorn_rows_last),
    "indexer ignored (all entries used)": (indexer.Indexer, "select", _indexer_ignored),
}


@contextlib.contextmanager
def planted(owner, attribute, replacement):
    original = getattr(owner, attribute)
    setattr(owner, attribute, replacement)
    try:
        yield
    finally:
        setattr(owner, attribute, original)


def logits_of(folder, ids):
    model = Model(folder, "fp32", torch.float32)
    return model.forward(ids, model.new_cache()).to(torch.float64).numpy()


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=pathlib.Path, help="where checkpoints go (default: temp)")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    work = args.work or pathlib.Path(tempfile.mkdtemp(prefix="flint-bugs-"))
    for name, preset, seed, lengths in CHECKPOINTS:
        folder = work / name
        generate_checkpoint(preset, seed, folder)
        length = max(lengths)
        ids = torch.from_numpy(committed_prompt(name, length))
        correct = logits_of(folder, ids)
        print(f"== {name}, {length} tokens (fp32 mode, float32)")
        for bug, (owner, attribute, replacement) in BUGS.items():
            with planted(owner, attribute, replacement):
                d = logit_distance(logits_of(folder, ids), correct)
            print(f"  {bug}: {format_distance(d)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
