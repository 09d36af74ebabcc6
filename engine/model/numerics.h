#pragma once
// How exactly the forward pass rounds (deepseek-v4.md §4.9, §12).
namespace flint::engine {

enum class Numerics {
  // The official reference's rounding: activations rounded to FP8 (1x128 blocks, pow2 scales)
  // before FP8/FP4 linears, the kv "nope" dims fake-quantized to FP8, the indexer's q and
  // keys to FP4 after a Hadamard rotation. Default for real checkpoints.
  Official,
  // The same math in fp32 without activation rounding (weights still exact from FP8/FP4):
  // where implementations can be compared to ~1e-6.
  Fp32,
};

}  // namespace flint::engine
