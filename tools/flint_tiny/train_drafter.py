#!/usr/bin/env python3
"""Trains flint-tiny's DSpark drafter on the frozen base and adds it to the checkpoint.

  /usr/bin/python3 tools/flint_tiny/train_drafter.py [--model resources/models/flint-tiny]
                                                     [--minutes 25] [--seed 0]
                                                     [--device auto|cpu|cuda]

The base is the exported (FP8/FP4) checkpoint, so the drafter learns the model the engine runs.
Recipe after deepseek-v4.md §7.8, at flint-tiny's size: 3 stages tapping the last three layers,
blocks of 5, Markov head of rank 32, confidence head; per sequence the target runs once, then 32
anchors are drawn and all their blocks go through the drafter in one pass; loss = 0.1 CE (the
data's next tokens) + 0.9 total variation against the target's distribution + BCE of the
confidence against 1 - TV, weighted exp(-k/4) over draft positions. Embeddings and head are the
target's, frozen. The noise token is id 0 (BOS): the tokenizer has no unused id, and BOS never
appears inside a block otherwise (the spec's noise id is likewise a token with no other use).

Then it measures, on held-out questions answered by the target itself: acceptance at
temperature 0 (drafts equal to the target's greedy tokens) and at 1.0 (expected acceptance
sum(min(p, q)) per position), and the mean accepted length including the bonus token.

--device auto (the default) runs on CUDA when torch sees a device, else on the CPU; the drafter's
tensors are written from CPU copies either way.
"""

import argparse
import json
import math
import pathlib
import random
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
for sub in ("tools/flint_tiny", "tools/reference", "tools/checkpoint"):
    sys.path.insert(0, str(ROOT / sub))

import numpy as np  # noqa: E402
import torch  # noqa: E402

import bpe  # noqa: E402
import devices  # noqa: E402
import make_checkpoint  # noqa: E402
import tasks  # noqa: E402
from checkpoint import read_safetensors  # noqa: E402
from dspark import Drafter  # noqa: E402
from model import Model  # noqa: E402
from safetensors_io import StoredTensor, write_checkpoint_files  # noqa: E402
from v4_layout import model_tensors  # noqa: E402

DSPARK = {"dspark_block_size": 5, "dspark_noise_token_id": 0, "dspark_markov_rank": 32}
ANCHORS = 32


def drafter_config(base):
    config = dict(base)
    config.update(DSPARK)
    layers = config["num_hidden_layers"]
    config["dspark_target_layer_ids"] = [layers - 3, layers - 2, layers - 1]
    config["compress_ratios"] = config["compress_ratios"][:layers] + [0, 0, 0]
    return config


def write_with_drafter(base_dir, out_dir, config, drafter_values):
    """The base's stored tensors byte for byte, plus the drafter's, encoded like any other."""
    stored = []
    for path in sorted(base_dir.glob("*.safetensors")):
        for name, (dtype, array) in read_safetensors(path).items():
            if not name.startswith("mtp."):
                stored.append(StoredTensor(name, dtype, list(array.shape), array.tobytes()))
    for tensor in model_tensors(config, "dspark", 3):
        if tensor.name.startswith("mtp."):
            stored += make_checkpoint.encode(tensor, drafter_values(tensor))
    for stale in out_dir.glob("model*.safetensors*"):
        stale.unlink()
    write_checkpoint_files(out_dir, stored, 0)
    (out_dir / "config.json").write_text(json.dumps(config, indent=2) + "\n")


def initialise(model_dir, work, seed):
    """The base checkpoint plus freshly drawn drafter tensors, in `work`."""
    base = json.loads((model_dir / "config.json").read_text())
    config = drafter_config(base)
    work.mkdir(parents=True, exist_ok=True)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        (work / name).write_bytes((model_dir / name).read_bytes())
    write_with_drafter(model_dir, work, config,
                       lambda t: make_checkpoint.draw_values(t, config, seed))
    return config


