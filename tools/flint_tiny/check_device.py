#!/usr/bin/env python3
"""Checks that flint-tiny's trainers give the CPU's results on another device.

  /usr/bin/python3 tools/flint_tiny/check_device.py [--device cuda] [--steps 3] [--length 96]
                                                     [--seed 0] [--model DIR]

Runs a few optimizer steps of the base trainer (train.train_step from a freshly initialised
flint-tiny checkpoint) and of the drafter trainer (train_drafter.train_step on the bundled base
with fresh drafter stages) on a small generated batch, once on the CPU and once on --device, with
the same seed, weights and data, then compares the losses of every step and the parameters after
the last one. It also exports the device run's base weights through train.export and loads them
back, the path retraining takes.

Tolerance: with --device cpu both runs must be bit-identical (losses, parameters and exported
files). On another device kernels and summation orders differ, so per trainer it requires
  loss        |device - cpu| <= 1e-4 * max(1, |cpu loss|) at every step,
  parameters  max |device - cpu| <= 2 * lr * steps (no element moved further than Adam could),
              and ||update_device - update_cpu|| / ||update_cpu|| <= 1e-2 (updates from the start
              weights; Adam turns a gradient near zero into a +-lr step, so a few elements whose
              gradient sign is rounding noise may differ by up to 2 lr).
These bounds are first estimates, not yet measured on a GPU (tests/gpu/run.sh runs this).

Exit status: 0 within tolerance, 1 outside it, 2 when the device is not available (one line).
"""

import argparse
import filecmp
import json
import pathlib
import random
import shutil
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
for sub in ("tools/flint_tiny", "tools/reference", "tools/checkpoint"):
    sys.path.insert(0, str(ROOT / sub))

import torch  # noqa: E402

import devices  # noqa: E402

LR = 1e-3                   # a fixed learning rate for both trainers (no warmup: visible steps)
LOSS_RTOL = 1e-4
UPDATE_REL_L2_TOL = 1e-2


def base_batches(encoder, seed, steps, length):
    """`steps` packed training sequences of the base trainer, cut to `length` tokens."""
    import train
    examples = train.corpus(seed, 400)
    batches = train.packed_batches(examples, encoder, random.Random(seed))
    out = []
    for _ in range(steps):
        ids, mask = next(batches)
        out.append((ids[:length + 1], mask[:length]))
    return out


def drafter_sequences(encoder, seed, steps, length):
    import tasks
    rng = random.Random(seed)
    examples = [e for e in (tasks.sample(rng) for _ in range(400)) if not tasks.held_out(e)]
    ids, out = [], []
    while len(out) < steps:
        prefix, completion = tasks.render(rng.choice(examples), rng.choice(tasks.MODES))
        ids += encoder.encode(prefix + completion)
        while len(ids) >= length and len(out) < steps:
            out.append(torch.tensor(ids[:length]))
            ids = ids[length:]
    return out


def run_base(folder, device, batches):
    """(losses per step, {name: CPU tensor} after the steps, start weights on the CPU)."""
    import train
    from model import Model
    torch.manual_seed(0)
    model = Model(str(folder), numerics="fp32", dtype=torch.float32, device=device)
    params = train.trainable(model)
    start = train.cpu_copies(params)
    if device.type == "cpu":  # cpu_copies share the live tensors' storage on the CPU
        start = {k: t.clone() for k, t in start.items()}
    opt = train.optimizer(params, LR)
    losses = [float(train.train_step(model, params, opt, ids.to(device), mask.to(device), LR))
              for ids, mask in batches]
    return losses, train.cpu_copies(params), start


def run_drafter(folder, device, sequences, seed):
    import train_drafter
    from dspark import Drafter
    from model import Model
    torch.manual_seed(0)
    model = Model(str(folder), numerics="fp32", dtype=torch.float32, device=device)
    drafter = Drafter(model)
    trainable = train_drafter.trainable_weights(model)
    start = {k: t.detach().cpu().clone() for k, t in trainable.items()}
    opt = train_drafter.optimizer(trainable)
    rng = random.Random(seed + 1)   # the anchors: the same draws on both devices
    losses = []
    for ids in sequences:
        loss, _ = train_drafter.train_step(drafter, trainable, opt, ids.to(device), rng, LR)
        losses.append(float(loss))
    return losses, {k: t.detach().cpu() for k, t in trainable.items()}, start


