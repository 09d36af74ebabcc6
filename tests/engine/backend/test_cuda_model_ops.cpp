// The CUDA mHC and sparse-attention ops against the engine's CPU code
// (engine/model/hyper_connections.cpp, the core of Attention::attendOne), seeded random inputs.
#include "engine/model/hyper_connections.h"
#include "kernels/cpu/matmul.h"

#include "tests/engine/backend/cuda_test_support.h"

#include <algorithm>
#include <cmath>

namespace flint::engine::testing_cuda {
namespace {

using CudaModelOps = CudaOpsTest;

constexpr std::size_t kStreams = 4;  // hc_mult

struct HcInputs {
  std::size_t hidden, tokens, mixWidth;
  std::vector<float> x, fn, scale, base;
};

HcInputs hcInputs(std::size_t hidden, std::size_t tokens, std::size_t mixWidth, std::mt19937& rng) {
  const std::size_t flat = kStreams * hidden;
  HcInputs in{hidden, tokens, mixWidth, uniform(tokens * flat, -2.0f, 2.0f, rng), {}, {}, {}};
  // fn scaled so the mixes are of order 1, where sigmoid and softmax are not flat.
  in.fn = uniform(mixWidth * flat, -1.0f, 1.0f, rng);
  const float norm = 2.0f / std::sqrt(float(flat));
  for (float& v : in.fn) v *= norm;
  in.scale = uniform(3, 0.5f, 1.5f, rng);
  in.base = uniform(mixWidth, -1.0f, 1.0f, rng);
  return in;
}

// The device's pre [tokens, streams] (and post, comb at a block site) for `in`, via the GPU
// linear for fn . X and the hcPre op.
struct HcOnDevice {
  std::vector<float> pre, post, comb, y;
};

HcOnDevice hcOnDevice(CudaOps& ops, const HcInputs& in, int iters) {
  const std::size_t flat = kStreams * in.hidden, T = in.tokens;
  const bool head = in.mixWidth == kStreams;
  const DeviceBuffer x = ops.upload(std::span<const float>(in.x));
  const DeviceBuffer fn = ops.upload(std::span<const float>(in.fn));
  const DeviceBuffer scale = ops.upload(std::span<const float>(in.scale));
  const DeviceBuffer base = ops.upload(std::span<const float>(in.base));
  const DeviceBuffer mix = ops.allocate(T * in.mixWidth * sizeof(float));
  const DeviceBuffer pre = ops.allocate(T * kStreams * sizeof(float));
  const DeviceBuffer post = ops.allocate(T * kStreams * sizeof(float));
  const DeviceBuffer comb = ops.allocate(T * kStreams * kStreams * sizeof(float));
  const DeviceBuffer y = ops.allocate(T * in.hidden * sizeof(float));
  ops.linear({kernels::WeightFormat::F32, fn.data(), nullptr, in.mixWidth, flat, 0}, x.as<float>(),
             T, mix.as<float>());
  const FlintCudaHyperShape shape{kStreams, in.hidden, in.mixWidth, iters, 1e-6f, 1e-6f};
  ops.hcPre(shape, x.as<float>(), mix.as<float>(), scale.as<float>(), base.as<float>(), T,
            pre.as<float>(), head ? nullptr : post.as<float>(), head ? nullptr : comb.as<float>());
  ops.hcWeightedSum(x.as<float>(), pre.as<float>(), T, kStreams, in.hidden, y.as<float>());
  HcOnDevice out;
  out.pre = ops.download<float>(pre.data(), T * kStreams);
  out.y = ops.download<float>(y.data(), T * in.hidden);
  if (!head) {
    out.post = ops.download<float>(post.data(), T * kStreams);
    out.comb = ops.download<float>(comb.data(), T * kStreams * kStreams);
  }
  return out;
}

// |got - want| <= tol everywhere.
void expectWithin(const std::vector<float>& got, const std::vector<float>& want, float tol,
                  const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (std::size_t i = 0; i < got.size(); ++i)
    ASSERT_LE(std::fabs(got[i] - want[i]), tol)
        << what << ": element " << i << " is " << got[i] << ", the CPU gives " << want[i];
}

// y = sum_i pre_i X_i within 1e-5 of sum_i |X_i| (pre <= 1 + eps): the pre coefficients differ
// by the mixes' fp32 summation order, a few 1e-7.
void expectStreamSum(const std::vector<float>& got, const std::vector<float>& want,
                     const HcInputs& in, const std::string& what) {
  for (std::size_t t = 0; t < in.tokens; ++t)
    for (std::size_t d = 0; d < in.hidden; ++d) {
      float magnitude = 0;
      for (std::size_t i = 0; i < kStreams; ++i)
        magnitude += std::fabs(in.x[(t * kStreams + i) * in.hidden + d]);
      ASSERT_LE(std::fabs(got[t * in.hidden + d] - want[t * in.hidden + d]), 1e-5f * magnitude)
          << what << ": token " << t << " element " << d;
    }
}

TEST_F(CudaModelOps, HcPreMatchesCpu) {
  std::mt19937 rng(21);
  const std::size_t mixWidth = (2 + kStreams) * kStreams;
  for (std::size_t hidden : {7168u, 1000u})
    for (std::size_t tokens : {1u, 7u}) {
      const HcInputs in = hcInputs(hidden, tokens, mixWidth, rng);
      const HyperShape s{kStreams, hidden, 20, 1e-6f, 1e-6f};
      const HyperConnectionWeights w{in.fn.data(), mixWidth, in.scale, in.base};
      std::vector<float> y(tokens * hidden), post(tokens * kStreams),
          comb(tokens * kStreams * kStreams), scratch;
      hcPre(s, w, in.x.data(), tokens, y.data(), post.data(), comb.data(), nullptr, scratch);
      const HcOnDevice gpu = hcOnDevice(*ops(), in, 20);
      const std::string what =
          "hidden=" + std::to_string(hidden) + " tokens=" + std::to_string(tokens);
      // The mixes differ by summation order (~1e-7); sigmoid and the 20 Sinkhorn steps, which
      // only normalise, keep that below 1e-5 for values in (0, 2).
      expectWithin(gpu.post, post, 1e-5f, "post " + what);
      expectWithin(gpu.comb, comb, 1e-5f, "comb " + what);
      expectStreamSum(gpu.y, y, in, "y " + what);
      for (std::size_t t = 0; t < tokens; ++t)  // a doubly stochastic comb, up to eps
        for (std::size_t j = 0; j < kStreams; ++j) {
          float column = 0;
          for (std::size_t i = 0; i < kStreams; ++i)
            column += gpu.comb[(t * kStreams + i) * kStreams + j];
          EXPECT_NEAR(column, 1.0f, 1e-4f) << what;
        }
    }
}

TEST_F(CudaModelOps, HcHeadMatchesCpu) {
  std::mt19937 rng(22);
  for (std::size_t tokens : {1u, 7u}) {
    const std::size_t hidden = 1000;
    const HcInputs in = hcInputs(hidden, tokens, kStreams, rng);
    const HyperShape s{kStreams, hidden, 20, 1e-6f, 1e-6f};
    const HyperConnectionWeights w{in.fn.data(), kStreams, {in.scale[0]}, in.base};
    std::vector<float> y(tokens * hidden), scratch;
    hcHead(s, w, in.x.data(), tokens, y.data(), nullptr, scratch);
    expectStreamSum(hcOnDevice(*ops(), in, 20).y, y, in, "head tokens=" + std::to_string(tokens));
  }
}

TEST_F(CudaModelOps, HcPostMatchesCpu) {
  std::mt19937 rng(23);
  const std::size_t tokens = 7, hidden = 1000;
  const auto f = uniform(tokens * hidden, -2.0f, 2.0f, rng);
  const auto res = uniform(tokens * kStreams * hidden, -2.0f, 2.0f, rng);
  const auto post = uniform(tokens * kStreams, 0.0f, 2.0f, rng);
  const auto comb = uniform(tokens * kStreams * kStreams, 0.0f, 1.0f, rng);
  std::vector<float> want(res.size());
  hcPost({kStreams, hidden, 20, 1e-6f, 1e-6f}, f.data(), res.data(), post.data(), comb.data(),
         tokens, want.data());
  const DeviceBuffer df = upload(f), dr = upload(res), dp = upload(post), dc = upload(comb);
  const DeviceBuffer out = ops()->allocate(res.size() * sizeof(float));
  ops()->hcPost(df.as<float>(), dr.as<float>(), dp.as<float>(), dc.as<float>(), tokens, kStreams,
                hidden, out.as<float>());
  // The CPU's products and sums in its order without fused multiply-adds: equal up to the
  // last bit of the largest term (2^-22 allows for a CPU build that contracts).
  const auto got = download<float>(out, res.size());
  for (std::size_t e = 0; e < got.size(); ++e) {
    const std::size_t k = e % hidden, j = (e / hidden) % kStreams, t = e / (hidden * kStreams);
    float magnitude = std::fabs(post[t * kStreams + j] * f[t * hidden + k]);
    for (std::size_t i = 0; i < kStreams; ++i)
      magnitude +=
          std::fabs(comb[(t * kStreams + i) * kStreams + j] * res[(t * kStreams + i) * hidden + k]);
    ASSERT_LE(std::fabs(got[e] - want[e]), 0x1p-22f * magnitude) << "element " << e;
  }
}

TEST_F(CudaModelOps, SparseAttentionMatchesCpu) {
  std::mt19937 rng(24);
  // V4's head_dim 512 and an odd 72; a query that sees one entry, one that sees 700, one that
  // sees a full window of 128 plus the indexer's 2048.
  for (std::size_t D : {512u, 72u}) {
    const std::size_t tokens = 3, heads = 16, entryCount = 3000, maxKeys = 2176;
    const std::vector<std::int32_t> counts{1, 700, 2176};
    const auto q = uniform(tokens * heads * D, -3.0f, 3.0f, rng);
    const auto entries = uniform(entryCount * D, -1.0f, 1.0f, rng);
    const auto sink = uniform(heads, -1.0f, 1.0f, rng);
    std::vector<std::int32_t> indices(tokens * maxKeys, 0);
    for (auto& i : indices) i = std::int32_t(rng() % entryCount);
    const float scale = 1.0f / std::sqrt(float(D));

    // Attention::attendOne's loop, per token and head.
    std::vector<float> want(tokens * heads * D, 0.0f), bound(want.size(), 0.0f);
    std::vector<float> scores(maxKeys);
    for (std::size_t t = 0; t < tokens; ++t)
      for (std::size_t h = 0; h < heads; ++h) {
        const float* qh = q.data() + (t * heads + h) * D;
        const std::size_t n = std::size_t(counts[t]);
        auto key = [&](std::size_t j) {
          return entries.data() + std::size_t(indices[t * maxKeys + j]) * D;
        };
        float maxScore = sink[h];
        for (std::size_t j = 0; j < n; ++j) {
          scores[j] = kernels::dotProduct(qh, key(j), D) * scale;
          maxScore = std::max(maxScore, scores[j]);
        }
        float denom = std::exp(sink[h] - maxScore);
        for (std::size_t j = 0; j < n; ++j) denom += (scores[j] = std::exp(scores[j] - maxScore));
        float* oh = want.data() + (t * heads + h) * D;
        float* bh = bound.data() + (t * heads + h) * D;
        for (std::size_t j = 0; j < n; ++j) {
          const float p = scores[j] / denom;
          for (std::size_t i = 0; i < D; ++i) {
            oh[i] += p * key(j)[i];
            bh[i] += p * std::fabs(key(j)[i]);
          }
        }
      }

    const DeviceBuffer dq = upload(q), de = upload(entries), ds = upload(sink),
                       di = upload(indices), dn = upload(counts);
    const DeviceBuffer out = ops()->allocate(want.size() * sizeof(float));
    FlintCudaSparseAttention a{};
    a.q = dq.as<float>();
    a.entries = de.as<float>();
    a.indices = di.as<int>();
    a.counts = dn.as<int>();
    a.sink = ds.as<float>();
    a.tokens = tokens;
    a.heads = heads;
    a.headDim = D;
    a.maxKeys = maxKeys;
    a.scale = scale;
    a.out = out.as<float>();
    ops()->sparseAttention(a);
    // Scores in another summation order, expf within 2 ulp, the denominator summed in another
    // order: within 1e-5 of sum_j p_j |K_j[i]| (plus 1e-9 where that is 0).
    const auto got = download<float>(out, want.size());
    for (std::size_t e = 0; e < got.size(); ++e)
      ASSERT_LE(std::fabs(got[e] - want[e]), 1e-5f * bound[e] + 1e-9f)
          << "D=" << D << " token " << e / (heads * D) << " element " << e % D;
  }
}

}  // namespace
}  // namespace flint::engine::testing_cuda
