#!/usr/bin/python3
"""Writes the golden forward fixtures of tests/engine/fixtures/forward/ (format: README.md).

  /usr/bin/python3 tools/reference/make_fixtures.py [--out DIR] [--work DIR]

For each checkpoint in CHECKPOINTS: generate it with tools/checkpoint/make_checkpoint.py (twice,
to prove the writer is deterministic), hash its files (BUNDLED ones are committed folders, such as
flint-tiny, and are only hashed), and for each prompt length run the
reference prefill in both numerics modes (fp32 mode computed in float64, official mode in
float32), then store the input ids and a deterministic part of the logits. Each fixture also
proves it is reachable by a float32 engine: the reference's own fp32 mode run in float32 must
stay within the recommended bounds of the float64 golden logits.
"""

import argparse
import hashlib
import json
import pathlib
import subprocess
import sys
import tempfile

import numpy as np
import torch

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent.parent
WRITER = REPO / "tools" / "checkpoint" / "make_checkpoint.py"
DEFAULT_OUT = REPO / "tests" / "engine" / "fixtures" / "forward"
sys.path.insert(0, str(WRITER.parent))

from checkpoint import read_safetensors  # noqa: E402
from margins import recording_selection_margins  # noqa: E402
from model import Model  # noqa: E402
from safetensors_io import StoredTensor, write_safetensors  # noqa: E402

FORMAT = "flint-forward-fixture-1"
LOGIT_COLUMNS = 64          # columns kept at every position
FULL_ROWS_BELOW = 32        # prompts this short keep every full row
FP32_REL_L2_BOUND = 1e-5    # recommended fp32-mode bounds (README)
FP32_MAX_ABS_BOUND = 1e-4
# A prompt whose top-k selections (MoE experts, indexer entries) come closer than this to a tie
# is redrawn: a float32 engine could choose differently and miss the golden logits by far.
MIN_SELECTION_GAP = 1e-5

# (fixture name, writer preset, seed, prompt lengths). Between them: window-only, CSA and HCA
# layers (HCA at ratio 128 and 16), hash and bias routing, 2 and 4 hc streams, sliding windows
# of 8, 16 and 128, prompts far past the window and past many compression windows.
CHECKPOINTS = [
    ("tiny", "tiny", 0, [3, 61, 300]),
    ("small", "small", 1, [17, 333]),
    ("small-mtp", "small-mtp", 2, [130, 270]),
    ("window128", "window128", 3, [129, 420]),
]

# (fixture name, committed folder, prompt lengths): the bundled model, fixed by its file hashes.
BUNDLED = [
    ("flint-tiny", "resources/models/flint-tiny", [40, 300]),
]


def generate_checkpoint(preset, seed, out):
    args = ["--preset", preset, "--seed", str(seed)]
    subprocess.run([sys.executable, str(WRITER), *args, "--out", str(out)], check=True)
    return args


def file_hashes(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.iterdir()) if p.is_file()}


def tree_hash(hashes):
    """sha256 of the `sha256sum` listing: "<hex>  <name>\\n" per file, sorted by name."""
    listing = "".join(f"{digest}  {name}\n" for name, digest in sorted(hashes.items()))
    return hashlib.sha256(listing.encode()).hexdigest()


def prompt_ids(vocab_size, seed, length, draw):
    """BOS then ids drawn uniformly from [2, vocab), deterministic from (seed, length, draw)."""
    rng = np.random.default_rng([seed, length, draw])
    return np.concatenate([[0], rng.integers(2, vocab_size, length - 1)]).astype(np.int64)


def committed_prompt(name, length, fixture_dir=DEFAULT_OUT):
    """The input ids of the committed fixture `name`-`length` (so the checks run its prompt)."""
    return read_safetensors(fixture_dir / f"{name}-{length}.safetensors")["ids"][1].astype(np.int64)


def full_row_positions(length, window):
    if length < FULL_ROWS_BELOW:
        return list(range(length))
    picked = {0, 1, 2, 3, window - 1, window, length - 3, length - 2, length - 1}
    picked |= {p for p in range(length) if (p + 1) % 64 == 0}
    return sorted(p for p in picked if 0 <= p < length)


