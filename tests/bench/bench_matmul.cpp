// Decode-shaped matmuls (one token, and the 6 of a speculative verify pass) against the
// machine's read bandwidth. Weights are
// 64 MiB+ so they come from DRAM, not cache; compare the GB/s columns directly:
//   build/release/bin/bench_matmul --benchmark_min_time=1
#include "kernels/cpu/bandwidth.h"
#include "kernels/cpu/matmul.h"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

namespace flint::kernels {
namespace {

constexpr std::size_t kRows = 8192;

struct Fixture {
  std::vector<std::uint8_t> bytes, scales;
  std::vector<float> x, y;
  WeightView view;
};

Fixture make(WeightFormat format, std::size_t cols, std::size_t tokens) {
  Fixture f;
  std::mt19937 rng(1);
  const bool fp8 = format == WeightFormat::Fp8Block128;
  f.bytes.resize(fp8 ? kRows * cols : kRows * cols / 2);
  for (auto& b : f.bytes) b = std::uint8_t(rng() & 0x7e);
  f.scales.resize(fp8 ? (kRows / 128) * (cols / 128) : kRows * cols / 32, 127);
  f.x.resize(tokens * cols, 0.5f);
  f.y.resize(tokens * kRows);
  f.view = {format, f.bytes.data(), f.scales.data(), kRows, cols};
  return f;
}

// The best kernels, or the same without the AVX512-BF16 paths (the FMA kernels), for an A/B in
// one process.
void runMatmul(benchmark::State& state, WeightFormat format, std::size_t cols, bool bf16Paths) {
  const auto threads = std::size_t(state.range(0));
  const auto tokens = std::size_t(state.range(1));
  ThreadPool pool(threads);
  Fixture f = make(format, cols, tokens);
  RowDotKernels kernels = bestRowDotKernels();
  if (!bf16Paths) kernels.fp4Bf16 = kernels.fp8Bf16 = nullptr;
  for (auto _ : state) {
    matmul(f.view, f.x.data(), tokens, f.y.data(), &pool, kernels);
    benchmark::DoNotOptimize(f.y.data());
  }
  state.SetBytesProcessed(std::int64_t(state.iterations()) * std::int64_t(f.view.bytes()));
  state.SetLabel(std::string(kernels.isa) + (kernels.fp8Bf16 ? "+bf16" : ""));
}

void BM_MatmulFp8(benchmark::State& s) {
  runMatmul(s, WeightFormat::Fp8Block128, 8192, true);
}
void BM_MatmulFp8Fma(benchmark::State& s) {
  runMatmul(s, WeightFormat::Fp8Block128, 8192, false);
}
void BM_MatmulFp4(benchmark::State& s) {
  runMatmul(s, WeightFormat::Fp4Group32, 16384, true);
}
void BM_MatmulFp4Fma(benchmark::State& s) {
  runMatmul(s, WeightFormat::Fp4Group32, 16384, false);
}

// Read bandwidth, as flint-cli bench measures it (kernels/cpu/bandwidth.h): the ceiling for
// decode. Reported as the best of its passes over a 512 MiB buffer.
void BM_ReadBandwidth(benchmark::State& state) {
  ThreadPool pool(std::size_t(state.range(0)));
  double best = 0;
  for (auto _ : state) best = std::max(best, measureReadBandwidth(pool, std::size_t(512) << 20, 3));
  state.counters["GB/s"] = best / 1e9;
}

BENCHMARK(BM_ReadBandwidth)->Arg(1)->Arg(2)->Iterations(1);
// {threads, tokens}: decode, a speculative verify pass of 6 tokens, a prefill chunk.
#define FLINT_MATMUL_SHAPES \
  Args({1, 1})->Args({1, 6})->Args({2, 1})->Args({2, 6})->Args({2, 16})->UseRealTime()
BENCHMARK(BM_MatmulFp8)->FLINT_MATMUL_SHAPES;
BENCHMARK(BM_MatmulFp8Fma)->FLINT_MATMUL_SHAPES;
BENCHMARK(BM_MatmulFp4)->FLINT_MATMUL_SHAPES;
BENCHMARK(BM_MatmulFp4Fma)->FLINT_MATMUL_SHAPES;

}  // namespace
}  // namespace flint::kernels

BENCHMARK_MAIN();
