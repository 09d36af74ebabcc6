// Decode-shaped matmuls (one token) against the machine's read bandwidth. Weights are
// 64 MiB+ so they come from DRAM, not cache; compare the GB/s columns directly:
//   build/release/bin/bench_matmul --benchmark_min_time=1
#include "kernels/cpu/bandwidth.h"
#include "kernels/cpu/matmul.h"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <random>
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

void runMatmul(benchmark::State& state, WeightFormat format, std::size_t cols) {
  const auto threads = std::size_t(state.range(0));
  const auto tokens = std::size_t(state.range(1));
  ThreadPool pool(threads);
  Fixture f = make(format, cols, tokens);
  for (auto _ : state) {
    matmul(f.view, f.x.data(), tokens, f.y.data(), &pool);
    benchmark::DoNotOptimize(f.y.data());
  }
  state.SetBytesProcessed(std::int64_t(state.iterations()) * std::int64_t(f.view.bytes()));
  state.SetLabel(bestRowDotKernels().isa);
}

void BM_MatmulFp8(benchmark::State& s) {
  runMatmul(s, WeightFormat::Fp8Block128, 8192);
}
void BM_MatmulFp4(benchmark::State& s) {
  runMatmul(s, WeightFormat::Fp4Group32, 16384);
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
BENCHMARK(BM_MatmulFp8)->Args({1, 1})->Args({2, 1})->Args({2, 16})->UseRealTime();
BENCHMARK(BM_MatmulFp4)->Args({1, 1})->Args({2, 1})->Args({2, 16})->UseRealTime();

}  // namespace
}  // namespace flint::kernels

BENCHMARK_MAIN();