def sequences(encoder, rng, length):
    examples = [e for e in (tasks.sample(rng) for _ in range(20000)) if not tasks.held_out(e)]
    ids = []
    while True:
        prefix, completion = tasks.render(rng.choice(examples), rng.choice(tasks.MODES))
        ids += encoder.encode(prefix + completion)
        while len(ids) >= length:
            yield torch.tensor(ids[:length])
            ids = ids[length:]


def losses(drafter, ids, rng, anchors=ANCHORS):
    """ids [length] on the model's device; the anchors are drawn from `rng`."""
    g = drafter.block_size
    device = ids.device
    with torch.no_grad():  # the target is frozen; main_proj and main_norm are the drafter's
        logits, taps = drafter.taps(ids)
        target = torch.softmax(logits, dim=-1)
    main_x = drafter.project(taps)
    starts = torch.tensor(sorted(rng.sample(range(1, len(ids) - g), anchors)), device=device)
    U, y = drafter.blocks(main_x, ids[starts], starts)
    offsets = starts[:, None] + torch.arange(g, device=device)[None, :]
    previous, labels = ids[offsets], ids[offsets + 1]
    L = drafter.markov(U, previous)
    p_draft = torch.softmax(L, dim=-1)
    tv = 0.5 * (p_draft - target[offsets]).abs().sum(-1)
    ce = torch.nn.functional.cross_entropy(L.reshape(-1, L.shape[-1]), labels.reshape(-1),
                                           reduction="none").reshape(tv.shape)
    conf = drafter.confidence(y, previous)
    bce = torch.nn.functional.binary_cross_entropy_with_logits(conf, (1 - tv).detach(),
                                                               reduction="none")
    weight = torch.exp(-torch.arange(g, dtype=torch.float32, device=device) / 4)
    loss = ((0.1 * ce + 0.9 * tv + bce) * weight).sum(-1).mean() / weight.sum()
    return loss, tv.detach()


def trainable_weights(model):
    """The drafter's own weights (mtp.*); embeddings, head and the base stay frozen."""
    trainable = {k: t for k, t in model.weights.items()
                 if k.startswith("mtp.") and t.is_floating_point()}
    for t in trainable.values():
        t.requires_grad_(True)
    return trainable


def optimizer(trainable):
    return torch.optim.AdamW(trainable.values(), lr=2e-3, betas=(0.9, 0.98), weight_decay=0.01)


def train_step(drafter, trainable, opt, ids, rng, lr):
    """One optimizer step on one sequence (ids on the model's device): (loss, tv), detached."""
    for group in opt.param_groups:
        group["lr"] = lr
    loss, tv = losses(drafter, ids, rng)
    opt.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(trainable.values(), 1.0)
    opt.step()
    return loss.detach(), tv


def greedy_answer(model, prefix_ids, limit=120, eos=1):
    """The target's greedy continuation (ids), by incremental decode."""
    cache = model.new_cache()
    logits = model.forward(torch.tensor(prefix_ids, device=model.device), cache)
    out = []
    for _ in range(limit):
        token = int(logits[-1].argmax())
        out.append(token)
        if token == eos:
            break
        logits = model.forward(torch.tensor([token], device=model.device), cache)
    return out


