#!/usr/bin/python3
"""Proves the reference's incremental path: for each fixture checkpoint's longest prompt, the
logits of (a) token-by-token decode from an empty cache, (b) a prefill of part of the prompt then
token-by-token decode, (c) uneven chunks, all match one prefill of the whole prompt.
Also prints how far a float32 run is from the float64 one. Not part of CI.

  /usr/bin/python3 tools/reference/check_decode.py [--work DIR]
"""

import argparse
import itertools
import pathlib
import sys
import tempfile

import torch

from compare import format_distance, logit_distance
from make_fixtures import CHECKPOINTS, committed_prompt, generate_checkpoint
from model import Model


def run_in_chunks(model, ids, chunk_lengths):
    cache, out, start = model.new_cache(), [], 0
    for length in chunk_lengths:
        out.append(model.forward(ids[start:start + length], cache))
        start += length
    assert start == len(ids)
    return torch.cat(out).to(torch.float64).numpy()


def schedules(length):
    """name -> chunk lengths covering the prompt."""
    split = length * 2 // 3
    uneven, done, steps = [], 0, itertools.cycle([5, 1, 37, 2, 64])
    while done < length:
        uneven.append(min(next(steps), length - done))
        done += uneven[-1]
    return {"decode only": [1] * length,
            f"prefill {split} + decode": [split] + [1] * (length - split),
            "uneven chunks": uneven}


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=pathlib.Path, help="where checkpoints go (default: temp)")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    work = args.work or pathlib.Path(tempfile.mkdtemp(prefix="flint-check-"))
    for name, preset, seed, lengths in CHECKPOINTS:
        folder = work / name
        generate_checkpoint(preset, seed, folder)
        length = max(lengths)
        ids = torch.from_numpy(committed_prompt(name, length))
        print(f"== {name}, {length} tokens")
        golden = None
        for numerics, dtype in (("fp32", torch.float64), ("fp32", torch.float32),
                                ("official", torch.float32)):
            model = Model(folder, numerics, dtype)
            full = run_in_chunks(model, ids, [length])
            if golden is None:
                golden = full
            else:
                print(f"  {numerics}/{str(dtype)[6:]} prefill vs fp32/float64 prefill: "
                      + format_distance(logit_distance(full, golden)))
            for schedule, chunks in schedules(length).items():
                d = logit_distance(run_in_chunks(model, ids, chunks), full)
                print(f"  {numerics}/{str(dtype)[6:]} {schedule} vs prefill: "
                      + format_distance(d), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
