#!/usr/bin/env python3
"""Trains flint-tiny from scratch, reproducibly, and writes it in the real checkpoint format.

  /usr/bin/python3 tools/flint_tiny/train.py --out resources/models/flint-tiny [--minutes 40]
                                              [--seed 0] [--work DIR] [--device auto|cpu|cuda]

Steps: generate the corpus (tasks.py), train the BPE tokenizer (bpe.py) and check its encoder
against `flint-cli tokenize` when the CLI is built, initialise the weights with the checkpoint
writer, train them with the PyTorch reference of the forward pass (tools/reference, fp32
numerics) so what is trained is what the engine runs, then quantize to FP8/FP4 and write the
folder. --device auto (the default) trains on CUDA when torch sees a device, else on the CPU
threads available; weights.pt and the export are written from CPU copies either way.

The config (FLINT_TINY below) keeps every V4 feature at a size that trains on two cores:
hidden 256, 4 layers (window, CSA, HCA, CSA), the first hash-routed, 16 routed experts (top 2)
plus a shared one, 4 residual streams, the real 128-token window, YaRN on compressed layers.
"""

import argparse
import json
import math
import pathlib
import random
import shutil
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools/flint_tiny"))
sys.path.insert(0, str(ROOT / "tools/reference"))
sys.path.insert(0, str(ROOT / "tools/checkpoint"))

import numpy as np  # noqa: E402
import torch  # noqa: E402

import bpe  # noqa: E402
import devices  # noqa: E402
import presets  # noqa: E402
import tasks  # noqa: E402

VOCAB = 2048
FLINT_TINY = {
    "config": {"vocab_size": VOCAB, "hidden_size": 256, "num_hidden_layers": 4,
               "num_attention_heads": 4, "q_lora_rank": 128, "o_groups": 2, "o_lora_rank": 128,
               "moe_intermediate_size": 128, "n_routed_experts": 16, "num_experts_per_tok": 2,
               "num_hash_layers": 1, "sliding_window": 128, "index_n_heads": 4,
               "index_head_dim": 64, "index_topk": 8, "hc_mult": 4,
               "max_position_embeddings": 4096},
    "layer_ratios": [0, 4, 128, 4],
    "drafter": "none",
    "shards": 1,
}
SEQUENCE = 256


def corpus(seed, count):
    rng = random.Random(seed)
    out = []
    while len(out) < count:
        example = tasks.sample(rng)
        if not tasks.held_out(example):
            out.append(example)
    return out


def build_tokenizer(work, examples):
    texts = []
    for e in examples[:4000]:
        for mode in tasks.MODES:
            prefix, completion = tasks.render(e, mode)
            texts.append(prefix + completion)
    tok = bpe.tokenizer_json(bpe.train(texts, VOCAB), VOCAB)
    (work / "tokenizer.json").write_text(json.dumps(tok, ensure_ascii=False, indent=1) + "\n",
                                         encoding="utf-8")
    return tok, texts


