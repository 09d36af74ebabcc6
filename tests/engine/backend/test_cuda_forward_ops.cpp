// The forward pass's remaining CUDA ops (ABI 3) against the CPU: kernels::fakeQuantE2m1, the
// engine's pushCompressorToken token by token, and plain loops written as
// engine/model/attention.cpp's selectIndexed and attendOne do the work; the grouped linear
// against the plain one per group; what a captured decode step uses (the start read from device
// memory, staged entries, the window ring's update, graphs) against the plain ops. Seeded
// random inputs.
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
  const std::vector<float> want = addRowsByTokenOnCpu(dst, offsets, rows, width, src);
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
                  ringGate.as<float>(), entries.as<float>(), start, tokens, ratio, width, c,
                  nullptr, nullptr});
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
  EXPECT_THROW(ops()->compress({p, p, p, p, p, p, 0, 4, 4, 16, 24, nullptr, nullptr}), CudaError);
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
                        ratio, entries, scores.as<float>(), nullptr});
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

// The key lists the attention index tests ask for, from a start on the host: an 8-position
// window, the batch's keys from entry row 100 and the compressed entries from row 1000, the
// first kIndicesTopk of each token's kIndicesStride picks (every usable entry without `picked`),
// rows of kIndicesMaxKeys keys.
constexpr std::size_t kIndicesWindow = 8, kIndicesTopk = 3, kIndicesStride = 5,
                      kIndicesMaxKeys = 64;
FlintCudaAttentionIndices indicesRequest(std::int64_t start, std::size_t tokens, std::size_t ratio,
                                         const std::int32_t* picked, const DeviceBuffer& indices,
                                         const DeviceBuffer& counts) {
  return {start,
          tokens,
          kIndicesWindow,
          100,
          1000,
          ratio,
          picked,
          kIndicesStride,
          kIndicesTopk,
          kIndicesMaxKeys,
          indices.as<std::int32_t>(),
          counts.as<std::int32_t>(),
          nullptr};
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
  const std::size_t tokens = 12;
  const std::int64_t start = 5;  // the first tokens' windows reach back into the ring
  // Each token's picks: distinct entries below its usable count, in a shuffled order.
  std::vector<std::int32_t> picked(tokens * kIndicesStride, -1);
  for (std::size_t t = 0; t < tokens; ++t) {
    const std::size_t usable = (std::size_t(start) + t + 1) / 4;
    std::vector<std::int32_t> all(usable);
    std::iota(all.begin(), all.end(), 0);
    std::shuffle(all.begin(), all.end(), rng);
    std::copy_n(all.begin(), std::min(kIndicesTopk, usable),
                picked.begin() + std::ptrdiff_t(t * kIndicesStride));
  }
  const DeviceBuffer dp = upload(picked);
  const DeviceBuffer indices = ops()->allocate(tokens * kIndicesMaxKeys * sizeof(std::int32_t));
  const DeviceBuffer counts = ops()->allocate(tokens * sizeof(std::int32_t));
  for (std::size_t ratio : {4u, 0u})
    for (bool withPicks : {true, false}) {
      const FlintCudaAttentionIndices a = indicesRequest(
          start, tokens, ratio, withPicks ? dp.as<std::int32_t>() : nullptr, indices, counts);
      ops()->attentionIndices(a);
      const auto gotRows = download<std::int32_t>(indices, tokens * kIndicesMaxKeys);
      const auto gotCounts = download<std::int32_t>(counts, tokens);
      for (std::size_t t = 0; t < tokens; ++t) {
        const auto want = cpuKeyRows(a, start + std::int64_t(t), picked, t);
        ASSERT_EQ(gotCounts[t], std::int32_t(want.size())) << "token " << t << " ratio " << ratio;
        const std::vector<std::int32_t> got(
            gotRows.begin() + std::ptrdiff_t(t * kIndicesMaxKeys),
            gotRows.begin() + std::ptrdiff_t(t * kIndicesMaxKeys) + std::ptrdiff_t(want.size()));
        EXPECT_EQ(got, want) << "token " << t << " ratio " << ratio << " picks " << withPicks;
      }
    }
  // A row too short for the last token's keys is refused with a sentence, not overrun.
  FlintCudaAttentionIndices tooShort{start,
                                     tokens,
                                     kIndicesWindow,
                                     100,
                                     1000,
                                     4,
                                     nullptr,
                                     0,
                                     0,
                                     8,
                                     indices.as<std::int32_t>(),
                                     counts.as<std::int32_t>(),
                                     nullptr};
  EXPECT_THROW(ops()->attentionIndices(tooShort), CudaError);
}

