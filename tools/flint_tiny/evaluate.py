#!/usr/bin/env python3
"""Accuracy of a flint-tiny checkpoint on held-out generated questions, through the engine
(`flint-cli chat`, greedy), per task family and thinking mode, and document Q&A against the
passage length. Prints a Markdown table (docs/MODEL.md keeps the latest) and writes JSON.

  /usr/bin/python3 tools/flint_tiny/evaluate.py [--model resources/models/flint-tiny]
                                                 [--per-cell 20] [--json FILE]

A reply counts as correct when its answer part (after </think>) contains the reference answer
sentence exactly, e.g. "47 + 38 = 85."; the training data always states answers that way.
"""

import argparse
import json
import pathlib
import random
import subprocess
import sys
import zlib

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools/flint_tiny"))
import tasks  # noqa: E402

FAMILIES = ["addition", "subtraction", "multiplication", "comparison", "sorting", "counting",
            "units"]
DOCUMENT_FACTS = [2, 4, 8, 12]


def held_out_examples(make, count, seed):
    rng = random.Random(seed)
    out, seen = [], set()
    for _ in range(200000):
        example = make(rng)
        example.setdefault("family", "document")
        if tasks.held_out(example) and example["q"] not in seen:
            seen.add(example["q"])
            out.append(example)
            if len(out) == count:
                break
    return out


def ask(cli, model, question, mode):
    result = subprocess.run(
        [str(cli), "chat", "--model", str(model), "--mode", mode, "--prompt", question,
         "--temperature", "0", "--max-tokens", "400", "--no-save", "--threads", "1"],
        capture_output=True, text=True)
    text = result.stdout
    answer = text.split("Answer: ", 1)[1] if "Answer: " in text else ""
    return answer.split("\n\n[prompt", 1)[0].strip()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=pathlib.Path, default=ROOT / "resources/models/flint-tiny")
    parser.add_argument("--cli", type=pathlib.Path, default=ROOT / "build/release/bin/flint-cli")
    parser.add_argument("--per-cell", type=int, default=20)
    parser.add_argument("--json", type=pathlib.Path)
    args = parser.parse_args()

    results = {}
    rows = [(f, tasks.FAMILIES[f][0]) for f in FAMILIES]
    rows += [(f"document, {n} facts", lambda rng, n=n: tasks.document(rng, n))
             for n in DOCUMENT_FACTS]
    for name, make in rows:
        examples = held_out_examples(make, args.per_cell, seed=zlib.crc32(name.encode()))
        results[name] = {}
        for mode in tasks.MODES:
            correct = sum(e["a"] in ask(args.cli, args.model, e["q"], mode) for e in examples)
            results[name][mode] = (correct, len(examples))
        print(f"{name}: " + ", ".join(f"{m} {c}/{n}" for m, (c, n) in results[name].items()),
              file=sys.stderr, flush=True)

    print("| task | Non-think | Think High | Think Max |")
    print("| --- | --- | --- | --- |")
    for name, by_mode in results.items():
        cells = [f"{100 * c / n:.0f} % ({c}/{n})" for c, n in by_mode.values()]
        print(f"| {name} | " + " | ".join(cells) + " |")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
