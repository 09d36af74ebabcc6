#!/usr/bin/env bash
# Rebuilds flint-tiny from scratch into resources/models/flint-tiny, as committed: corpus,
# tokenizer, base model (60 + 24 minutes), DSpark drafter (11 minutes), then the golden fixtures
# that pin it. About 1 h 40 min on 2 CPU cores. Needs /usr/bin/python3 with python3-torch and a
# built flint-cli (build/release) for the tokenizer and prompt cross-checks. The trainers run on
# CUDA when torch sees a device (their --device auto), else on the CPU.
set -euo pipefail
cd "$(dirname "$0")/../.."
py=/usr/bin/python3
$py tools/flint_tiny/train.py --minutes 60
$py tools/flint_tiny/train.py --resume --minutes 24
$py tools/flint_tiny/train_drafter.py --minutes 11
$py tools/reference/make_fixtures.py
$py tools/reference/make_drafter_fixtures.py
$py tools/flint_tiny/evaluate.py --per-cell 12