// ---- a captured decode step: the start from device memory, staged entries, graphs -------

// A position in device memory, as a captured step keeps it.
DeviceBuffer devicePosition(CudaOps& ops, std::int64_t position) {
  DeviceBuffer d = ops.allocate(sizeof(position));
  ops.copyToDevice(d.data(), &position, sizeof(position));
  return d;
}

// The same runs through the plain compressor and through the captured step's (start read from
// the device, `start` itself a wrong -1, entries staged, then committed). The same arithmetic,
// so bit for bit; until the commit, the entry rows keep what they held.
TEST_F(CudaForwardOps, CompressStagedFromDeviceStartThenCommittedEqualsCompress) {
  std::mt19937 rng(41);
  struct Shape {
    std::size_t ratio, width, channels;
  };
  const std::vector<std::size_t> runs = {1, 1, 1, 1, 3, 5, 1, 17, 1, 40, 2, 1, 1};
  const std::size_t positions = std::accumulate(runs.begin(), runs.end(), std::size_t(0));
  for (const Shape shape : {Shape{4, 16, 32}, Shape{16, 24, 24}}) {
    const std::size_t ratio = shape.ratio, width = shape.width, c = shape.channels;
    const std::string what = "ratio=" + std::to_string(ratio);
    const DeviceBuffer ape = upload(uniform(ratio * c, -1.0f, 1.0f, rng));
    const auto kvRing = uniform(2 * ratio * c, -2.0f, 2.0f, rng);
    const auto gateRing = uniform(2 * ratio * c, -3.0f, 3.0f, rng);
    const DeviceBuffer kvA = upload(kvRing), gateA = upload(gateRing), kvB = upload(kvRing),
                       gateB = upload(gateRing);
    std::vector<float> committed(positions / ratio * width, 99.0f);
    const DeviceBuffer entriesA = upload(committed), entriesB = upload(committed);
    const DeviceBuffer staging = ops()->allocate((40 / ratio + 1) * width * sizeof(float));
    std::int64_t start = 0;
    for (std::size_t tokens : runs) {
      const DeviceBuffer kv = upload(uniform(tokens * c, -2.0f, 2.0f, rng));
      const DeviceBuffer gate = upload(uniform(tokens * c, -3.0f, 3.0f, rng));
      const DeviceBuffer at = devicePosition(*ops(), start);
      ops()->compress({kv.as<float>(), gate.as<float>(), ape.as<float>(), kvA.as<float>(),
                       gateA.as<float>(), entriesA.as<float>(), start, tokens, ratio, width, c,
                       nullptr, nullptr});
      ops()->compress({kv.as<float>(), gate.as<float>(), ape.as<float>(), kvB.as<float>(),
                       gateB.as<float>(), entriesB.as<float>(), -1, tokens, ratio, width, c,
                       at.as<long long>(), staging.as<float>()});
      const std::string when = what + " run at " + std::to_string(start);
      expectBitwise(download<float>(entriesB, committed.size()), committed,
                    "entries before the commit " + when);
      ops()->commitEntries(staging.as<float>(), entriesB.as<float>(), width, ratio, -1,
                           at.as<long long>(), tokens);
      committed = download<float>(entriesA, committed.size());
      expectBitwise(download<float>(entriesB, committed.size()), committed, "entries " + when);
      expectBitwise(download<float>(kvB, kvRing.size()), download<float>(kvA, kvRing.size()),
                    "ring kv " + when);
      expectBitwise(download<float>(gateB, gateRing.size()),
                    download<float>(gateA, gateRing.size()), "ring gate " + when);
      start += std::int64_t(tokens);
    }
  }
}