def compare(name, cpu, other, exact, steps):
    """Prints one line per trainer; True when within tolerance."""
    (loss_a, params_a, start), (loss_b, params_b, _) = cpu, other
    loss_diff = max(abs(a - b) for a, b in zip(loss_a, loss_b))
    param_diff, diff_sq, update_sq, count = 0.0, 0.0, 0.0, 0
    for k, a in params_a.items():
        a64, b64, s64 = a.double(), params_b[k].double(), start[k].double()
        param_diff = max(param_diff, float((a64 - b64).abs().max()))
        diff_sq += float(((b64 - s64) - (a64 - s64)).pow(2).sum())
        update_sq += float((a64 - s64).pow(2).sum())
        count += a.numel()
    update_rel = (diff_sq ** 0.5) / max(update_sq ** 0.5, 1e-30)
    if exact:
        identical = loss_a == loss_b and all(torch.equal(params_a[k], params_b[k])
                                            for k in params_a)
        ok, rule = identical, "bit-identical" if identical else "NOT bit-identical"
    else:
        loss_ok = all(abs(a - b) <= LOSS_RTOL * max(1.0, abs(a)) for a, b in zip(loss_a, loss_b))
        ok = loss_ok and param_diff <= 2 * LR * steps and update_rel <= UPDATE_REL_L2_TOL
        rule = "within tolerance" if ok else "OUTSIDE tolerance"
    print(f"{name}: losses cpu {[round(x, 6) for x in loss_a]} device "
          f"{[round(x, 6) for x in loss_b]}", flush=True)
    print(f"{name}: loss max |diff| {loss_diff:.3e}, params max |diff| {param_diff:.3e} over "
          f"{count} values, update rel L2 diff {update_rel:.3e} -> {rule}", flush=True)
    return ok


def export_round_trip(work, trained, seed, compare_with=None):
    """train.export of `trained` into a fresh folder, loaded back by the reference."""
    import train
    from model import Model
    out = work / f"export-{len(list(work.glob('export-*')))}"
    train.export(work, out, trained, {"seed": seed})
    Model(str(out), numerics="fp32", dtype=torch.float32)
    if compare_with is not None:
        names = sorted(p.name for p in out.iterdir())
        same = filecmp.cmpfiles(out, compare_with, names, shallow=False)[0] == names
        return out, same
    return out, None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda", help="the device compared with the CPU "
                        f"({devices.CHOICES}; default cuda)")
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--length", type=int, default=96, help="tokens per training sequence")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--model", type=pathlib.Path, default=ROOT / "resources/models/flint-tiny",
                        help="the bundled model: tokenizer, and the frozen base of the drafter")
    parser.add_argument("--work", type=pathlib.Path, help="scratch folder (default: temp)")
    args = parser.parse_args()
    try:
        device = devices.resolve(args.device)
    except devices.NotAvailable as error:
        print(f"check_device: {error}", flush=True)
        return 2
    torch.backends.cuda.matmul.allow_tf32 = False   # float32 means float32 on both sides
    torch.backends.cudnn.allow_tf32 = False
    exact = device.type == "cpu"
    cpu = torch.device("cpu")
    print(f"check_device: cpu vs {device}, {args.steps} steps of each trainer, lr {LR}, "
          f"{args.length} tokens, seed {args.seed}; tolerance: "
          + ("bit-identical" if exact else f"loss rtol {LOSS_RTOL}, params 2*lr*steps, "
             f"update rel L2 {UPDATE_REL_L2_TOL}"), flush=True)

    import bpe
    import train
    import train_drafter
    work = args.work or pathlib.Path(tempfile.mkdtemp(prefix="flint-check-device-"))
    work.mkdir(parents=True, exist_ok=True)
    began = time.time()
    shutil.copy(args.model / "tokenizer.json", work / "tokenizer.json")
    tokenizer = json.loads((args.model / "tokenizer.json").read_text())
    encoder = bpe.Encoder(tokenizer)
    train.make_initial_checkpoint(work, args.seed)      # -> work/init, as train.py starts
    train_drafter.initialise(args.model, work / "drafter", args.seed)

    ok = True
    batches = base_batches(encoder, args.seed, args.steps, args.length)
    base_cpu = run_base(work / "init", cpu, batches)
    base_dev = run_base(work / "init", device, batches)
    ok &= compare("base trainer", base_cpu, base_dev, exact, args.steps)

    first, _ = export_round_trip(work, base_cpu[1], args.seed)
    second, same = export_round_trip(work, base_dev[1], args.seed, compare_with=first)
    print(f"export: device-trained weights exported and loaded back; files "
          f"{'identical to' if same else 'differ from'} the cpu run's", flush=True)
    if exact and not same:
        ok = False

    sequences = drafter_sequences(encoder, args.seed, args.steps, args.length)
    drafter_cpu = run_drafter(work / "drafter", cpu, sequences, args.seed)
    drafter_dev = run_drafter(work / "drafter", device, sequences, args.seed)
    ok &= compare("drafter trainer", drafter_cpu, drafter_dev, exact, args.steps)

    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)
    print(f"check_device: {'PASS' if ok else 'FAIL'} ({time.time() - began:.0f} s)", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
