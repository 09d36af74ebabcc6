// The host emulation of the CUDA module (host_ops_module): it opens as a real module does,
// accounts for device memory like a device, and its ops give the CPU forward pass's bits. The
// whole composition is checked end to end by the GPU forward pass's parity test.
#include "engine/backend/cuda_ops.h"
#include "engine/model/compressor.h"
#include "engine/model/hyper_connections.h"
#include "engine/model/rope.h"
#include "kernels/cpu/dequant.h"
#include "kernels/cpu/matmul.h"

#include "tests/engine/backend/cuda_test_support.h"

#include "tests/engine/scoped_env.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace flint::engine {
namespace {

std::vector<std::uint32_t> bitsOf(const std::vector<float>& v) {
  std::vector<std::uint32_t> out(v.size());
  std::memcpy(out.data(), v.data(), v.size() * sizeof(float));
  return out;
}

std::vector<float> normal(std::size_t n, float sigma, std::mt19937& rng) {
  std::normal_distribution<float> d(0.0f, sigma);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

// Runs `call`, which must throw a CudaError whose sentence contains `fragment`.
template <typename Call>
void expectRefusal(Call call, const std::string& fragment) {
  try {
    call();
    ADD_FAILURE() << "not refused; expected: " << fragment;
  } catch (const CudaError& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

// CudaOps on the module, and the module itself for its probe (CudaOps keeps the one at open).
class HostOps : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string why;
    module() = CudaModule::open(FLINT_TEST_HOST_OPS_MODULE, &why);
    ASSERT_TRUE(module()) << why;
    ops() = CudaOps::open(FLINT_TEST_HOST_OPS_MODULE);
  }
  static void TearDownTestSuite() {
    ops().reset();
    module().reset();
  }

  static std::unique_ptr<CudaModule>& module() {
    static std::unique_ptr<CudaModule> instance;
    return instance;
  }
  static std::unique_ptr<CudaOps>& ops() {
    static std::unique_ptr<CudaOps> instance;
    return instance;
  }
  template <typename T>
  static DeviceBuffer upload(const std::vector<T>& host) {
    return ops()->upload(std::span<const T>(host));
  }
  template <typename T>
  static std::vector<T> download(const DeviceBuffer& device) {
    return ops()->download<T>(device.data(), device.bytes() / sizeof(T));
  }
  static unsigned long long freeBytes() { return module()->probe().devices.at(0).freeBytes; }
};

TEST_F(HostOps, ProbesOneDeviceAndHasEveryEntryPoint) {
  const CudaProbeResult probe = module()->probe();
  ASSERT_TRUE(probe.usable) << probe.reason;
  ASSERT_EQ(probe.devices.size(), 1u);
  EXPECT_EQ(probe.devices[0].name, "Host emulation of the CUDA ops");
  EXPECT_EQ(probe.devices[0].computeMajor, 9);
  EXPECT_LE(probe.devices[0].freeBytes, probe.devices[0].totalBytes);
  // ops_abi.h's list (CudaOps::open has resolved them already).
  for (const char* name : {"flint_cuda_abi_version",
                           "flint_cuda_probe",
                           "flint_cuda_last_error",
                           "flint_cuda_context_create",
                           "flint_cuda_context_destroy",
                           "flint_cuda_malloc",
                           "flint_cuda_free",
                           "flint_cuda_host_alloc",
                           "flint_cuda_host_free",
                           "flint_cuda_copy_to_device",
                           "flint_cuda_copy_to_host",
                           "flint_cuda_copy_to_device_async",
                           "flint_cuda_copy_to_host_async",
                           "flint_cuda_memset",
                           "flint_cuda_stream_create",
                           "flint_cuda_stream_synchronize",
                           "flint_cuda_stream_destroy",
                           "flint_cuda_linear",
                           "flint_cuda_linear_gemm",
                           "flint_cuda_rms_norm",
                           "flint_cuda_rotate_pairs",
                           "flint_cuda_softmax_rows",
                           "flint_cuda_round_to_bf16",
                           "flint_cuda_fake_quant_e4m3",
                           "flint_cuda_hadamard",
                           "flint_cuda_top_k",
                           "flint_cuda_argmax",
                           "flint_cuda_swiglu",
                           "flint_cuda_route",
                           "flint_cuda_hc_pre",
                           "flint_cuda_hc_weighted_sum",
                           "flint_cuda_hc_post",
                           "flint_cuda_sparse_attention",
                           "flint_cuda_embed",
                           "flint_cuda_fake_quant_e2m1",
                           "flint_cuda_scale",
                           "flint_cuda_add",
                           "flint_cuda_copy_2d",
                           "flint_cuda_gather_rows",
                           "flint_cuda_scatter_add_rows",
                           "flint_cuda_compress",
                           "flint_cuda_indexer_scores",
                           "flint_cuda_attention_indices",
                           "flint_cuda_grouped_linear",
                           "flint_cuda_add_rows_by_token",
                           "flint_cuda_commit_entries",
                           "flint_cuda_ring_update",
                           "flint_cuda_graph_begin",
                           "flint_cuda_graph_end",
                           "flint_cuda_graph_launch",
                           "flint_cuda_graph_destroy"})
    EXPECT_NE(module()->symbol(name), nullptr) << name;
  // The kernels library linked into the module stays private to it.
  EXPECT_EQ(module()->symbol("_ZN5flint7kernels7softmaxEPfm"), nullptr);
}

TEST_F(HostOps, FreeBytesGoDownByEachAllocation) {
  const unsigned long long before = freeBytes();
  {
    const DeviceBuffer a = ops()->allocate(1 << 20);
    EXPECT_EQ(freeBytes(), before - (1 << 20));
    const PinnedBuffer pinned = ops()->allocatePinned(1 << 20);
    EXPECT_EQ(freeBytes(), before - (1 << 20)) << "pinned memory is host memory";
  }
  EXPECT_EQ(freeBytes(), before);
}

TEST_F(HostOps, AllocatingMoreThanIsFreeFailsWithASentence) {
  const DeviceBuffer held = ops()->allocate(4096);
  const unsigned long long free = freeBytes();
  try {
    ops()->allocate(free + 1);
    FAIL() << "allocated more than the device has";
  } catch (const CudaError& e) {
    const std::string error = e.what();
    EXPECT_EQ(error.rfind("CUDA could not allocate ", 0), 0u) << error;
    EXPECT_NE(error.find("out of memory"), std::string::npos) << error;
    EXPECT_NE(error.find("the device has "), std::string::npos) << error;
    EXPECT_EQ(error.back(), '.') << error;
  }
  EXPECT_EQ(freeBytes(), free);
}

TEST_F(HostOps, DeviceSizeComesFromTheEnvironment) {
  const unsigned long long used =
      module()->probe().devices.at(0).totalBytes - module()->probe().devices.at(0).freeBytes;
  {
    testing::ScopedEnv bytes("FLINT_HOST_OPS_DEVICE_BYTES", std::to_string(used + (1 << 20)));
    EXPECT_EQ(freeBytes(), 1u << 20);
    EXPECT_THROW(ops()->allocate((1 << 20) + 1), CudaError);
  }
  testing::ScopedEnv bad("FLINT_HOST_OPS_DEVICE_BYTES", "lots");
  EXPECT_FALSE(module()->probe().usable);
}

TEST_F(HostOps, OpsRefuseBuffersTooSmallForTheirShape) {
  const DeviceBuffer x = upload(std::vector<float>(64, 1.0f));
  try {
    ops()->rmsNorm(x.as<float>(), nullptr, 2, 64, 1e-6f, x.as<float>());
    FAIL() << "read past the buffer";
  } catch (const CudaError& e) {
    EXPECT_NE(std::string(e.what()).find("rmsNorm needs 512 bytes of x"), std::string::npos)
        << e.what();
  }
  std::vector<float> host(64);
  EXPECT_THROW(ops()->rmsNorm(host.data(), nullptr, 1, 64, 1e-6f, x.as<float>()), CudaError)
      << "host memory is not device memory";
}

TEST_F(HostOps, LinearIsTheCpuMatmulForAWholeWeightAndARowView) {
  std::mt19937 rng(1);
  const std::size_t rows = 300, cols = 384;
  std::vector<std::uint8_t> data(rows * cols), scales(3 * 3);
  std::uniform_int_distribution<int> byte(0, 0x7e), exponent(120, 130);
  for (auto& b : data) b = std::uint8_t(byte(rng) | (rng() % 2 ? 0x80 : 0));  // no NaN codes
  for (auto& s : scales) s = std::uint8_t(exponent(rng));
  const kernels::WeightView whole{kernels::WeightFormat::Fp8Block128, data.data(), scales.data(),
                                  rows, cols};
  const DeviceBuffer dData = upload(data), dScales = upload(scales);
  const std::pair<std::size_t, std::size_t> views[] = {{0, rows}, {130, 100}};  // begin, count
  for (const auto& [begin, count] : views)
    for (std::size_t tokens : {1u, 5u}) {
      const kernels::WeightView view = kernels::rowsOf(whole, begin, count);
      const std::vector<float> x = normal(tokens * cols, 1.0f, rng);
      std::vector<float> want(tokens * count);
      kernels::matmul(view, x.data(), tokens, want.data(), nullptr);
      const auto offset = [](const void* p, const void* base) {
        return static_cast<const std::uint8_t*>(p) - static_cast<const std::uint8_t*>(base);
      };
      const DeviceWeight w{view.format,
                           dData.as<std::uint8_t>() + offset(view.data, data.data()),
                           dScales.as<std::uint8_t>() + offset(view.scales, scales.data()),
                           count,
                           cols,
                           view.scaleRowOffset};
      const DeviceBuffer dx = upload(x), y = ops()->allocate(want.size() * sizeof(float));
      ops()->linear(w, dx.as<float>(), tokens, y.as<float>());
      EXPECT_EQ(bitsOf(download<float>(y)), bitsOf(want)) << begin << " " << tokens;
      ops()->linearGemm(w, dx.as<float>(), tokens, y.as<float>());
      EXPECT_EQ(bitsOf(download<float>(y)), bitsOf(want)) << begin << " " << tokens;
    }
}

// Three experts' FP8 weights of one shape over consecutive rows of x: 1, 20 (two passes of the
// device's 16) and 0 tokens. The empty group's row of y keeps its contents.
TEST_F(HostOps, GroupedLinearIsTheCpuMatmulPerGroup) {
  std::mt19937 rng(4);
  const std::size_t rows = 200, cols = 300;
  std::uniform_int_distribution<int> byte(0, 0x7e), exponent(120, 130);
  struct Expert {
    std::vector<std::uint8_t> data, scales;
    DeviceBuffer dData, dScales;
  };
  std::vector<Expert> experts(3);
  for (Expert& e : experts) {
    e.data.resize(rows * cols);
    e.scales.resize(kernels::ceilDiv(rows, 128) * kernels::ceilDiv(cols, 128));
    for (auto& b : e.data) b = std::uint8_t(byte(rng) | (rng() % 2 ? 0x80 : 0));  // no NaN codes
    for (auto& s : e.scales) s = std::uint8_t(exponent(rng));
    e.dData = upload(e.data);
    e.dScales = upload(e.scales);
  }
  const std::size_t firstRows[] = {0, 1, 21}, tokens[] = {1, 20, 0}, xRows = 22;
  const std::vector<float> x = normal(xRows * cols, 1.0f, rng);
  std::vector<float> want(xRows * rows, 7.0f);
  std::vector<FlintCudaLinearGroup> groups;
  for (std::size_t g = 0; g < experts.size(); ++g) {
    const kernels::WeightView view{kernels::WeightFormat::Fp8Block128, experts[g].data.data(),
                                   experts[g].scales.data(), rows, cols};
    if (tokens[g])
      kernels::matmul(view, x.data() + firstRows[g] * cols, tokens[g],
                      want.data() + firstRows[g] * rows, nullptr);
    const DeviceWeight w{view.format, experts[g].dData.data(),
                         experts[g].dScales.as<std::uint8_t>(), rows, cols};
    groups.push_back({CudaOps::rawWeight(w), firstRows[g], tokens[g]});
  }
  const DeviceBuffer dGroups = upload(groups), dx = upload(x),
                     y = upload(std::vector<float>(want.size(), 7.0f));
  ops()->groupedLinear(dGroups.as<FlintCudaLinearGroup>(), groups.size(), rows, cols,
                       dx.as<float>(), y.as<float>());
  EXPECT_EQ(bitsOf(download<float>(y)), bitsOf(want));

  // A group whose weight is not the promised shape, or whose rows run past y, is refused.
  const auto expectGroupsRefused = [&](const std::string& fragment) {
    const DeviceBuffer refused = upload(groups);
    expectRefusal(
        [&] {
          ops()->groupedLinear(refused.as<FlintCudaLinearGroup>(), groups.size(), rows, cols,
                               dx.as<float>(), y.as<float>());
        },
        fragment);
  };
  groups[1].w.cols = cols - 1;
  expectGroupsRefused("200 x 299 weight in group 1");
  groups[1].w.cols = cols;
  groups[1].tokens = 22;
  expectGroupsRefused("groupedLinear needs 26400 bytes of x");
}

TEST_F(HostOps, AddRowsByTokenIsTheLoopInOrder) {
  std::mt19937 rng(5);
  const std::size_t tokens = 4, width = 70, srcRows = 9;
  // Rows of very different magnitudes, so a different order of adds would round differently.
  std::vector<float> src = normal(srcRows * width, 1.0f, rng);
  for (std::size_t i = 0; i < width; ++i) src[2 * width + i] *= 1e7f;
  const std::vector<std::int32_t> offsets = {0, 3, 3, 7, 8};
  const std::vector<std::int32_t> rows = {2, 0, 5, 8, 2, 1, 2, 4};
  const std::vector<float> dst = normal(tokens * width, 1.0f, rng);
  const std::vector<float> want = testing_cuda::addRowsByTokenOnCpu(dst, offsets, rows, width, src);
  const DeviceBuffer dDst = upload(dst), dOffsets = upload(offsets), dRows = upload(rows),
                     dSrc = upload(src);
  ops()->addRowsByToken(dDst.as<float>(), dOffsets.as<std::int32_t>(), dRows.as<std::int32_t>(),
                        tokens, width, dSrc.as<float>());
  EXPECT_EQ(bitsOf(download<float>(dDst)), bitsOf(want));

  const DeviceBuffer pastSrc = upload(std::vector<std::int32_t>{2, 0, 5, 9, 2, 1, 2, 4});
  expectRefusal(
      [&] {
        ops()->addRowsByToken(dDst.as<float>(), dOffsets.as<std::int32_t>(),
                              pastSrc.as<std::int32_t>(), tokens, width, dSrc.as<float>());
      },
      "row 9 of src");
}

TEST_F(HostOps, HyperConnectionsAreTheCpuBlockSiteAndHead) {
  std::mt19937 rng(2);
  const HyperShape s{4, 64, 20, 1e-6f, 1e-6f};
  const std::size_t n = s.streams, d = s.hidden, tokens = 3;
  const std::vector<float> X = normal(tokens * n * d, 1.0f, rng), f = normal(tokens * d, 1.0f, rng);
  const DeviceBuffer dX = upload(X), df = upload(f);
  for (const std::size_t mixWidth : {(2 + n) * n, n}) {
    const bool head = mixWidth == n;
    const std::vector<float> fn = normal(mixWidth * n * d, 0.05f, rng);
    const HyperConnectionWeights w{fn.data(), mixWidth, normal(head ? 1 : 3, 0.5f, rng),
                                   normal(mixWidth, 0.3f, rng)};
    std::vector<float> y(tokens * d), post(tokens * n), comb(tokens * n * n), scratch;
    if (head)
      hcHead(s, w, X.data(), tokens, y.data(), nullptr, scratch);
    else
      hcPre(s, w, X.data(), tokens, y.data(), post.data(), comb.data(), nullptr, scratch);

    const DeviceBuffer dfn = upload(fn), dScale = upload(w.scale), dBase = upload(w.base);
    const DeviceBuffer mix = ops()->allocate(tokens * mixWidth * sizeof(float));
    const DeviceBuffer pre = ops()->allocate(tokens * n * sizeof(float));
    const DeviceBuffer dPost = ops()->allocate(post.size() * sizeof(float));
    const DeviceBuffer dComb = ops()->allocate(comb.size() * sizeof(float));
    const DeviceBuffer dy = ops()->allocate(y.size() * sizeof(float));
    ops()->linear({kernels::WeightFormat::F32, dfn.data(), nullptr, mixWidth, n * d},
                  dX.as<float>(), tokens, mix.as<float>());
    const FlintCudaHyperShape shape{n, d, mixWidth, s.sinkhornIters, s.hcEps, s.normEps};
    ops()->hcPre(shape, dX.as<float>(), mix.as<float>(), dScale.as<float>(), dBase.as<float>(),
                 tokens, pre.as<float>(), head ? nullptr : dPost.as<float>(),
                 head ? nullptr : dComb.as<float>());
    ops()->hcWeightedSum(dX.as<float>(), pre.as<float>(), tokens, n, d, dy.as<float>());
    EXPECT_EQ(bitsOf(download<float>(dy)), bitsOf(y)) << (head ? "head" : "block site");
    if (head) continue;
    EXPECT_EQ(bitsOf(download<float>(dPost)), bitsOf(post));
    EXPECT_EQ(bitsOf(download<float>(dComb)), bitsOf(comb));

    std::vector<float> out(tokens * n * d);
    hcPost(s, f.data(), X.data(), post.data(), comb.data(), tokens, out.data());
    const DeviceBuffer dOut = ops()->allocate(out.size() * sizeof(float));
    ops()->hcPost(df.as<float>(), dX.as<float>(), dPost.as<float>(), dComb.as<float>(), tokens, n,
                  d, dOut.as<float>());
    EXPECT_EQ(bitsOf(download<float>(dOut)), bitsOf(out));
  }
}

// What compress reads and writes in device memory: the tokens' kv and gate rows (`channels`
// wide), the positional bias, and the rings and entries it carries from call to call.
struct CompressBuffers {
  const float *kv, *gate, *ape;
  std::size_t ratio, width, channels;
  DeviceBuffer ringKv, ringGate, entries;

  // Rings for `ratio` and room for the entries of `tokens` tokens, over kv, gate and ape.
  static CompressBuffers allocate(const CudaOps& ops, const DeviceBuffer& kv,
                                  const DeviceBuffer& gate, const DeviceBuffer& ape,
                                  std::size_t ratio, std::size_t width, std::size_t channels,
                                  std::size_t tokens) {
    const std::size_t ringBytes = 2 * ratio * channels * sizeof(float);
    return {kv.as<float>(),
            gate.as<float>(),
            ape.as<float>(),
            ratio,
            width,
            channels,
            ops.allocate(ringBytes),
            ops.allocate(ringBytes),
            ops.allocate(tokens / ratio * width * sizeof(float))};
  }

  // compress's arguments for `count` tokens from `start`, the start on the host.
  FlintCudaCompressor run(std::size_t start, std::size_t count) const {
    return {kv + start * channels,
            gate + start * channels,
            ape,
            ringKv.as<float>(),
            ringGate.as<float>(),
            entries.as<float>(),
            (long long)(start),
            count,
            ratio,
            width,
            channels,
            nullptr,
            nullptr};
  }
};

// pushCompressorToken token by token against compress over two runs (the rings carry the
// first run's rows into the second), then the norm and rotation the caller applies.
TEST_F(HostOps, CompressIsPushCompressorTokenBeforeNormAndRope) {
  std::mt19937 rng(3);
  const std::size_t width = 32, tokens = 13, split = 5;
  const RopeTable rope(10000.0, std::nullopt, 16);
  const std::size_t pairs = rope.pairs();
  const float eps = 1e-6f;
  for (const std::size_t ratio : {4u, 3u}) {  // with overlap (CSA) and without
    CompressorCache cache;
    initCompressorCache(cache, ratio, width);
    const std::size_t c = cache.channels, entries = tokens / ratio;
    CompressorWeights w;
    w.ape = normal(ratio * c, 0.5f, rng);
    w.norm = normal(width, 1.0f, rng);
    const std::vector<float> kv = normal(tokens * c, 1.0f, rng),
                             gate = normal(tokens * c, 1.0f, rng);
    for (std::size_t t = 0; t < tokens; ++t)
      pushCompressorToken(cache, w, rope, std::int64_t(t), kv.data() + t * c, gate.data() + t * c,
                          eps, false);
    ASSERT_EQ(cache.entryCount(), entries);

    const DeviceBuffer dkv = upload(kv), dGate = upload(gate), dApe = upload(w.ape),
                       dNorm = upload(w.norm);
    const CompressBuffers device =
        CompressBuffers::allocate(*ops(), dkv, dGate, dApe, ratio, width, c, tokens);
    const std::pair<std::size_t, std::size_t> runs[] = {{0, split}, {split, tokens - split}};
    for (const auto& [start, count] : runs) ops()->compress(device.run(start, count));
    const DeviceBuffer& dEntries = device.entries;
    std::vector<float> cos(entries * pairs), sin(entries * pairs);
    for (std::size_t e = 0; e < entries; ++e)
      rope.angles(std::int64_t(e * ratio), cos.data() + e * pairs, sin.data() + e * pairs);
    const DeviceBuffer dCos = upload(cos), dSin = upload(sin);
    ops()->rmsNorm(dEntries.as<float>(), dNorm.as<float>(), entries, width, eps,
                   dEntries.as<float>());
    ops()->rotatePairs(dEntries.as<float>() + width - 2 * pairs, entries, width, dCos.as<float>(),
                       dSin.as<float>(), 1, pairs, false);
    EXPECT_EQ(bitsOf(download<float>(dEntries)), bitsOf(cache.entries)) << "ratio " << ratio;
  }
}

// ---- graphs and positions read from device memory ---------------------------------------

TEST_F(HostOps, AGraphRunsItsOpsOnWhatMemoryHoldsAtEachLaunch) {
  std::mt19937 rng(6);
  const std::size_t n = 37;
  const std::vector<float> x0 = normal(n, 1.0f, rng), y0 = normal(n, 1.0f, rng);
  const DeviceBuffer x = upload(x0), y = upload(y0);
  const CudaStream stream = ops()->createStream();
  ops()->beginCapture(stream);
  ops()->scale(x.as<float>(), n, 2.0f, &stream);
  ops()->add(y.as<float>(), x.as<float>(), n, &stream);
  const CudaGraph graph = ops()->endCapture(stream);
  ASSERT_TRUE(graph);
  EXPECT_EQ(bitsOf(download<float>(x)), bitsOf(x0)) << "recorded, not run";
  EXPECT_EQ(bitsOf(download<float>(y)), bitsOf(y0)) << "recorded, not run";

  std::vector<float> wantY = y0;
  for (const CudaStream* on : {&stream, static_cast<const CudaStream*>(nullptr)}) {
    const std::vector<float> fresh = normal(n, 1.0f, rng);
    ops()->copyToDevice(x.data(), fresh.data(), n * sizeof(float));
    ops()->launch(graph, on);
    std::vector<float> wantX(n);
    for (std::size_t i = 0; i < n; ++i) {
      wantX[i] = fresh[i] * 2.0f;
      wantY[i] += wantX[i];
    }
    EXPECT_EQ(bitsOf(download<float>(x)), bitsOf(wantX)) << (on ? "on the stream" : "default");
    EXPECT_EQ(bitsOf(download<float>(y)), bitsOf(wantY)) << (on ? "on the stream" : "default");
  }
}

TEST_F(HostOps, WhileCapturingSynchronousCallsAndOtherStreamsAreRefused) {
  const std::size_t n = 8;
  const std::vector<float> ones(n, 1.0f);
  const DeviceBuffer x = upload(ones);
  const CudaStream stream = ops()->createStream(), other = ops()->createStream();
  ops()->beginCapture(stream);
  ops()->scale(x.as<float>(), n, 3.0f, &stream);
  const std::string capturing = "while a stream is being captured";
  expectRefusal([&] { ops()->copyToDevice(x.data(), ones.data(), n * sizeof(float)); },
                "flint_cuda_copy_to_device cannot be called " + capturing);
  expectRefusal([&] { ops()->download<float>(x.data(), n); }, capturing);
  expectRefusal([&] { ops()->fill(x.data(), 0, n * sizeof(float)); }, capturing);
  expectRefusal([&] { ops()->allocate(64); }, "flint_cuda_malloc cannot be called " + capturing);
  expectRefusal([&] { ops()->allocatePinned(64); }, capturing);
  expectRefusal([&] { ops()->synchronize(&stream); }, capturing);
  expectRefusal([&] { ops()->scale(x.as<float>(), n, 3.0f); },
                "flint_cuda_scale was called on the default stream " + capturing);
  expectRefusal([&] { ops()->scale(x.as<float>(), n, 3.0f, &other); },
                "flint_cuda_scale was called on another stream " + capturing);
  const CudaGraph graph = ops()->endCapture(stream);

  ops()->launch(graph, &stream);
  EXPECT_EQ(download<float>(x), std::vector<float>(n, 3.0f)) << "only the recorded op ran";
}

TEST_F(HostOps, ALaunchChecksEachOpAgainstTheMemoryOfThatMoment) {
  const CudaStream stream = ops()->createStream();
  CudaGraph graph;
  {
    const DeviceBuffer x = upload(std::vector<float>(8, 1.0f));
    ops()->beginCapture(stream);
    ops()->scale(x.as<float>(), 8, 2.0f, &stream);
    graph = ops()->endCapture(stream);
    ops()->launch(graph, &stream);
  }
  expectRefusal([&] { ops()->launch(graph, &stream); }, "which is not device memory");
}

// A decode step captured once, the way the GPU forward pass replays it: compress one token into
// staging at the position device memory holds, then commit. Replayed token by token, it leaves
// the entries and rings that compress with a plain start leaves.
TEST_F(HostOps, CapturedCompressWithStagingAndCommitIsCompressWithStart) {
  std::mt19937 rng(7);
  const std::size_t width = 16, tokens = 13, prefill = 5;
  for (const std::size_t ratio : {4u, 3u}) {
    const std::size_t c = ratio == 4 ? 2 * width : width;  // with overlap (CSA) and without
    const std::vector<float> kv = normal(tokens * c, 1.0f, rng),
                             gate = normal(tokens * c, 1.0f, rng),
                             ape = normal(ratio * c, 0.5f, rng);
    const DeviceBuffer dkv = upload(kv), dGate = upload(gate), dApe = upload(ape);
    const CompressBuffers plain =
        CompressBuffers::allocate(*ops(), dkv, dGate, dApe, ratio, width, c, tokens);
    const CompressBuffers staged =
        CompressBuffers::allocate(*ops(), dkv, dGate, dApe, ratio, width, c, tokens);
    ops()->compress(plain.run(0, prefill));
    for (std::size_t t = prefill; t < tokens; ++t) ops()->compress(plain.run(t, 1));

    ops()->compress(staged.run(0, prefill));
    const DeviceBuffer stepKv = ops()->allocate(c * sizeof(float));
    const DeviceBuffer stepGate = ops()->allocate(c * sizeof(float));
    const DeviceBuffer position = ops()->allocate(sizeof(std::int64_t));
    const DeviceBuffer staging = ops()->allocate(width * sizeof(float));
    const CudaStream stream = ops()->createStream();
    ops()->beginCapture(stream);
    FlintCudaCompressor step = staged.run(0, 1);
    step.kv = stepKv.as<float>();
    step.gate = stepGate.as<float>();
    step.startOnDevice = position.as<long long>();
    step.staging = staging.as<float>();
    ops()->compress(step, &stream);
    ops()->commitEntries(staging.as<float>(), staged.entries.as<float>(), width, ratio, 0,
                         position.as<long long>(), 1, &stream);
    const CudaGraph graph = ops()->endCapture(stream);
    step.ratio = 0;  // the graph holds its own copy of the arguments
    for (std::size_t t = prefill; t < tokens; ++t) {
      const auto pos = std::int64_t(t);
      ops()->copyToDevice(stepKv.data(), kv.data() + t * c, c * sizeof(float));
      ops()->copyToDevice(stepGate.data(), gate.data() + t * c, c * sizeof(float));
      ops()->copyToDevice(position.data(), &pos, sizeof(pos));
      ops()->launch(graph, &stream);
    }
    EXPECT_EQ(bitsOf(download<float>(staged.entries)), bitsOf(download<float>(plain.entries)))
        << "ratio " << ratio;
    EXPECT_EQ(bitsOf(download<float>(staged.ringKv)), bitsOf(download<float>(plain.ringKv)));
    EXPECT_EQ(bitsOf(download<float>(staged.ringGate)), bitsOf(download<float>(plain.ringGate)));
  }
}

// cuda_transformer.cpp's copy loop: runs of the pass's last min(T, W) rows to position mod W.
TEST_F(HostOps, RingUpdateIsTheWindowCopyLoop) {
  std::mt19937 rng(8);
  const std::size_t W = 4, width = 6;
  const std::pair<std::size_t, std::size_t> passes[] = {{0, 1}, {9, 1}, {2, 3}, {6, 4}, {5, 7}};
  const DeviceBuffer position = ops()->allocate(sizeof(std::int64_t));
  for (const auto& [start, T] : passes) {
    const std::vector<float> ring = normal(W * width, 1.0f, rng),
                             rows = normal(T * width, 1.0f, rng);
    std::vector<float> want = ring;
    const std::size_t keep = std::min(W, T);
    for (std::size_t i = T - keep; i < T;) {
      const std::size_t slot = (start + i) % W, run = std::min(T - i, W - slot);
      std::copy_n(rows.data() + i * width, run * width, want.data() + slot * width);
      i += run;
    }
    const DeviceBuffer dRows = upload(rows), dRing = upload(ring), dRingOnDevice = upload(ring);
    ops()->ringUpdate(dRing.as<float>(), W, width, dRows.as<float>(), T, std::int64_t(start),
                      nullptr);
    EXPECT_EQ(bitsOf(download<float>(dRing)), bitsOf(want)) << start << " " << T;
    const auto pos = std::int64_t(start);
    ops()->copyToDevice(position.data(), &pos, sizeof(pos));
    ops()->ringUpdate(dRingOnDevice.as<float>(), W, width, dRows.as<float>(), T, 0,
                      position.as<long long>());
    EXPECT_EQ(bitsOf(download<float>(dRingOnDevice)), bitsOf(want)) << start << " " << T;
  }
}

// The same call with its start in device memory (and a wrong `start` field, which it ignores)
// writes the same keys and scores.
TEST_F(HostOps, AttentionIndicesAndIndexerScoresReadTheStartFromDeviceMemory) {
  std::mt19937 rng(9);
  const std::size_t window = 4, ratio = 4, topk = 3, maxKeys = window + topk, heads = 2, dim = 8;
  const std::size_t entries = 8;
  const DeviceBuffer keys = upload(normal(entries * dim, 1.0f, rng));
  const DeviceBuffer position = ops()->allocate(sizeof(std::int64_t));
  const std::pair<std::size_t, std::size_t> passes[] = {{0, 1}, {5, 1}, {17, 1}, {9, 3}};
  for (const auto& [start, T] : passes) {
    std::vector<std::int32_t> picked(T * topk, 0);
    for (std::size_t t = 0; t < T; ++t) {
      const std::size_t usable = (start + t + 1) / ratio;
      for (std::size_t j = 0; j < std::min(topk, usable); ++j)
        picked[t * topk + j] = std::int32_t(usable - 1 - j);
    }
    const DeviceBuffer dPicked = upload(picked), q = upload(normal(T * heads * dim, 1.0f, rng)),
                       weights = upload(normal(T * heads, 1.0f, rng));
    const auto pos = std::int64_t(start);
    ops()->copyToDevice(position.data(), &pos, sizeof(pos));
    for (const bool withPicked : {true, false}) {
      const std::size_t keysPerToken = withPicked ? maxKeys : window + entries;
      std::vector<DeviceBuffer> indices, counts;
      for (const bool onDevice : {false, true}) {
        indices.push_back(ops()->allocate(T * keysPerToken * sizeof(std::int32_t)));
        counts.push_back(ops()->allocate(T * sizeof(std::int32_t)));
        const FlintCudaAttentionIndices a{onDevice ? 0 : (long long)(start),
                                          T,
                                          window,
                                          100,
                                          200,
                                          ratio,
                                          withPicked ? dPicked.as<int>() : nullptr,
                                          topk,
                                          topk,
                                          keysPerToken,
                                          indices.back().as<int>(),
                                          counts.back().as<int>(),
                                          onDevice ? position.as<long long>() : nullptr};
        ops()->attentionIndices(a);
      }
      EXPECT_EQ(download<std::int32_t>(indices[1]), download<std::int32_t>(indices[0]))
          << start << " " << T << " " << withPicked;
      EXPECT_EQ(download<std::int32_t>(counts[1]), download<std::int32_t>(counts[0]));
    }
    std::vector<DeviceBuffer> scores;
    for (const bool onDevice : {false, true}) {
      scores.push_back(ops()->allocate(T * entries * sizeof(float)));
      const FlintCudaIndexerScores s{q.as<float>(),
                                     weights.as<float>(),
                                     keys.as<float>(),
                                     onDevice ? 0 : (long long)(start),
                                     T,
                                     heads,
                                     dim,
                                     ratio,
                                     entries,
                                     scores.back().as<float>(),
                                     onDevice ? position.as<long long>() : nullptr};
      ops()->indexerScores(s);
    }
    EXPECT_EQ(bitsOf(download<float>(scores[1])), bitsOf(download<float>(scores[0])))
        << start << " " << T;
  }
}

}  // namespace
}  // namespace flint::engine