// Rows of a capacity-long score row, few of them usable at first: the scores from a start in
// device memory (`start` itself a wrong -1) equal the plain op's, -infinity past the usable.
TEST_F(CudaForwardOps, IndexerScoresFromDeviceStartEqualPlain) {
  std::mt19937 rng(42);
  const std::size_t heads = 8, dim = 128, ratio = 4, capacity = 40;
  const DeviceBuffer keys = upload(uniform(capacity * dim, -1.0f, 1.0f, rng));
  const DeviceBuffer plain = ops()->allocate(6 * capacity * sizeof(float));
  const DeviceBuffer fromDevice = ops()->allocate(6 * capacity * sizeof(float));
  // Decode steps before the first entry, early, late, with the row full; a run of 6.
  for (auto [start, tokens] :
       {std::pair<std::int64_t, std::size_t>{0, 1}, {3, 1}, {57, 1}, {159, 1}, {10, 6}}) {
    const DeviceBuffer q = upload(uniform(tokens * heads * dim, -1.0f, 1.0f, rng));
    const DeviceBuffer w = upload(uniform(tokens * heads, -0.5f, 0.5f, rng));
    const DeviceBuffer at = devicePosition(*ops(), start);
    FlintCudaIndexerScores s{
        q.as<float>(), w.as<float>(), keys.as<float>(),  start,  tokens, heads, dim,
        ratio,         capacity,      plain.as<float>(), nullptr};
    ops()->indexerScores(s);
    s.start = -1;
    s.scores = fromDevice.as<float>();
    s.startOnDevice = at.as<long long>();
    ops()->indexerScores(s);
    const auto want = download<float>(plain, tokens * capacity);
    expectBitwise(download<float>(fromDevice, tokens * capacity), want,
                  "indexer scores at " + std::to_string(start));
    const std::size_t usable = (std::size_t(start) + 1) / ratio;
    if (usable < capacity) {
      EXPECT_EQ(want[usable], -std::numeric_limits<float>::infinity()) << "start " << start;
    }
  }
}

TEST_F(CudaForwardOps, AttentionIndicesFromDeviceStartEqualPlain) {
  std::mt19937 rng(43);
  const std::size_t maxTokens = 5;
  std::uniform_int_distribution<std::int32_t> entry(0, 99);
  std::vector<std::int32_t> picked(maxTokens * kIndicesStride);
  for (std::int32_t& p : picked) p = entry(rng);
  const DeviceBuffer dp = upload(picked);
  const DeviceBuffer plainRows =
      ops()->allocate(maxTokens * kIndicesMaxKeys * sizeof(std::int32_t));
  const DeviceBuffer deviceRows =
      ops()->allocate(maxTokens * kIndicesMaxKeys * sizeof(std::int32_t));
  const DeviceBuffer plainCounts = ops()->allocate(maxTokens * sizeof(std::int32_t));
  const DeviceBuffer deviceCounts = ops()->allocate(maxTokens * sizeof(std::int32_t));
  for (auto [start, tokens] :
       {std::pair<std::int64_t, std::size_t>{0, 1}, {3, 1}, {9, 1}, {40, 1}, {5, maxTokens}})
    for (std::size_t ratio : {4u, 0u})
      for (bool withPicks : {true, false}) {
        const DeviceBuffer at = devicePosition(*ops(), start);
        FlintCudaAttentionIndices a =
            indicesRequest(start, tokens, ratio, withPicks ? dp.as<std::int32_t>() : nullptr,
                           plainRows, plainCounts);
        ops()->attentionIndices(a);
        a.start = -1;
        a.indices = deviceRows.as<std::int32_t>();
        a.counts = deviceCounts.as<std::int32_t>();
        a.startOnDevice = at.as<long long>();
        ops()->attentionIndices(a);
        const std::string what = "start " + std::to_string(start) + " ratio " +
                                 std::to_string(ratio) + " picks " + std::to_string(withPicks);
        const auto counts = download<std::int32_t>(plainCounts, tokens);
        ASSERT_EQ(download<std::int32_t>(deviceCounts, tokens), counts) << what;
        const auto want = download<std::int32_t>(plainRows, tokens * kIndicesMaxKeys);
        const auto got = download<std::int32_t>(deviceRows, tokens * kIndicesMaxKeys);
        for (std::size_t t = 0; t < tokens; ++t)
          EXPECT_TRUE(std::equal(want.begin() + std::ptrdiff_t(t * kIndicesMaxKeys),
                                 want.begin() + std::ptrdiff_t(t * kIndicesMaxKeys) + counts[t],
                                 got.begin() + std::ptrdiff_t(t * kIndicesMaxKeys)))
              << what << " token " << t;
      }
}

