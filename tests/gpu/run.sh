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

# Step: the CUDA op library against the CPU kernels (issue #13) — builds the module and its
# parity tests (in build/release, or where that is not configured here, a GUI-less release
# build in build/gpu), then runs every ctest labelled "gpu".
echo "== step: CUDA ops vs CPU kernels (ctest -L gpu --output-on-failure)"
BUILD_DIR=build/release
if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
    BUILD_DIR=build/gpu
    echo "build/release is not configured here; configuring a GUI-less release build in $BUILD_DIR"
    mkdir -p "$BUILD_DIR"
    cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DFLINT_BUILD_GUI=OFF \
        >"$BUILD_DIR/configure.log" 2>&1 || true
fi
if [ ! -f "$BUILD_DIR/CMakeCache.txt" ] || ! grep -q '^FLINT_CUDA:BOOL=ON' "$BUILD_DIR/CMakeCache.txt"; then
    echo "SKIPPED: $BUILD_DIR could not be configured with CUDA (FLINT_CUDA is not ON; see $BUILD_DIR/configure.log)"
else
    cmake --build "$BUILD_DIR" --target flint_cuda test_cuda_ops test_compute_backend -j"$(nproc)"
    ctest --test-dir "$BUILD_DIR" -L gpu --output-on-failure
fi

echo "== tests/gpu/run.sh: done"
