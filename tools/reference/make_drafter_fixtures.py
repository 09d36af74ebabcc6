#!/usr/bin/python3
"""Writes the DSpark drafter's golden fixtures (tests/engine/fixtures/drafter/) for the engine's
drafter to match: for a prompt, the target's prefill gives main_x; for several anchors the
drafter's base logits, the Markov-corrected logits along its own greedy chain, the greedy drafts
and the confidence logits.

  /usr/bin/python3 tools/reference/make_drafter_fixtures.py [--out DIR] [--work DIR]

Checkpoints: the writer's `small` preset (random weights, 3 stages, 4 streams, window 16) and the
bundled flint-tiny (trained). fp32 numerics in float64, as the forward fixtures.

Each fixture file (safetensors) holds: ids [S] (the committed tokens, anchor included at each
start), starts [A] (anchor positions: the block covers starts[a] .. starts[a]+γ-1, context is
every committed position before it within the window), base_logits [A, γ, V], markov_logits
[A, γ, V] (with the previous token = anchor, then the greedy drafts), drafts [A, γ] and
confidence [A, γ] (logits; sigmoid gives P(accept)).
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
DEFAULT_OUT = REPO / "tests" / "engine" / "fixtures" / "drafter"
sys.path.insert(0, str(WRITER.parent))

from dspark import Drafter  # noqa: E402
from model import Model  # noqa: E402
from safetensors_io import StoredTensor, write_safetensors  # noqa: E402

FORMAT = "flint-drafter-fixture-1"
# (name, writer preset and seed, or a committed folder; prompt length; anchor positions)
CHECKPOINTS = [
    ("small", {"preset": "small", "seed": 1}, 40, [1, 9, 17, 30]),
    ("flint-tiny", {"folder": "resources/models/flint-tiny"}, 150, [5, 60, 129, 140]),
]


def file_hashes(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.iterdir()) if p.is_file()}


def tensor(name, array):
    array = np.asarray(array)
    kind, dtype = ("<i4", "I32") if array.dtype.kind in "iu" else ("<f4", "F32")
    array = np.ascontiguousarray(array.astype(kind))
    return StoredTensor(name, dtype, list(array.shape), array.tobytes())


def fixture(folder, length, starts, seed):
    torch.set_num_threads(1)
    model = Model(str(folder), "fp32", torch.float64)
    drafter = Drafter(model)
    rng = np.random.default_rng([seed, length])
    ids = np.concatenate([[0], rng.integers(2, model.config.vocab_size, length - 1)])
    ids = torch.from_numpy(ids.astype(np.int64))
    with torch.no_grad():
        _, main_x = drafter.target(ids)
        base, markov, drafts, confidence = [], [], [], []
        for start in starts:
            d, corrected, conf = drafter.draft_greedy(main_x, int(ids[start]), start)
            U, _ = drafter.blocks(main_x, [ids[start]], [start], context_length=start)
            base.append(U[0].numpy())
            markov.append(corrected.numpy())
            drafts.append(d)
            confidence.append(conf.numpy())
    return [tensor("ids", ids.numpy()), tensor("starts", np.array(starts)),
            tensor("base_logits", np.stack(base)), tensor("markov_logits", np.stack(markov)),
            tensor("drafts", np.array(drafts)), tensor("confidence", np.stack(confidence))]


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path, default=DEFAULT_OUT)
    parser.add_argument("--work", type=pathlib.Path)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    work = args.work or pathlib.Path(tempfile.mkdtemp(prefix="flint-drafter-fixtures-"))
    manifest = {"format": FORMAT, "reference": "tools/reference/make_drafter_fixtures.py",
                "fixtures": []}
    for name, origin, length, starts in CHECKPOINTS:
        if "folder" in origin:
            folder = REPO / origin["folder"]
        else:
            folder = work / name
            subprocess.run([sys.executable, str(WRITER), "--preset", origin["preset"], "--seed",
                            str(origin["seed"]), "--out", str(folder)], check=True)
        path = args.out / f"{name}.safetensors"
        write_safetensors(path, fixture(folder, length, starts, seed=len(name)))
        manifest["fixtures"].append({"file": path.name, "checkpoint": name, **origin,
                                     "files": file_hashes(folder), "prompt_length": length,
                                     "starts": starts})
        print(f"{path.name}: {len(starts)} anchors", flush=True)
    (args.out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
