// The CUDA vector ops against kernels/cpu/vector_ops.h (and moe.cpp's SwiGLU and routing), on
// seeded random inputs at model-like and odd shapes. Each bound is stated where it is used:
// ops whose CPU arithmetic is exact or elementwise in the same order must match bit for bit;
// reductions may differ by their order of summation.
#include "kernels/cpu/vector_ops.h"

#include "tests/engine/backend/cuda_test_support.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

namespace flint::engine::testing_cuda {
namespace {

using CudaVectorOps = CudaOpsTest;

// |got - want| <= rel * |want| + abs, elementwise, reporting the first few misses.
void expectNear(const std::vector<float>& got, const std::vector<float>& want, float rel, float abs,
                const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  int misses = 0;
  for (std::size_t i = 0; i < got.size() && misses < 5; ++i)
    if (!(std::fabs(got[i] - want[i]) <= rel * std::fabs(want[i]) + abs)) {
      ADD_FAILURE() << what << ": element " << i << " is " << got[i] << ", the CPU gives "
                    << want[i];
      ++misses;
    }
}

TEST_F(CudaVectorOps, RmsNormMatchesCpu) {
  std::mt19937 rng(1);
  // hidden 7168, hc_pre's flattened 4 x 7168, a head of 128, odd lengths.
  for (std::size_t n : {7168u, 28672u, 128u, 1000u, 33u, 1u})
    for (std::size_t rows : {1u, 7u})
      for (bool weighted : {true, false}) {
        const auto x = uniform(rows * n, -3.0f, 3.0f, rng);
        const auto w = uniform(n, 0.5f, 1.5f, rng);
        std::vector<float> want(rows * n);
        for (std::size_t r = 0; r < rows; ++r)
          kernels::rmsNorm(x.data() + r * n, weighted ? w.data() : nullptr, n, 1e-6f,
                           want.data() + r * n);
        const DeviceBuffer dx = upload(x), dw = upload(w);
        const DeviceBuffer out = ops()->allocate(x.size() * sizeof(float));
        ops()->rmsNorm(dx.as<float>(), weighted ? dw.as<float>() : nullptr, rows, n, 1e-6f,
                       out.as<float>());
        // Both sum squares in double, so the scale agrees to an ulp or two of float: 1e-6.
        expectNear(download<float>(out, x.size()), want, 1e-6f, 0.0f,
                   "rmsNorm n=" + std::to_string(n) + " rows=" + std::to_string(rows));
        ops()->rmsNorm(dx.as<float>(), nullptr, rows, n, 1e-6f, dx.as<float>());  // in place
        if (!weighted)
          expectNear(download<float>(dx, x.size()), want, 1e-6f, 0.0f, "rmsNorm in place");
      }
}

TEST_F(CudaVectorOps, RotatePairsMatchesCpu) {
  std::mt19937 rng(2);
  // 7 tokens x 3 heads of 96 values whose last 64 are rotated (32 pairs); one table row per
  // token. Then the same rows, one position each.
  const std::size_t tokens = 7, heads = 3, headDim = 96, nope = 32, pairs = 32;
  for (std::size_t rowsPerPosition : {heads, std::size_t(1)})
    for (bool conjugate : {false, true}) {
      const std::size_t rows = tokens * heads, positions = rows / rowsPerPosition;
      const auto x = uniform(rows * headDim, -2.0f, 2.0f, rng);
      const auto angles = uniform(positions * pairs, -3.14f, 3.14f, rng);
      std::vector<float> cos(angles.size()), sin(angles.size());
      for (std::size_t i = 0; i < angles.size(); ++i) {
        cos[i] = std::cos(angles[i]);
        sin[i] = std::sin(angles[i]);
      }
      std::vector<float> want = x;
      for (std::size_t r = 0; r < rows; ++r) {
        const std::size_t p = r / rowsPerPosition;
        kernels::rotatePairs(want.data() + r * headDim + nope, cos.data() + p * pairs,
                             sin.data() + p * pairs, pairs, conjugate);
      }
      const DeviceBuffer dx = upload(x), dc = upload(cos), ds = upload(sin);
      ops()->rotatePairs(dx.as<float>() + nope, rows, headDim, dc.as<float>(), ds.as<float>(),
                         rowsPerPosition, pairs, conjugate);
      // Two products and a sum in the CPU's order, no fused multiply-add: within an ulp of the
      // larger product (2^-23 of |x| in cos/sin terms; 2^-22 allows for a contracting CPU),
      // and the unrotated part untouched.
      const auto got = download<float>(dx, x.size());
      for (std::size_t i = 0; i < got.size(); ++i) {
        const std::size_t row = i / headDim, col = i % headDim;
        if (col < nope) {
          ASSERT_EQ(got[i], x[i]) << "element " << i << " is outside the rotated part";
          continue;
        }
        const std::size_t pairStart = row * headDim + nope + ((col - nope) & ~std::size_t(1));
        const float bound = 0x1p-22f * (std::fabs(x[pairStart]) + std::fabs(x[pairStart + 1]));
        ASSERT_LE(std::fabs(got[i] - want[i]), bound) << "element " << i;
      }
    }
}

TEST_F(CudaVectorOps, SoftmaxRowsMatchesCpu) {
  std::mt19937 rng(3);
  for (std::size_t n : {1u, 7u, 129u, 4096u, 100000u}) {
    const std::size_t rows = 7;
    const auto x = uniform(rows * n, -20.0f, 20.0f, rng);
    std::vector<float> want = x;
    for (std::size_t r = 0; r < rows; ++r) kernels::softmax(want.data() + r * n, n);
    const DeviceBuffer dx = upload(x);
    ops()->softmaxRows(dx.as<float>(), rows, n);
    // expf is within 2 ulp of the CPU's exp, and the sums differ in order: the CPU's
    // sequential float sum drifts like sqrt(n) ulps (the GPU's tree far less), so
    // 4 sqrt(n) 2^-24 relative, at least 1e-5; and 1e-12 for values too small to matter.
    const float rel = std::max(1e-5f, 4.0f * std::sqrt(float(n)) * 0x1p-24f);
    expectNear(download<float>(dx, x.size()), want, rel, 1e-12f, "softmax n=" + std::to_string(n));
  }
}

TEST_F(CudaVectorOps, RoundToBf16IsBitExact) {
  std::mt19937 rng(4);
  std::vector<float> x(100003);
  for (float& v : x) v = std::bit_cast<float>(std::uint32_t(rng()));  // every kind of float
  // Ties in both directions, the largest finite values, infinities, signed zeros.
  const float specials[] = {std::bit_cast<float>(0x3F808000u),
                            std::bit_cast<float>(0x3F818000u),
                            std::numeric_limits<float>::max(),
                            -std::numeric_limits<float>::max(),
                            std::numeric_limits<float>::infinity(),
                            -0.0f,
                            0.0f,
                            std::numeric_limits<float>::denorm_min()};
  std::copy(std::begin(specials), std::end(specials), x.begin());
  std::vector<float> want = x;
  kernels::roundToBf16(want.data(), want.size());
  const DeviceBuffer dx = upload(x);
  ops()->roundToBf16(dx.as<float>(), x.size());
  expectBitwise(download<float>(dx, x.size()), want, "roundToBf16");
}

TEST_F(CudaVectorOps, FakeQuantE4m3IsBitExact) {
  std::mt19937 rng(5);
  // Linear inputs (1x128 blocks over 7168 and an odd 1000), the KV cache's 64-value blocks.
  for (auto [n, block] : {std::pair<std::size_t, std::size_t>{7168, 128}, {1000, 128}, {448, 64}}) {
    const std::size_t rows = 7;
    const std::vector<float> x = fakeQuantInput(rows, n, block, rng);
    std::vector<float> want = x;
    for (std::size_t r = 0; r < rows; ++r) kernels::fakeQuantE4m3(want.data() + r * n, n, block);
    const DeviceBuffer dx = upload(x);
    ops()->fakeQuantE4m3(dx.as<float>(), rows, n, block);
    // Integer rounding and power-of-two scales: no room for any difference.
    expectBitwise(download<float>(dx, x.size()), want, "fakeQuantE4m3 n=" + std::to_string(n));
  }
}

TEST_F(CudaVectorOps, HadamardIsBitExact) {
  std::mt19937 rng(6);
  for (std::size_t n : {1u, 2u, 64u, 128u, 8192u}) {
    const std::size_t rows = 7;
    const auto x = uniform(rows * n, -4.0f, 4.0f, rng);
    std::vector<float> want = x;
    for (std::size_t r = 0; r < rows; ++r) kernels::hadamardNormalized(want.data() + r * n, n);
    const DeviceBuffer dx = upload(x);
    ops()->hadamard(dx.as<float>(), rows, n);
    // The same butterflies: every element sees the same additions in the same order.
    expectBitwise(download<float>(dx, x.size()), want, "hadamard n=" + std::to_string(n));
  }
}

TEST_F(CudaVectorOps, TopKMatchesCpuIncludingTies) {
  std::mt19937 rng(7);
  struct Case {
    std::size_t n, k;
    bool ties;
  };
  // The indexer's 2048 of a long context, small k, k > n, and rows full of equal values
  // (with -0 and +0, which compare equal) where the lower index must win.
  for (const Case c : {Case{100000, 2048, false}, Case{5000, 7, false}, Case{3000, 2048, true},
                       Case{10, 20, false}, Case{1, 1, false}, Case{129280, 1, true}}) {
    const std::size_t rows = 3;
    std::vector<float> x = uniform(rows * c.n, -100.0f, 100.0f, rng);
    if (c.ties) {
      for (float& v : x) v = std::round(v / 25.0f);  // nine distinct values
      for (std::size_t i = 0; i < x.size(); i += 3) x[i] = (i % 2) ? -0.0f : 0.0f;
    }
    const std::size_t k = std::min(c.k, c.n);
    std::vector<std::int32_t> want(rows * k);
    for (std::size_t r = 0; r < rows; ++r)
      kernels::topK(x.data() + r * c.n, c.n, k, want.data() + r * k);
    const DeviceBuffer dx = upload(x);
    const DeviceBuffer out = ops()->allocate(rows * k * sizeof(std::int32_t));
    ops()->topK(dx.as<float>(), rows, c.n, c.k, out.as<std::int32_t>());
    // A selection and an order, no arithmetic: exactly the CPU's indices.
    EXPECT_EQ(download<std::int32_t>(out, rows * k), want)
        << "n=" << c.n << " k=" << c.k << (c.ties ? " with ties" : "");
  }
}

TEST_F(CudaVectorOps, ArgmaxMatchesCpuIncludingTies) {
  std::mt19937 rng(8);
  for (std::size_t n : {1u, 1000u, 129280u}) {
    const std::size_t rows = 5;
    std::vector<float> x = uniform(rows * n, -30.0f, 30.0f, rng);
    if (n > 10) {  // row 1: the maximum twice; the lower index wins
      x[n + 700] = 1000.0f;
      x[n + 3] = 1000.0f;
    }
    std::fill_n(x.begin() + std::ptrdiff_t(2 * n), n, -5.0f);  // row 2: all equal
    std::vector<std::int32_t> want(rows);
    for (std::size_t r = 0; r < rows; ++r)
      want[r] = std::int32_t(std::max_element(x.begin() + std::ptrdiff_t(r * n),
                                              x.begin() + std::ptrdiff_t((r + 1) * n)) -
                             (x.begin() + std::ptrdiff_t(r * n)));
    const DeviceBuffer dx = upload(x);
    const DeviceBuffer out = ops()->allocate(rows * sizeof(std::int32_t));
    ops()->argmax(dx.as<float>(), rows, n, out.as<std::int32_t>());
    EXPECT_EQ(download<std::int32_t>(out, rows), want) << "n=" << n;  // exact: a comparison
  }
}

TEST_F(CudaVectorOps, ClampedSwigluMatchesMoe) {
  std::mt19937 rng(9);
  const float limit = 10.0f;
  for (std::size_t n : {2048u, 300u})
    for (bool weighted : {true, false}) {
      const std::size_t tokens = 7;
      const auto g = uniform(tokens * n, -15.0f, 15.0f, rng);  // past the clamp both ways
      const auto u = uniform(tokens * n, -15.0f, 15.0f, rng);
      const auto w = uniform(tokens, 0.0f, 1.0f, rng);
      std::vector<float> want(g.size());
      for (std::size_t i = 0; i < g.size(); ++i) {  // engine/model/moe.cpp's runExpert
        const float up = std::clamp(u[i], -limit, limit);
        want[i] = kernels::silu(std::min(g[i], limit)) * up;
        if (weighted) want[i] *= w[i / n];
      }
      const DeviceBuffer dg = upload(g), du = upload(u), dw = upload(w);
      ops()->swiglu(dg.as<float>(), du.as<float>(), weighted ? dw.as<float>() : nullptr, tokens, n,
                    limit);
      // expf within 2 ulp of the CPU's exp, then a division and two products: 1e-6 relative.
      expectNear(download<float>(dg, g.size()), want, 1e-6f, 1e-30f,
                 "swiglu n=" + std::to_string(n));
    }
}

// engine/model/moe.cpp's routing for one token, as the reference.
void routeOnCpu(const float* logits, const std::vector<float>& bias, const std::int32_t* hashed,
                std::size_t E, std::size_t k, bool normalize, float scale, std::int32_t* chosen,
                float* weights) {
  std::vector<float> score(E), pick(E);
  for (std::size_t e = 0; e < E; ++e) {
    score[e] = std::sqrt(kernels::softplus(logits[e]));
    pick[e] = score[e] + bias[e];
  }
  if (hashed)
    std::copy_n(hashed, k, chosen);
  else
    kernels::topK(pick.data(), E, k, chosen);
  float total = 0;
  for (std::size_t j = 0; j < k; ++j) total += score[std::size_t(chosen[j])];
  for (std::size_t j = 0; j < k; ++j) {
    const float s = score[std::size_t(chosen[j])];
    weights[j] = (normalize ? s / total : s) * scale;
  }
}

TEST_F(CudaVectorOps, RoutingMatchesMoe) {
  std::mt19937 rng(10);
  struct Case {
    std::size_t experts, k;
    bool normalize, hashed;
  };
  for (const Case c : {Case{256, 8, true, false}, Case{384, 6, true, false},
                       Case{300, 7, false, false}, Case{256, 8, true, true}}) {
    const std::size_t tokens = 7, vocab = 50;
    const auto logits = uniform(tokens * c.experts, -8.0f, 30.0f, rng);  // softplus's both arms
    const auto bias = uniform(c.experts, -0.5f, 0.5f, rng);
    std::vector<std::int32_t> ids(tokens), tid2eid(vocab * c.k);
    for (auto& id : ids) id = std::int32_t(rng() % vocab);
    for (auto& e : tid2eid) e = std::int32_t(rng() % c.experts);
    const float scale = 2.5f;
    std::vector<std::int32_t> wantChosen(tokens * c.k);
    std::vector<float> wantWeights(tokens * c.k);
    for (std::size_t t = 0; t < tokens; ++t)
      routeOnCpu(logits.data() + t * c.experts, bias,
                 c.hashed ? tid2eid.data() + std::size_t(ids[t]) * c.k : nullptr, c.experts, c.k,
                 c.normalize, scale, wantChosen.data() + t * c.k, wantWeights.data() + t * c.k);

    const DeviceBuffer dl = upload(logits), db = upload(bias), di = upload(ids),
                       dt = upload(tid2eid);
    const DeviceBuffer chosen = ops()->allocate(tokens * c.k * sizeof(std::int32_t));
    const DeviceBuffer weights = ops()->allocate(tokens * c.k * sizeof(float));
    DeviceRouting r;
    r.logits = dl.as<float>();
    r.bias = db.as<float>();
    r.tid2eid = c.hashed ? dt.as<std::int32_t>() : nullptr;
    r.ids = di.as<std::int32_t>();
    r.tokens = tokens;
    r.experts = c.experts;
    r.k = c.k;
    r.normalize = c.normalize;
    r.routedScale = scale;
    r.chosen = chosen.as<std::int32_t>();
    r.weights = weights.as<float>();
    ops()->route(r);
    const std::string what = "experts=" + std::to_string(c.experts) + (c.hashed ? " hashed" : "");
    // The choice is exact (scores within a few ulp never swap random experts whose gaps are
    // about 1/E); the weights differ by expf/log1pf's ulps: 1e-5 relative.
    EXPECT_EQ(download<std::int32_t>(chosen, wantChosen.size()), wantChosen) << what;
    expectNear(download<float>(weights, wantWeights.size()), wantWeights, 1e-5f, 0.0f, what);
  }
}

}  // namespace
}  // namespace flint::engine::testing_cuda