def measure(drafter, encoder, seed, questions=24):
    """Acceptance on the target's own greedy answers to held-out questions."""
    rng = random.Random(seed + 1000)
    g = drafter.block_size
    device = drafter.model.device
    accepted0, accepted1, anchors = [], [], 0
    per_position = np.zeros(g)
    with torch.no_grad():
        for _ in range(questions):
            e = tasks.sample(rng)
            while not tasks.held_out(e):
                e = tasks.sample(rng)
            prefix = encoder.encode(tasks.prompt(e["q"], rng.choice(tasks.MODES)))
            answer = greedy_answer(drafter.model, prefix)
            ids = torch.tensor(prefix + answer, device=device)
            logits, main_x = drafter.target(ids)
            target = torch.softmax(logits, dim=-1)
            # Every committed answer position as an anchor: drafts must reproduce the answer.
            starts = torch.arange(len(prefix), len(ids) - 1, device=device)
            if len(starts) == 0:
                continue
            U, _ = drafter.blocks(main_x, ids[starts], starts)
            for b, start in enumerate(starts.tolist()):
                previous, run, alive = int(ids[start]), 0, True
                survive, expected = 1.0, 0.0
                for k in range(g):
                    previous_t = torch.tensor([[previous]], device=device)
                    L = drafter.markov(U[b, k][None, None], previous_t)[0, 0]
                    pos = start + k
                    if pos + 1 >= len(ids):
                        break
                    draft = int(L.argmax())
                    if alive and draft == int(ids[pos + 1]):
                        run += 1
                        per_position[k] += 1
                    else:
                        alive = False
                    # T = 1: the draft is accepted with probability sum(min(p, q)) given the
                    # prefix so far; continue along the target's own token.
                    q = torch.softmax(L, dim=-1)
                    survive *= float(torch.minimum(q, target[pos]).sum())
                    expected += survive
                    previous = int(ids[pos + 1])
                accepted0.append(run)
                accepted1.append(expected)
                anchors += 1
    return {"anchors": anchors,
            "t0_mean_accepted_drafts": float(np.mean(accepted0)),
            "t0_mean_accepted_length": 1 + float(np.mean(accepted0)),
            "t0_acceptance_rate": float(np.mean(accepted0)) / g,
            "t0_per_position_accepted": (per_position / max(anchors, 1)).round(3).tolist(),
            "t1_mean_accepted_length": 1 + float(np.mean(accepted1)),
            "t1_acceptance_rate": float(np.mean(accepted1)) / g}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=pathlib.Path, default=ROOT / "resources/models/flint-tiny")
    parser.add_argument("--work", type=pathlib.Path, default=ROOT / "build/flint-tiny-drafter")
    parser.add_argument("--minutes", type=float, default=25)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--measure-only", action="store_true")
    devices.add_argument(parser)
    args = parser.parse_args()
    device = devices.from_args(args)
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    encoder = bpe.Encoder(json.loads((args.model / "tokenizer.json").read_text()))

    if args.measure_only:
        drafter = Drafter(Model(str(args.model), numerics="fp32", dtype=torch.float32,
                                device=device))
        print(json.dumps(measure(drafter, encoder, args.seed), indent=1))
        return

    config = initialise(args.model, args.work, args.seed)
    model = Model(str(args.work), numerics="fp32", dtype=torch.float32, device=device)
    drafter = Drafter(model)
    trainable = trainable_weights(model)
    opt = optimizer(trainable)
    data = sequences(encoder, rng, 256)
    start, step, smooth, budget = time.time(), 0, None, args.minutes * 60
    while time.time() - start < budget:
        progress = (time.time() - start) / budget
        lr = 2e-3 * min(1.0, (step + 1) / 50) * (0.1 + 0.45 * (1 + math.cos(math.pi * progress)))
        loss, tv = train_step(drafter, trainable, opt, next(data).to(device), rng, lr)
        step += 1
        smooth = loss.item() if smooth is None else 0.95 * smooth + 0.05 * loss.item()
        if step % 25 == 0:
            print(f"step {step} loss {smooth:.3f} tv(k=1) {float(tv[:, 0].mean()):.3f} "
                  f"{time.time() - start:.0f}s", flush=True)
    trained = {k: t.detach().cpu().double().numpy() for k, t in trainable.items()}
    write_with_drafter(args.model, args.model, config, lambda t: trained[t.name])
    print(f"trained {step} steps; wrote the drafter into {args.model}")
    drafter = Drafter(Model(str(args.model), numerics="fp32", dtype=torch.float32,
                            device=device))
    print(json.dumps(measure(drafter, encoder, args.seed), indent=1))


if __name__ == "__main__":
    main()
