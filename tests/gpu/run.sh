#!/usr/bin/env bash
# The checks that need a GPU, as one prepared script for a session that is lent a GPU machine:
#   bash tests/gpu/run.sh            (from anywhere; it runs in the repository root)
# Each step says what it runs, and says clearly when it skips because something is missing.
# PYTHON picks the interpreter (default python3; it needs a torch built with CUDA).
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON="${PYTHON:-python3}"

echo "== tests/gpu/run.sh in $(pwd)"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true

# Step: flint-tiny's trainers on CUDA (issue #6) — a few optimizer steps of the base and drafter
# trainers on the CPU and on CUDA, losses and parameters compared (tools/flint_tiny/check_device.py).
echo "== step: flint-tiny trainers, cpu vs cuda (tools/flint_tiny/check_device.py --device cuda)"
if "$PYTHON" -c 'import torch; assert torch.cuda.is_available()' 2>/dev/null; then
    "$PYTHON" -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "device", torch.cuda.get_device_name(0))'
    "$PYTHON" tools/flint_tiny/check_device.py --device cuda
else
    echo "SKIPPED: $PYTHON has no torch that sees a CUDA device (torch.cuda.is_available() is not True)"
fi

echo "== tests/gpu/run.sh: done"