def check_against_engine(work, encoder, texts):
    cli = ROOT / "build/release/bin/flint-cli"
    if not cli.exists():
        print("flint-cli not built: tokenizer not cross-checked")
        return
    mismatches = 0
    for text in texts[:: max(1, len(texts) // 60)]:
        out = subprocess.run([str(cli), "tokenize", "--model", str(work), "--json", text],
                             capture_output=True, text=True, check=True).stdout
        ids = json.loads(out)["ids"]
        if ids != encoder.encode(text):
            mismatches += 1
    print(f"tokenizer: python encoder vs engine, {mismatches} mismatches")
    if mismatches:
        sys.exit("the training encoder disagrees with the engine's tokenizer")
    # The prompts the model learns must be byte for byte the ones the engine builds.
    for question in ("What is 47+38?", "Hi", "Read the text and answer.\n\nAda has 3 pens."):
        for mode in tasks.MODES:
            engine = subprocess.run([str(cli), "prompt", "--mode", mode, "--user", question],
                                    capture_output=True, check=True).stdout.decode("utf-8")
            if engine != tasks.prompt(question, mode):
                sys.exit(f"the training prompt for mode {mode} differs from the engine's")
    print("prompts: identical to `flint-cli prompt` in every mode")


def make_initial_checkpoint(work, seed):
    presets.PRESETS["flint-tiny"] = FLINT_TINY
    import make_checkpoint
    make_checkpoint.main(["--preset", "flint-tiny", "--out", str(work / "init"), "--single-file",
                          "--seed", str(seed)])
    shutil.copy(work / "tokenizer.json", work / "init/tokenizer.json")


def packed_batches(examples, encoder, rng):
    """Endless sequences of SEQUENCE+1 tokens: rendered examples back to back (each mode in
    turn), with a mask that is 1 on completion tokens only."""
    ids, mask = [], []
    while True:
        e = rng.choice(examples)
        prefix, completion = tasks.render(e, rng.choice(tasks.MODES))
        p, c = encoder.encode(prefix), encoder.encode(completion)
        ids += p + c
        mask += [0] * len(p) + [1] * len(c)
        while len(ids) > SEQUENCE + 1:
            yield torch.tensor(ids[: SEQUENCE + 1]), torch.tensor(mask[1: SEQUENCE + 1],
                                                                   dtype=torch.float32)
            ids, mask = ids[SEQUENCE + 1:], mask[SEQUENCE + 1:]


def trainable(model):
    """The weights the base trainer learns: every floating tensor (not the tid2eid tables)."""
    params = {k: t for k, t in model.weights.items() if t.is_floating_point()}
    for t in params.values():
        t.requires_grad_(True)
    return params


def optimizer(params, peak_lr):
    return torch.optim.AdamW(params.values(), lr=peak_lr, betas=(0.9, 0.98), weight_decay=0.01)


def train_step(model, params, opt, ids, mask, lr):
    """One optimizer step on one packed sequence (ids [SEQUENCE+1], mask [SEQUENCE], already on
    the model's device); returns the loss (a 0-dim tensor, detached)."""
    for group in opt.param_groups:
        group["lr"] = lr
    logits = model.forward(ids[:-1], model.new_cache())
    losses = torch.nn.functional.cross_entropy(logits, ids[1:], reduction="none")
    loss = (losses * mask).sum() / mask.sum().clamp(min=1)
    opt.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params.values(), 1.0)
    opt.step()
    return loss.detach()


def cpu_copies(params):
    """What is saved and exported: detached CPU tensors (the same bytes whatever the device)."""
    return {k: t.detach().cpu() for k, t in params.items()}


def train(work, examples, encoder, minutes, seed, resume=False, peak_lr=2e-3, device="cpu"):
    from model import Model
    torch.manual_seed(seed)
    model = Model(str(work / "init"), numerics="fp32", dtype=torch.float32, device=device)
    params = trainable(model)
    if resume:  # continue from the last saved weights (a fresh optimizer, a lower peak)
        saved = torch.load(work / "weights.pt", map_location="cpu")
        with torch.no_grad():
            for k, t in params.items():
                t.copy_(saved[k])
        rng_offset = 1
    else:
        rng_offset = 0
    opt = optimizer(params, peak_lr)
    rng = random.Random(seed + rng_offset)
    batches = packed_batches(examples, encoder, rng)
    start, step, smooth = time.time(), 0, None
    budget = minutes * 60
    while time.time() - start < budget:
        progress = (time.time() - start) / budget
        warmup = min(1.0, (step + 1) / 100)
        lr = peak_lr * warmup * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))
        ids, mask = next(batches)
        loss = train_step(model, params, opt, ids.to(model.device), mask.to(model.device), lr)
        step += 1
        smooth = loss.item() if smooth is None else 0.98 * smooth + 0.02 * loss.item()
        if step % 50 == 0:
            print(f"step {step} loss {smooth:.3f} lr {lr:.2e} {time.time() - start:.0f}s",
                  flush=True)
        if step % 500 == 0:
            torch.save(cpu_copies(params), work / "weights.pt")
    trained = cpu_copies(params)
    torch.save(trained, work / "weights.pt")
    return trained, step


def export(work, out, trained, config_fields):
    """The trained float weights in the checkpoint's own formats (FP8 blocks, FP4 experts, BF16,
    F32), through the same writer as every generated checkpoint."""
    import make_checkpoint
    from safetensors_io import write_checkpoint_files
    from v4_layout import model_tensors
    from tokenizer_files import tokenizer_config
    config = json.loads((work / "init/config.json").read_text())
    stored = []
    for tensor in model_tensors(config, "none", 0):
        if tensor.name in trained:
            values = trained[tensor.name].double().numpy()
        else:  # integer tables (tid2eid) stay as initialised
            values = make_checkpoint.draw_values(tensor, config, config_fields["seed"])
        stored += make_checkpoint.encode(tensor, values)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    write_checkpoint_files(out, stored, 0)
    (out / "config.json").write_text(json.dumps(config, indent=1) + "\n")
    shutil.copy(work / "tokenizer.json", out / "tokenizer.json")
    (out / "tokenizer_config.json").write_text(json.dumps(tokenizer_config(), indent=1) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path, default=ROOT / "resources/models/flint-tiny")
    parser.add_argument("--work", type=pathlib.Path, default=ROOT / "build/flint-tiny-work")
    parser.add_argument("--minutes", type=float, default=40)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--export-only", action="store_true", help="export work/weights.pt")
    parser.add_argument("--resume", action="store_true",
                        help="continue training from work/weights.pt (peak learning rate 6e-4)")
    devices.add_argument(parser)
    args = parser.parse_args()
    device = devices.from_args(args)
    torch.set_num_threads(max(1, torch.get_num_threads()))
    args.work.mkdir(parents=True, exist_ok=True)
    examples = corpus(args.seed, 60000)
    tok, texts = build_tokenizer(args.work, examples)
    encoder = bpe.Encoder(tok)
    make_initial_checkpoint(args.work, args.seed)
    check_against_engine(args.work / "init", encoder, texts)
    if args.export_only:
        trained = torch.load(args.work / "weights.pt", map_location="cpu")
    else:
        trained, steps = train(args.work, examples, encoder, args.minutes, args.seed, args.resume,
                               6e-4 if args.resume else 2e-3, device)
        print(f"trained {steps} steps of {SEQUENCE} tokens")
    export(args.work, args.out, trained, {"seed": args.seed})
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