// The host cannot check a row against a start it does not know: the device cuts the list at
// maxKeys instead of writing past the row.
TEST_F(CudaForwardOps, AttentionIndicesFromDeviceStartStayInTheirRow) {
  const std::size_t maxKeys = 8;
  const DeviceBuffer rows = upload(std::vector<std::int32_t>(2 * maxKeys, -7));
  const DeviceBuffer count = ops()->allocate(sizeof(std::int32_t));
  const DeviceBuffer at = devicePosition(*ops(), 100);  // 8 window keys and 25 entries
  ops()->attentionIndices({-1, 1, 8, 100, 1000, 4, nullptr, 0, 0, maxKeys, rows.as<std::int32_t>(),
                           count.as<std::int32_t>(), at.as<long long>()});
  EXPECT_EQ(download<std::int32_t>(count, 1)[0], std::int32_t(maxKeys));
  const auto got = download<std::int32_t>(rows, 2 * maxKeys);
  EXPECT_TRUE(
      std::all_of(got.begin() + maxKeys, got.end(), [](std::int32_t v) { return v == -7; }));
}

// What the forward pass did with copy2d runs: of `tokens` rows, the last min(tokens, ringRows)
// to ring row position mod ringRows.
std::vector<float> cpuRingUpdate(std::vector<float> ring, std::size_t ringRows, std::size_t width,
                                 const std::vector<float>& rows, std::size_t tokens,
                                 std::int64_t start) {
  for (std::size_t i = tokens - std::min(tokens, ringRows); i < tokens; ++i)
    std::copy_n(rows.begin() + std::ptrdiff_t(i * width), width,
                ring.begin() + std::ptrdiff_t((std::size_t(start) + i) % ringRows * width));
  return ring;
}

TEST_F(CudaForwardOps, RingUpdateEqualsCpuLoop) {
  std::mt19937 rng(44);
  const std::size_t ringRows = 8, width = 5;
  // One row, at the ring's last row, wrapping, exactly a ring, more than a ring.
  for (auto [start, tokens] :
       {std::pair<std::int64_t, std::size_t>{0, 1}, {7, 1}, {13, 3}, {5, ringRows}, {2, 19}})
    for (bool onDevice : {false, true}) {
      const auto ring = uniform(ringRows * width, -1.0f, 1.0f, rng);
      const auto rows = uniform(tokens * width, 2.0f, 3.0f, rng);
      const DeviceBuffer dRing = upload(ring), dRows = upload(rows);
      const DeviceBuffer at = devicePosition(*ops(), start);
      ops()->ringUpdate(dRing.as<float>(), ringRows, width, dRows.as<float>(), tokens,
                        onDevice ? -1 : start, onDevice ? at.as<long long>() : nullptr);
      expectBitwise(download<float>(dRing, ring.size()),
                    cpuRingUpdate(ring, ringRows, width, rows, tokens, start),
                    "ringUpdate start " + std::to_string(start) + " tokens " +
                        std::to_string(tokens) + (onDevice ? " from the device" : ""));
    }
}

