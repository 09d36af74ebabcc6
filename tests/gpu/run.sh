#!/usr/bin/env bash
# The checks that need a GPU, as one prepared script for a session that is lent a GPU machine:
#   bash tests/gpu/run.sh            (from anywhere; it runs in the repository root)
# Each step says what it runs, and says clearly when it skips because something is missing.
# It is sized for one lease: under 8 minutes on one H200 with 16 cores, the build included.
# PYTHON picks the interpreter (default python3).
set -uo pipefail
cd "$(dirname "$0")/../.."
PYTHON="${PYTHON:-$(command -v /usr/bin/python3 || command -v python3)}"
FAILED=0
step() { echo; echo "== step: $*"; }

echo "== tests/gpu/run.sh in $(pwd), $(date -u +%FT%TZ)"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true

# Build: the CUDA module, the GPU tests and flint-cli, in build/release, or where that is not
# configured here, a GUI-less release build in build/gpu.
step "build (flint_cuda, test_cuda_ops, test_gpu_parity, flint-cli)"
BUILD_DIR=build/release
if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
    BUILD_DIR=build/gpu
    echo "build/release is not configured here; configuring a GUI-less release build in $BUILD_DIR"
    mkdir -p "$BUILD_DIR"
    cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DFLINT_BUILD_GUI=OFF \
        >"$BUILD_DIR/configure.log" 2>&1 || tail -20 "$BUILD_DIR/configure.log"
fi
if [ ! -f "$BUILD_DIR/CMakeCache.txt" ] || ! grep -q '^FLINT_CUDA:BOOL=ON' "$BUILD_DIR/CMakeCache.txt"; then
    echo "STOPPED: $BUILD_DIR could not be configured with CUDA (FLINT_CUDA is not ON; see $BUILD_DIR/configure.log)"
    exit 1
fi
cmake --build "$BUILD_DIR" --target flint_cuda test_cuda_ops test_compute_backend flint-cli \
    -j"$(nproc)" || { echo "STOPPED: the build failed"; exit 1; }
# test_gpu_parity needs the generated checkpoints (tools/checkpoint, numpy).
PARITY=1
cmake --build "$BUILD_DIR" --target test_gpu_parity -j"$(nproc)" ||
    { echo "SKIPPED later: test_gpu_parity did not build (are python3 and numpy here?)"; PARITY=0; }
CLI="$BUILD_DIR/bin/flint-cli"

# Parity, op by op (issue #13): every CUDA op against the CPU kernels, bit-exact where the op
# is exact, within stated bounds where it sums.
step "CUDA ops vs CPU kernels (test_cuda_ops, test_compute_backend)"
ctest --test-dir "$BUILD_DIR" -L gpu -E 'GpuParity|GpuLogits|test_gpu_parity' --output-on-failure || FAILED=1

# Parity, whole model: logits of the generated fixture checkpoints and flint-tiny within the
# stated bounds (prefill in passes and token-by-token decode), flint-tiny's greedy tokens
# identical, speculation lossless on the GPU. Prints each measured figure.
step "the CUDA backbone vs the CPU (test_gpu_parity)"
if [ "$PARITY" = 1 ]; then
    "$BUILD_DIR/bin/test_gpu_parity" 2>&1 | grep -v ' \[info\] ' || FAILED=1
fi

# Benchmark: prefill and decode on the CPU and on the GPU, next to the device's own copy
# bandwidth. flint-tiny always; the "bench" preset (V4-Flash widths, two layers) when numpy can
# write it.
step "benchmark (flint-cli bench --json, cpu and cuda)"
OUT="${OUT:-/tmp}/flint-gpu-bench"
mkdir -p "$OUT"
MODELS=(resources/models/flint-tiny)
if "$PYTHON" -c 'import numpy' 2>/dev/null &&
   "$PYTHON" tools/checkpoint/make_checkpoint.py --preset bench --out "$OUT/bench-model" >"$OUT/bench-model.log" 2>&1; then
    MODELS+=("$OUT/bench-model")
else
    echo "the bench preset could not be written (numpy?); flint-tiny only"
fi
for model in "${MODELS[@]}"; do
    name=$(basename "$model")
    for device in cpu cuda; do
        timeout 240 "$CLI" bench --model "$model" --device "$device" --prompt-tokens 512 \
            --gen-tokens 64 --json >"$OUT/$name-$device.json" 2>"$OUT/$name-$device.log" ||
            { echo "bench $name on $device failed:"; tail -5 "$OUT/$name-$device.log"; FAILED=1; }
    done
done
"$PYTHON" - "$OUT" <<'EOF' || cat "$OUT"/*.json
import json, pathlib, sys
rows = []
for path in sorted(pathlib.Path(sys.argv[1]).glob("*.json")):
    j = json.loads(path.read_text())
    bw = j.get("device_copy_bandwidth_bytes_per_second") or j["read_bandwidth_bytes_per_second"]
    achieved = j["decode_tokens_per_second"] * j["weight_bytes_per_token"]
    rows.append((pathlib.Path(j["model"]).name, j.get("compute", "?"),
                 j["prefill_tokens_per_second"], j["decode_tokens_per_second"],
                 j["weight_bytes_per_token"] / 1e6, achieved / 1e9, bw / 1e9, achieved / bw))
print("| model | compute | prefill tok/s | decode tok/s | MB/token | achieved GB/s | reference GB/s | fraction |")
print("| --- | --- | --- | --- | --- | --- | --- | --- |")
for r in rows:
    print("| %s | %s | %.0f | %.1f | %.1f | %.1f | %.0f | %.1f%% |" % (r[0], r[1], r[2], r[3], r[4], r[5], r[6], 100 * r[7]))
print("(reference: the device's copy bandwidth on the GPU, the host's read bandwidth on the CPU)")
EOF

# flint-tiny's trainers on CUDA (issue #6): a few optimizer steps of the base and drafter
# trainers on the CPU and on CUDA, losses and parameters compared.
step "flint-tiny trainers, cpu vs cuda (tools/flint_tiny/check_device.py --device cuda)"
if "$PYTHON" -c 'import torch; assert torch.cuda.is_available()' 2>/dev/null; then
    "$PYTHON" tools/flint_tiny/check_device.py --device cuda || FAILED=1
else
    echo "SKIPPED: $PYTHON has no torch that sees a CUDA device"
fi

echo
if [ "$FAILED" = 0 ]; then echo "== tests/gpu/run.sh: all steps passed"; else echo "== tests/gpu/run.sh: SOME STEPS FAILED"; fi
exit "$FAILED"
