// The forward pass's remaining CUDA ops (ABI 3) against the CPU: kernels::fakeQuantE2m1, the
// engine's pushCompressorToken token by token, and plain loops written as
// engine/model/attention.cpp's selectIndexed and attendOne do the work; the grouped linear
// against the plain one per group. Seeded random inputs.
#include "engine/model/compressor.h"
#include "kernels/cpu/dequant.h"
#include "kernels/cpu/matmul.h"
#include "kernels/cpu/vector_ops.h"

#include "tests/engine/backend/cuda_test_support.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <numeric>

namespace flint::engine::testing_cuda {
namespace {

using CudaForwardOps = CudaOpsTest;

TEST_F(CudaForwardOps, EmbedWidensBf16RowsIntoEveryStream) {
  std::mt19937 rng(31);
  const std::size_t vocab = 50;
  const std::vector<std::int32_t> ids = {3, 49, 0, 3, 17, 17, 8};
  for (std::size_t hidden : {1000u, 33u})
    for (std::size_t streams : {4u, 1u}) {
      std::vector<std::uint16_t> table(vocab * hidden);
      std::uniform_int_distribution<unsigned> bits(0, 0xffff);
      for (std::uint16_t& b : table) b = std::uint16_t(bits(rng));
      std::vector<float> want(ids.size() * streams * hidden);
      for (std::size_t t = 0; t < ids.size(); ++t)
        for (std::size_t s = 0; s < streams; ++s)
          for (std::size_t d = 0; d < hidden; ++d)
            want[(t * streams + s) * hidden + d] =
                std::bit_cast<float>(std::uint32_t(table[std::size_t(ids[t]) * hidden + d]) << 16);
      const DeviceBuffer dt = upload(table), di = upload(ids);
      const DeviceBuffer out = ops()->allocate(want.size() * sizeof(float));
      ops()->embed(dt.as<std::uint16_t>(), di.as<std::int32_t>(), ids.size(), hidden, streams,
                   out.as<float>());
      expectBitwise(
          download<float>(out, want.size()), want,
          "embed hidden=" + std::to_string(hidden) + " streams=" + std::to_string(streams));
    }
}

TEST_F(CudaForwardOps, FakeQuantE2m1IsBitExact) {
  std::mt19937 rng(32);
  std::uniform_real_distribution<float> mantissa(-1.0f, 1.0f);
  // The indexer's 128-value heads in blocks of 32, an odd row with a partial last block.
  for (auto [n, block] : {std::pair<std::size_t, std::size_t>{128, 32}, {1000, 32}, {7, 4}}) {
    const std::size_t rows = 7;
    std::vector<float> x = fakeQuantInput(rows, n, block, rng);
    for (std::size_t i = block; i < 2 * block; ++i) x[i] = std::ldexp(mantissa(rng), -140);
    // A block of the e2m1 grid's halfway points at scale 1 (its amax is 6): ties to even.
    const float ties[] = {6.0f, 0.25f, 0.75f, 1.25f, -1.75f, 2.5f, -3.5f, 5.0f};
    if (3 * block <= n)
      for (std::size_t i = 2 * block; i < 3 * block; ++i) x[i] = ties[i % std::size(ties)];
    std::vector<float> want = x;
    for (std::size_t r = 0; r < rows; ++r) kernels::fakeQuantE2m1(want.data() + r * n, n, block);
    const DeviceBuffer dx = upload(x);
    ops()->fakeQuantE2m1(dx.as<float>(), rows, n, block);
    expectBitwise(download<float>(dx, x.size()), want, "fakeQuantE2m1 n=" + std::to_string(n));
  }
}

TEST_F(CudaForwardOps, ScaleAndAddAreExact) {
  std::mt19937 rng(33);
  for (std::size_t n : {1u, 1000u, 4u * 7168u}) {
    const auto x = uniform(n, -3.0f, 3.0f, rng), y = uniform(n, -3.0f, 3.0f, rng);
    std::vector<float> scaled = x, sum = y;
    for (float& v : scaled) v *= 0.37f;
    for (std::size_t i = 0; i < n; ++i) sum[i] += x[i];
    const DeviceBuffer dx = upload(x), dy = upload(y);
    ops()->add(dy.as<float>(), dx.as<float>(), n);
    ops()->scale(dx.as<float>(), n, 0.37f);
    expectBitwise(download<float>(dx, n), scaled, "scale n=" + std::to_string(n));
    expectBitwise(download<float>(dy, n), sum, "add n=" + std::to_string(n));
  }
}

TEST_F(CudaForwardOps, Copy2dMovesOnlyTheRowsWidth) {
  std::mt19937 rng(34);
  const std::size_t rows = 7, srcPitch = 40, dstPitch = 32, width = 25;  // in floats
  const auto src = uniform(rows * srcPitch, -1.0f, 1.0f, rng);
  const auto before = uniform(rows * dstPitch, 10.0f, 11.0f, rng);
  std::vector<float> want = before;
  for (std::size_t r = 0; r < rows; ++r)
    std::copy_n(src.begin() + std::ptrdiff_t(r * srcPitch), width,
                want.begin() + std::ptrdiff_t(r * dstPitch));
  const DeviceBuffer ds = upload(src), dd = upload(before);
  ops()->copy2d(dd.data(), dstPitch * sizeof(float), ds.data(), srcPitch * sizeof(float),
                width * sizeof(float), rows);
  expectBitwise(download<float>(dd, want.size()), want, "copy2d");
  EXPECT_THROW(ops()->copy2d(dd.data(), 4, ds.data(), 4, 8, 2), CudaError);
}

TEST_F(CudaForwardOps, GatherAndScatterAddRowsAreExact) {
  std::mt19937 rng(35);
  const std::size_t table = 20, width = 96;
  const auto src = uniform(table * width, -2.0f, 2.0f, rng);
  const std::vector<std::int32_t> gather = {3, 17, 0, 3, 19};  // repeats are fine for a gather
  std::vector<float> gathered(gather.size() * width);
  for (std::size_t i = 0; i < gather.size(); ++i)
    std::copy_n(src.begin() + std::ptrdiff_t(std::size_t(gather[i]) * width), width,
                gathered.begin() + std::ptrdiff_t(i * width));
  const DeviceBuffer dsrc = upload(src), dg = upload(gather);
  const DeviceBuffer out = ops()->allocate(gathered.size() * sizeof(float));
  ops()->gatherRows(dsrc.as<float>(), dg.as<std::int32_t>(), gather.size(), width, out.as<float>());
  expectBitwise(download<float>(out, gathered.size()), gathered, "gatherRows");

  const std::vector<std::int32_t> scatter = {5, 0, 19, 7};  // distinct, as the op requires
  const auto rowsIn = uniform(scatter.size() * width, -2.0f, 2.0f, rng);
  std::vector<float> want = src;
  for (std::size_t i = 0; i < scatter.size(); ++i)
    for (std::size_t d = 0; d < width; ++d)
      want[std::size_t(scatter[i]) * width + d] += rowsIn[i * width + d];
  const DeviceBuffer ds = upload(scatter), dr = upload(rowsIn);
  ops()->scatterAddRows(dsrc.as<float>(), ds.as<std::int32_t>(), scatter.size(), width,
                        dr.as<float>());
  expectBitwise(download<float>(dsrc, want.size()), want, "scatterAddRows");
}

// Three experts' FP8 weights of one shape (partial 128-blocks both ways) over consecutive rows
// of x: 1 token, 20 (two of the decode linear's passes) and 0. Each group's rows equal the
// plain linear on that group bit for bit; the empty group's row of y keeps its contents.
TEST_F(CudaForwardOps, GroupedLinearEqualsLinearPerGroup) {
  std::mt19937 rng(39);
  const std::size_t rows = 300, cols = 400, xRows = 22;
  std::uniform_int_distribution<int> byte(0, 0xff), exponent(118, 130);
  std::vector<DeviceBuffer> data, scales;
  std::vector<DeviceWeight> weights;
  for (int e = 0; e < 3; ++e) {
    std::vector<std::uint8_t> bytes(rows * cols),
        grid(kernels::ceilDiv(rows, 128) * kernels::ceilDiv(cols, 128));
    for (auto& b : bytes) b = std::uint8_t(byte(rng));
    for (auto& b : bytes)
      if ((b & 0x7f) == 0x7f) b = std::uint8_t(b - 1);  // no NaN codes
    for (auto& g : grid) g = std::uint8_t(exponent(rng));
    data.push_back(upload(bytes));
    scales.push_back(upload(grid));
    weights.push_back({kernels::WeightFormat::Fp8Block128, data.back().data(),
                       scales.back().as<std::uint8_t>(), rows, cols});
  }
  const std::size_t firstRows[] = {0, 1, 21}, tokens[] = {1, 20, 0};
  const DeviceBuffer x = upload(uniform(xRows * cols, -1.0f, 1.0f, rng));
  const std::vector<float> untouched(xRows * rows, 7.0f);
  const DeviceBuffer want = upload(untouched), got = upload(untouched);
  std::vector<FlintCudaLinearGroup> groups;
  for (std::size_t g = 0; g < weights.size(); ++g) {
    ops()->linear(weights[g], x.as<float>() + firstRows[g] * cols, tokens[g],
                  want.as<float>() + firstRows[g] * rows);
    groups.push_back({CudaOps::rawWeight(weights[g]), firstRows[g], tokens[g]});
  }
  const DeviceBuffer dGroups = upload(groups);
  ops()->groupedLinear(dGroups.as<FlintCudaLinearGroup>(), groups.size(), rows, cols, x.as<float>(),
                       got.as<float>());
  const std::vector<float> wanted = download<float>(want, untouched.size());
  expectBitwise(download<float>(got, untouched.size()), wanted, "groupedLinear");
  EXPECT_EQ(wanted.back(), 7.0f) << "the empty group wrote its row";
  EXPECT_THROW(ops()->groupedLinear(dGroups.as<FlintCudaLinearGroup>(), groups.size(), 0, cols,
                                    x.as<float>(), got.as<float>()),
               CudaError);
}

// Rows of very different magnitudes, so another order of the adds would round differently.
TEST_F(CudaForwardOps, AddRowsByTokenAddsInOrder) {
  std::mt19937 rng(40);
  const std::size_t tokens = 5, width = 1000, srcRows = 12;
  auto src = uniform(srcRows * width, -1.0f, 1.0f, rng);
  for (std::size_t i = 0; i < width; ++i) src[3 * width + i] *= 1e7f;
  const std::vector<std::int32_t> offsets = {0, 3, 3, 7, 8, 10};
  const std::vector<std::int32_t> rows = {3, 0, 5, 11, 3, 1, 3, 4, 7, 3};
  const auto dst = uniform(tokens * width, -1.0f, 1.0f, rng);
  std::vector<float> want = dst;
  for (std::size_t t = 0; t < tokens; ++t)
    for (std::int32_t j = offsets[t]; j < offsets[t + 1]; ++j)
      for (std::size_t c = 0; c < width; ++c)
        want[t * width + c] += src[std::size_t(rows[std::size_t(j)]) * width + c];
  const DeviceBuffer dDst = upload(dst), dOffsets = upload(offsets), dRows = upload(rows),
                     dSrc = upload(src);
  ops()->addRowsByToken(dDst.as<float>(), dOffsets.as<std::int32_t>(), dRows.as<std::int32_t>(),
                        tokens, width, dSrc.as<float>());
  expectBitwise(download<float>(dDst, want.size()), want, "addRowsByToken");
}

// The device compressor over runs of positions against pushCompressorToken one token at a
// time. The device stops before the norm and rotation, so the test applies the engine's own
// (rmsNorm, then RoPE at the window's first position) to the device's entries.
void checkCompressor(CudaOps& ops, std::size_t ratio, std::size_t width,
                     const std::vector<std::size_t>& runs, std::mt19937& rng) {
  const std::string what = "ratio=" + std::to_string(ratio) + " width=" + std::to_string(width);
  const float eps = 1e-6f;
  const RopeTable rope(10000.0, std::nullopt, 8);
  CompressorCache cache;
  initCompressorCache(cache, ratio, width);
  const std::size_t c = cache.channels;
  CompressorWeights w;
  w.ape = uniform(ratio * c, -1.0f, 1.0f, rng);
  w.norm = uniform(width, 0.5f, 1.5f, rng);
  const std::size_t positions = std::accumulate(runs.begin(), runs.end(), std::size_t(0));
  const std::size_t entryCount = positions / ratio;
  const DeviceBuffer ape = ops.upload(std::span<const float>(w.ape));
  const DeviceBuffer ringKv = ops.upload(std::span<const float>(cache.kv));
  const DeviceBuffer ringGate = ops.upload(std::span<const float>(cache.gate));
  const DeviceBuffer entries =
      ops.allocate(std::max<std::size_t>(entryCount, 1) * width * sizeof(float));

  std::int64_t start = 0;
  for (std::size_t tokens : runs) {
    const auto kv = uniform(tokens * c, -2.0f, 2.0f, rng);
    const auto gate = uniform(tokens * c, -3.0f, 3.0f, rng);
    for (std::size_t t = 0; t < tokens; ++t)
      pushCompressorToken(cache, w, rope, start + std::int64_t(t), kv.data() + t * c,
                          gate.data() + t * c, eps, false);
    const DeviceBuffer dkv = ops.upload(std::span<const float>(kv));
    const DeviceBuffer dgate = ops.upload(std::span<const float>(gate));
    ops.compress({dkv.as<float>(), dgate.as<float>(), ape.as<float>(), ringKv.as<float>(),
                  ringGate.as<float>(), entries.as<float>(), start, tokens, ratio, width, c});
    start += std::int64_t(tokens);
    const std::string at = what + " after position " + std::to_string(start);
    // The rings are copies and one float add each: bit for bit.
    expectBitwise(ops.download<float>(ringKv.data(), cache.kv.size()), cache.kv, "ring kv " + at);
    expectBitwise(ops.download<float>(ringGate.data(), cache.gate.size()), cache.gate,
                  "ring gate " + at);
  }
  ASSERT_EQ(cache.entryCount(), entryCount) << what;
  std::vector<float> got = ops.download<float>(entries.data(), entryCount * width);
  const std::size_t pairs = rope.pairs();
  std::vector<float> cosines(pairs), sines(pairs);
  for (std::size_t e = 0; e < entryCount; ++e) {
    float* entry = got.data() + e * width;
    kernels::rmsNorm(entry, w.norm.data(), width, eps, entry);
    rope.angles(std::int64_t(e * ratio), cosines.data(), sines.data());
    kernels::rotatePairs(entry + width - 2 * pairs, cosines.data(), sines.data(), pairs, false);
  }
  // The same double sums in the same order; only exp's last double bit may differ, which the
  // float quotient almost never shows. The norm can carry an ulp to every value: 1e-6.
  for (std::size_t i = 0; i < got.size(); ++i)
    ASSERT_NEAR(got[i], cache.entries[i], 1e-6f * (1.0f + std::fabs(cache.entries[i])))
        << what << ": entry " << i / width << " channel " << i % width;
}

TEST_F(CudaForwardOps, CompressMatchesPushCompressorToken) {
  std::mt19937 rng(36);
  // Runs shorter than a window, across window ends, longer than both rings, one at a time.
  const std::vector<std::size_t> runs = {1, 3, 5, 1, 1, 17, 2, 40, 1, 1, 1, 1, 9};
  checkCompressor(*ops(), 4, 16, runs, rng);   // CSA: overlapping windows, channels 2 * width
  checkCompressor(*ops(), 16, 24, runs, rng);  // HCA-like: no overlap
  checkCompressor(*ops(), 4, 16, {128}, rng);  // one prefill
}

TEST_F(CudaForwardOps, CompressRejectsAMismatchedWidth) {
  const DeviceBuffer any = ops()->allocate(1024);
  float* p = any.as<float>();
  EXPECT_THROW(ops()->compress({p, p, p, p, p, p, 0, 4, 4, 16, 24}), CudaError);
}

TEST_F(CudaForwardOps, IndexerScoresMatchCpu) {
  std::mt19937 rng(37);
  const std::size_t heads = 8, dim = 128, ratio = 4, tokens = 6;
  const std::int64_t start = 10;
  const std::size_t entries = (std::size_t(start) + tokens) / ratio + 2;  // two never usable
  const auto q = uniform(tokens * heads * dim, -1.0f, 1.0f, rng);
  const auto weights = uniform(tokens * heads, -0.5f, 0.5f, rng);
  const auto keys = uniform(entries * dim, -1.0f, 1.0f, rng);
  const DeviceBuffer dq = upload(q), dw = upload(weights), dk = upload(keys);
  const DeviceBuffer scores = ops()->allocate(tokens * entries * sizeof(float));
  ops()->indexerScores({dq.as<float>(), dw.as<float>(), dk.as<float>(), start, tokens, heads, dim,
                        ratio, entries, scores.as<float>()});
  const auto got = download<float>(scores, tokens * entries);
  for (std::size_t t = 0; t < tokens; ++t) {
    const std::size_t usable = (std::size_t(start) + t + 1) / ratio;
    const float* iw = weights.data() + t * heads;
    for (std::size_t e = 0; e < entries; ++e) {
      const float g = got[t * entries + e];
      if (e >= usable) {
        EXPECT_EQ(g, -std::numeric_limits<float>::infinity()) << "token " << t << " entry " << e;
        continue;
      }
      // selectIndexed's loop; the dot products differ only by summation order, so the bound
      // is some 16 float ulps of the sum of the terms' magnitudes.
      float want = 0, magnitude = 0;
      for (std::size_t h = 0; h < heads; ++h) {
        const float* qh = q.data() + (t * heads + h) * dim;
        const float* key = keys.data() + e * dim;
        want += iw[h] * std::max(0.0f, kernels::dotProduct(qh, key, dim));
        for (std::size_t d = 0; d < dim; ++d) magnitude += std::fabs(iw[h] * qh[d] * key[d]);
      }
      EXPECT_NEAR(g, want, 2e-6f * magnitude) << "token " << t << " entry " << e;
    }
  }
}

// attendOne's key list for the token at `pos`, as rows of the entry array the op addresses.
std::vector<std::int32_t> cpuKeyRows(const FlintCudaAttentionIndices& a, std::int64_t pos,
                                     const std::vector<std::int32_t>& picked, std::size_t t) {
  std::vector<std::int32_t> rows;
  const std::int64_t first = std::max<std::int64_t>(0, pos - std::int64_t(a.window) + 1);
  for (std::int64_t p = first; p <= pos; ++p)
    rows.push_back(p >= a.start ? std::int32_t(a.batchRow + std::size_t(p - a.start))
                                : std::int32_t(std::size_t(p) % a.window));
  if (a.ratio == 0) return rows;
  const std::size_t usable = std::size_t(pos + 1) / a.ratio;
  if (a.picked) {
    for (std::size_t j = 0; j < std::min<std::size_t>(a.topk, usable); ++j)
      rows.push_back(std::int32_t(a.compressedRow) + picked[t * a.pickedStride + j]);
  } else {
    for (std::size_t e = 0; e < usable; ++e) rows.push_back(std::int32_t(a.compressedRow + e));
  }
  return rows;
}

TEST_F(CudaForwardOps, AttentionIndicesFollowTheCpuOrder) {
  std::mt19937 rng(38);
  const std::size_t window = 8, tokens = 12, topk = 3, stride = 5, maxKeys = 64;
  const std::int64_t start = 5;  // the first tokens' windows reach back into the ring
  // Each token's picks: distinct entries below its usable count, in a shuffled order.
  std::vector<std::int32_t> picked(tokens * stride, -1);
  for (std::size_t t = 0; t < tokens; ++t) {
    const std::size_t usable = (std::size_t(start) + t + 1) / 4;
    std::vector<std::int32_t> all(usable);
    std::iota(all.begin(), all.end(), 0);
    std::shuffle(all.begin(), all.end(), rng);
    std::copy_n(all.begin(), std::min(topk, usable), picked.begin() + std::ptrdiff_t(t * stride));
  }
  const DeviceBuffer dp = upload(picked);
  const DeviceBuffer indices = ops()->allocate(tokens * maxKeys * sizeof(std::int32_t));
  const DeviceBuffer counts = ops()->allocate(tokens * sizeof(std::int32_t));
  for (std::size_t ratio : {4u, 0u})
    for (bool withPicks : {true, false}) {
      const FlintCudaAttentionIndices a{start,
                                        tokens,
                                        window,
                                        100,
                                        1000,
                                        ratio,
                                        withPicks ? dp.as<std::int32_t>() : nullptr,
                                        stride,
                                        topk,
                                        maxKeys,
                                        indices.as<std::int32_t>(),
                                        counts.as<std::int32_t>()};
      ops()->attentionIndices(a);
      const auto gotRows = download<std::int32_t>(indices, tokens * maxKeys);
      const auto gotCounts = download<std::int32_t>(counts, tokens);
      for (std::size_t t = 0; t < tokens; ++t) {
        const auto want = cpuKeyRows(a, start + std::int64_t(t), picked, t);
        ASSERT_EQ(gotCounts[t], std::int32_t(want.size())) << "token " << t << " ratio " << ratio;
        const std::vector<std::int32_t> got(
            gotRows.begin() + std::ptrdiff_t(t * maxKeys),
            gotRows.begin() + std::ptrdiff_t(t * maxKeys) + std::ptrdiff_t(want.size()));
        EXPECT_EQ(got, want) << "token " << t << " ratio " << ratio << " picks " << withPicks;
      }
    }
  // A row too short for the last token's keys is refused with a sentence, not overrun.
  FlintCudaAttentionIndices tooShort{start,
                                     tokens,
                                     window,
                                     100,
                                     1000,
                                     4,
                                     nullptr,
                                     0,
                                     0,
                                     8,
                                     indices.as<std::int32_t>(),
                                     counts.as<std::int32_t>()};
  EXPECT_THROW(ops()->attentionIndices(tooShort), CudaError);
}

}  // namespace
}  // namespace flint::engine::testing_cuda