def logit_columns(vocab_size):
    return [j * (vocab_size // LOGIT_COLUMNS) for j in range(LOGIT_COLUMNS)]


def run_reference(folder, numerics, dtype, ids):
    torch.set_num_threads(1)
    model = Model(folder, numerics, dtype)
    with recording_selection_margins() as margins:
        logits = model.forward(torch.from_numpy(ids), model.new_cache())
    return logits.to(torch.float64).numpy(), margins


def float32_distance(folder, ids, golden):
    """(max per-position relative L2, max abs) of a float32 fp32-mode run against `golden`."""
    logits, _ = run_reference(folder, "fp32", torch.float32, ids)
    rel = np.linalg.norm(logits - golden, axis=-1) / np.linalg.norm(golden, axis=-1)
    return float(rel.max()), float(np.abs(logits - golden).max())


def tensor(name, dtype, array):
    kind = {"F32": "<f4", "I32": "<i4"}[dtype]
    array = np.ascontiguousarray(np.asarray(array).astype(kind))
    return StoredTensor(name, dtype, array.shape, array.tobytes())


def write_fixture(path, ids, rows, columns, logits_by_mode, metadata):
    stored = [tensor("ids", "I32", ids), tensor("full_row_positions", "I32", rows),
              tensor("logit_columns", "I32", columns)]
    for mode, logits in logits_by_mode.items():
        stored += [tensor(f"{mode}.full_rows", "F32", logits[rows]),
                   tensor(f"{mode}.columns", "F32", logits[:, columns]),
                   tensor(f"{mode}.argmax", "I32", logits.argmax(axis=-1))]
    write_safetensors(path, stored)
    return {"file": path.name, **metadata}


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path, default=DEFAULT_OUT)
    parser.add_argument("--work", type=pathlib.Path, help="where checkpoints go (default: temp)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    work = args.work or pathlib.Path(tempfile.mkdtemp(prefix="flint-fixtures-"))

    manifest = {"format": FORMAT, "writer": "tools/checkpoint/make_checkpoint.py",
                "reference": "tools/reference/make_fixtures.py", "checkpoints": [],
                "fixtures": []}
    sources = [(name, preset, seed, lengths, None) for name, preset, seed, lengths in CHECKPOINTS]
    sources += [(name, None, 0, lengths, committed) for name, committed, lengths in BUNDLED]
    for name, preset, seed, lengths, committed in sources:
        if committed:
            folder = REPO / committed
            origin = {"folder": committed}
        else:
            folder, again = work / name, work / (name + ".again")
            writer_args = generate_checkpoint(preset, seed, folder)
            generate_checkpoint(preset, seed, again)
            assert file_hashes(folder) == file_hashes(again), f"the writer is not deterministic for {name}"
            origin = {"preset": preset, "seed": seed, "writer_args": writer_args}
        hashes = file_hashes(folder)
        config = json.loads((folder / "config.json").read_text())
        manifest["checkpoints"].append({
            "name": name, **origin,
            "files": hashes, "tree_sha256": tree_hash(hashes),
            "vocab_size": config["vocab_size"], "sliding_window": config["sliding_window"],
            "compress_ratios": config["compress_ratios"][: config["num_hidden_layers"]],
            "num_hash_layers": config["num_hash_layers"], "hc_mult": config["hc_mult"]})
        for length in lengths:
            for draw in range(20):
                ids = prompt_ids(config["vocab_size"], seed, length, draw)
                exact, margins = run_reference(folder, "fp32", torch.float64, ids)
                if margins["min_relative_gap"] >= MIN_SELECTION_GAP:
                    break
            assert margins["min_relative_gap"] >= MIN_SELECTION_GAP, f"{name}-{length}: no draw"
            official, _ = run_reference(folder, "official", torch.float32, ids)
            rel_l2, max_abs = float32_distance(folder, ids, exact)
            assert rel_l2 <= FP32_REL_L2_BOUND and max_abs <= FP32_MAX_ABS_BOUND, (
                f"{name}-{length}: a float32 run misses the golden logits ({rel_l2}, {max_abs})")
            rows = full_row_positions(length, config["sliding_window"])
            fixture = write_fixture(
                args.out / f"{name}-{length}.safetensors", ids, rows,
                logit_columns(config["vocab_size"]), {"fp32": exact, "official": official},
                {"checkpoint": name, "prompt_length": length, "prompt_draw": draw,
                 "fp32_selection_min_relative_gap": margins["min_relative_gap"],
                 "fp32_selection_zero_ties": margins["zero_ties"],
                 "float32_run_max_rel_l2": rel_l2, "float32_run_max_abs": max_abs})
            manifest["fixtures"].append(fixture)
            print(f"{fixture['file']}: selection gap {margins['min_relative_gap']:.2e}"
                  f" ({margins['zero_ties']} zero ties), float32 run rel L2 {rel_l2:.2e}"
                  f" max abs {max_abs:.2e}", flush=True)
    with open(args.out / "manifest.json", "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