// Recording runs nothing; each replay computes from what device memory holds at its launch.
TEST_F(CudaForwardOps, GraphReplaysReadDeviceMemoryAtEachLaunch) {
  std::mt19937 rng(45);
  const std::size_t n = 1000;
  const CudaStream stream = ops()->createStream();
  const auto x0 = uniform(n, -1.0f, 1.0f, rng), y0 = uniform(n, -1.0f, 1.0f, rng);
  const DeviceBuffer x = upload(x0), y = upload(y0);
  ops()->beginCapture(stream);
  ops()->scale(x.as<float>(), n, 0.37f, &stream);
  ops()->add(y.as<float>(), x.as<float>(), n, &stream);
  const CudaGraph graph = ops()->endCapture(stream);
  ASSERT_TRUE(graph);
  expectBitwise(download<float>(x, n), x0, "x after recording");
  expectBitwise(download<float>(y, n), y0, "y after recording");
  for (int replay = 0; replay < 2; ++replay) {
    const auto xs = uniform(n, -3.0f, 3.0f, rng), ys = uniform(n, -3.0f, 3.0f, rng);
    ops()->copyToDevice(x.data(), xs.data(), n * sizeof(float));
    ops()->copyToDevice(y.data(), ys.data(), n * sizeof(float));
    std::vector<float> scaled = xs, sum = ys;
    for (std::size_t i = 0; i < n; ++i) {
      scaled[i] *= 0.37f;
      sum[i] += scaled[i];
    }
    ops()->launch(graph);  // the default stream: after the copies, before the downloads
    expectBitwise(download<float>(x, n), scaled, "x of replay " + std::to_string(replay));
    expectBitwise(download<float>(y, n), sum, "y of replay " + std::to_string(replay));
  }
}

// A recorded ring update follows the position the step stores on the device before each replay.
TEST_F(CudaForwardOps, RecordedRingUpdateFollowsTheDevicePosition) {
  std::mt19937 rng(46);
  const std::size_t ringRows = 8, width = 5;
  const CudaStream stream = ops()->createStream();
  auto ring = uniform(ringRows * width, -1.0f, 1.0f, rng);
  const DeviceBuffer dRing = upload(ring), row = ops()->allocate(width * sizeof(float));
  const DeviceBuffer position = devicePosition(*ops(), 0);
  ops()->beginCapture(stream);
  ops()->ringUpdate(dRing.as<float>(), ringRows, width, row.as<float>(), 1, 0,
                    position.as<long long>(), &stream);
  const CudaGraph graph = ops()->endCapture(stream);
  for (std::int64_t p : {std::int64_t(3), std::int64_t(12), std::int64_t(15)}) {
    const auto rowHost = uniform(width, 2.0f, 3.0f, rng);
    ops()->copyToDevice(row.data(), rowHost.data(), width * sizeof(float));
    ops()->copyToDevice(position.data(), &p, sizeof(p));
    ops()->launch(graph);  // the default stream: after the copies, before the downloads
    ring = cpuRingUpdate(ring, ringRows, width, rowHost, 1, p);
    expectBitwise(download<float>(dRing, ring.size()), ring, "ring at " + std::to_string(p));
  }
}

// Waiting for a stream that records is one of the calls CUDA refuses; the recording is spoiled,
// ending it says so, and the stream runs its ops again.
TEST_F(CudaForwardOps, GraphRecordingRefusesTheDefaultStreamAndWaiting) {
  EXPECT_THROW(ops()->beginCapture(CudaStream()), CudaError);
  const CudaStream stream = ops()->createStream();
  const DeviceBuffer x = upload(std::vector<float>(4, 1.0f));
  ops()->synchronize();  // the upload has landed before `stream`, which does not wait for it
  ops()->beginCapture(stream);
  ops()->scale(x.as<float>(), 4, 2.0f, &stream);
  EXPECT_THROW(ops()->synchronize(&stream), CudaError);
  EXPECT_THROW(ops()->endCapture(stream), CudaError);
  ops()->scale(x.as<float>(), 4, 3.0f, &stream);
  ops()->synchronize(&stream);
  EXPECT_EQ(download<float>(x, 4), std::vector<float>(4, 3.0f)) << "the recorded scale ran";
}

}  // namespace
}  // namespace flint::engine::testing_cuda
