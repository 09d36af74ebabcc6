#include "engine/gpu/cuda_transformer.h"

#include "engine/logging/log.h"
#include "engine/model/attention.h"
#include "engine/model/hyper_connections.h"
#include "engine/model/linear.h"
#include "engine/model/scratch.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace flint::engine {

namespace {

bool quantized(const DeviceWeight& w) {
  return w.format == kernels::WeightFormat::Fp8Block128 ||
         w.format == kernels::WeightFormat::Fp4Group32;
}

// Rows [begin, begin + count) of a device weight: kernels::rowsOf only moves pointers.
DeviceWeight deviceRows(const DeviceWeight& w, std::size_t begin, std::size_t count) {
  const kernels::WeightView view{w.format, w.data, w.scales, w.rows, w.cols, w.scaleRowOffset};
  const kernels::WeightView rows = kernels::rowsOf(view, begin, count);
  return {rows.format, rows.data, rows.scales, rows.rows, rows.cols, rows.scaleRowOffset};
}

// The decode kernel reads W once for up to this many tokens; larger batches go to cuBLASLt.
constexpr std::size_t kDecodeKernelTokens = 16;

}  // namespace

// Device buffers for one pass of `batch` tokens, and host staging for the MoE's hand-off.
struct CudaTransformer::Scratch {
  std::size_t batch = 0;
  DeviceBuffer ids, X, res, y, sub, pre, post, comb, mix, xq;
  DeviceBuffer qr, q, o, nope, ck, cg, ik, ig, qi, iw, scores, picked, indices, counts;
  DeviceBuffer cos, sin, entryCos, entrySin, group, zg, z;
  // A captured decode step's inputs: its position, the angles of the entries it may complete
  // (one row per compressor ratio, at tableOffset), and the row where it finishes an entry.
  DeviceBuffer start, decodeEntryCos, decodeEntrySin, staging;
  // routing: the router's [tokens, k] choices then their weights; routes: each used expert's
  // token rows then their weights, experts in order. One copy each way per layer.
  DeviceBuffer gateLogits, routing, g, u, gathered, routed, routes;
  DeviceBuffer logits;
  std::size_t maxKeys = 0, maxScores = 0;
  std::map<std::int64_t, std::size_t> tableOffset;  // ratio -> row offset in cos/sin

  // Host side of the MoE hand-off, pinned so the copies run at the link's speed.
  PinnedBuffer routingHost, routesHost, xHost, routedHost;
  std::vector<float> gatheredHost, tapX;
  std::vector<std::int32_t> cursor;  // per token, the next free place in its list
  std::vector<std::size_t> offsets;
  std::vector<std::int32_t> used, hostUsed, hostExperts;
  std::vector<std::vector<std::pair<std::int32_t, float>>> byExpert;  // (token, weight)
  std::vector<float> cosHost, sinHost;
};

CudaTransformer::CudaTransformer(const CudaOps& ops, const Transformer& model, ExpertStore& below,
                                 const DeviceMemoryPlan& plan, kernels::ThreadPool* pool)
    : ops_(ops),
      model_(model),
      below_(below),
      plan_(plan),
      pool_(pool),
      weights_(ops, model.weights()),
      slots_(ops, model.weights(), plan.deviceExperts),
      s_(std::make_unique<Scratch>()) {
  const ModelConfig& c = model.config();
  for (const BlockWeights& l : model.weights().layers)
    if (!ropes_.count(l.ratio)) ropes_.emplace(l.ratio, ropeTableFor(c, l.ratio));

  const AttentionShape a = attentionShape(c);
  const MoeShape m = moeShape(c);
  const std::size_t B = std::max<std::size_t>(plan.batchTokens, 1), n = std::size_t(c.hcMult),
                    d = a.hidden, qWidth = a.heads * a.headDim, pairs = a.ropeDims / 2,
                    context = plan.contextTokens;
  Scratch& s = *s_;
  s.batch = B;
  auto floats = [&](std::size_t count) {
    return ops.allocate(std::max<std::size_t>(count, 1) * 4);
  };
  const std::size_t maxCols =
      std::max({d, a.qLoraRank, a.oGroups * a.oLoraRank, m.intermediate, qWidth});
  const std::size_t entryRows = B / 4 + 2;  // compressed entries one pass completes, at most
  s.ids = floats(B);
  s.X = floats(B * n * d);
  s.res = floats(B * n * d);
  s.y = floats(B * d);
  s.sub = floats(B * d);
  s.pre = floats(B * n);
  s.post = floats(B * n);
  s.comb = floats(B * n * n);
  s.mix = floats(B * (2 + n) * n);
  s.xq = floats(B * m.topK * maxCols);  // a routed linear's input: one row per (token, expert)
  s.qr = floats(B * a.qLoraRank);
  s.q = floats(B * qWidth);
  s.o = floats(B * qWidth);
  s.nope = floats(std::max(B, entryRows) * a.headDim);
  s.ck = floats(B * 2 * a.headDim);
  s.cg = floats(B * 2 * a.headDim);
  s.ik = floats(B * 2 * a.indexHeadDim);
  s.ig = floats(B * 2 * a.indexHeadDim);
  s.qi = floats(B * a.indexHeads * a.indexHeadDim);
  s.iw = floats(B * a.indexHeads);
  // Keys per token: the window, then the indexer's top-k (CSA) or every entry (HCA).
  std::size_t compressedKeys = 0;
  for (const BlockWeights& l : model.weights().layers)
    if (l.attn.hasIndexer)
      compressedKeys = std::max(compressedKeys, std::min(a.indexTopk, context / 4));
    else if (l.attn.hasCompressor)
      compressedKeys = std::max(compressedKeys, context / std::size_t(l.ratio));
  s.maxKeys = a.window + compressedKeys;
  s.maxScores = context / 4;
  s.scores = floats(B * s.maxScores);
  s.picked = floats(B * std::max<std::size_t>(a.indexTopk, 1));
  s.indices = floats(B * s.maxKeys);
  s.counts = floats(B);
  std::size_t offset = 0;
  for (const auto& [ratio, rope] : ropes_) {
    s.tableOffset[ratio] = offset;
    offset += B;
  }
  s.cos = floats(offset * pairs);
  s.sin = floats(offset * pairs);
  s.entryCos = floats(entryRows * pairs);
  s.entrySin = floats(entryRows * pairs);
  s.start = ops.allocate(sizeof(long long));
  s.decodeEntryCos = floats(offset * pairs);
  s.decodeEntrySin = floats(offset * pairs);
  s.staging = floats(std::max(a.headDim, a.indexHeadDim));
  s.group = floats(B * qWidth / std::max<std::size_t>(a.oGroups, 1));
  s.zg = floats(B * a.oLoraRank);
  s.z = floats(B * a.oGroups * a.oLoraRank);
  s.gateLogits = floats(B * m.experts);
  s.routing = floats(2 * B * m.topK);
  s.g = floats(B * m.topK * m.intermediate);
  s.u = floats(B * m.topK * m.intermediate);
  s.gathered = floats(B * m.topK * d);
  s.routed = floats(B * m.topK * d);
  const std::size_t handOff = layOutHandOff(0, B, m.topK, m.experts).bytes;
  s.routes = ops.allocate(handOff);
  s.cursor.resize(B + 1);
  expertsQuantized_ =
      !model.weights().layers.empty() && !model.weights().layers.front().moe.experts.empty() &&
      quantized(DeviceWeight{model.weights().layers.front().moe.experts.front().w1.format});
  s.routingHost = ops.allocatePinned(2 * B * m.topK * 4);
  s.routesHost = ops.allocatePinned(handOff);
  s.xHost = ops.allocatePinned(B * d * 4);
  s.routedHost = ops.allocatePinned(B * m.topK * d * 4);
  s.logits = floats(B * std::size_t(c.vocabSize));
  s.byExpert.resize(m.experts);
  capture_ = ops.createStream();
}

CudaTransformer::~CudaTransformer() = default;

DeviceCache CudaTransformer::newCache() const {
  return DeviceCache(ops_, model_.config(), plan_.contextTokens, s_->batch);
}

// ---- small steps -------------------------------------------------------------------------

void CudaTransformer::store(float* x, std::size_t n) {
  if (numerics_ == Numerics::Official) ops_.roundToBf16(x, n, stream_);
}

void CudaTransformer::copy(float* dst, const float* src, std::size_t n) {
  ops_.copy2d(dst, n * 4, src, n * 4, n * 4, 1, stream_);
}

void CudaTransformer::matmul(const DeviceWeight& w, const float* x, std::size_t tokens, float* y) {
  // cuBLASLt rounds x to bf16: only official numerics' inputs are exact there, and F32
  // weights (mHC) would lose bits in its bf16 tiles.
  const bool gemm = tokens > kDecodeKernelTokens && numerics_ == Numerics::Official &&
                    w.format != kernels::WeightFormat::F32;
  if (gemm)
    ops_.linearGemm(w, x, tokens, y, stream_);
  else
    ops_.linear(w, x, tokens, y, stream_);
}

void CudaTransformer::linear(const DeviceWeight& w, const float* x, std::size_t tokens, float* y) {
  if (numerics_ == Numerics::Official && quantized(w)) {
    float* xq = s_->xq.as<float>();
    copy(xq, x, tokens * w.cols);
    ops_.fakeQuantE4m3(xq, tokens, w.cols, 128, stream_);
    x = xq;
  }
  matmul(w, x, tokens, y);
  store(y, tokens * w.rows);
}

void CudaTransformer::groupedLinear(const FlintCudaLinearGroup* groups, std::size_t count,
                                    std::size_t rows, std::size_t cols, const float* x,
                                    std::size_t tokens, float* y) {
  if (numerics_ == Numerics::Official && expertsQuantized_) {
    float* xq = s_->xq.as<float>();
    copy(xq, x, tokens * cols);
    ops_.fakeQuantE4m3(xq, tokens, cols, 128, stream_);
    x = xq;
  }
  ops_.groupedLinear(groups, count, rows, cols, x, y, stream_);
  store(y, tokens * rows);
}

CudaTransformer::MoeHandOff CudaTransformer::layOutHandOff(std::uintptr_t base, std::size_t tokens,
                                                           std::size_t k, std::size_t experts) {
  const std::size_t pairs = tokens * k;
  MoeHandOff h;
  std::size_t at = 0;
  auto take = [&](std::size_t bytes) {
    const std::uintptr_t p = base + at;
    at += (bytes + 63) / 64 * 64;
    return p;
  };
  h.rows = reinterpret_cast<std::int32_t*>(take(pairs * 4));
  h.scales = reinterpret_cast<float*>(take(pairs * 4));
  h.tokenOffsets = reinterpret_cast<std::int32_t*>(take((tokens + 1) * 4));
  h.tokenRows = reinterpret_cast<std::int32_t*>(take(pairs * 4));
  h.groups =
      reinterpret_cast<FlintCudaLinearGroup*>(take(3 * experts * sizeof(FlintCudaLinearGroup)));
  h.bytes = at;
  return h;
}

void CudaTransformer::fakeQuantE4m3Prefix(float* x, std::size_t rows, std::size_t stride,
                                          std::size_t n) {
  float* staged = s_->nope.as<float>();
  ops_.copy2d(staged, n * 4, x, stride * 4, n * 4, rows, stream_);
  ops_.fakeQuantE4m3(staged, rows, n, 64, stream_);
  ops_.copy2d(x, stride * 4, staged, n * 4, n * 4, rows, stream_);
}

void CudaTransformer::angles(const RopeTable& rope, std::int64_t first, std::int64_t step,
                             std::size_t count, float* cos, float* sin) {
  const std::size_t pairs = rope.pairs();
  float* c = grow(s_->cosHost, count * pairs);
  float* s = grow(s_->sinHost, count * pairs);
  for (std::size_t i = 0; i < count; ++i)
    rope.angles(first + std::int64_t(i) * step, c + i * pairs, s + i * pairs);
  ops_.copyToDevice(cos, c, count * pairs * 4);
  ops_.copyToDevice(sin, s, count * pairs * 4);
}

// ---- mHC ---------------------------------------------------------------------------------

void CudaTransformer::hcBegin(const DeviceHyperConnection& hc, const float* norm,
                              std::size_t tokens) {
  const ModelConfig& c = model_.config();
  Scratch& s = *s_;
  const std::size_t n = std::size_t(c.hcMult), d = std::size_t(c.hiddenSize);
  const FlintCudaHyperShape shape{
      n, d, hc.mixWidth, int(c.hcSinkhornIters), float(c.hcEps), float(c.rmsNormEps)};
  ops_.linear(hc.fn, s.X.as<float>(), tokens, s.mix.as<float>(), stream_);  // fp32, unrounded
  ops_.hcPre(shape, s.X.as<float>(), s.mix.as<float>(), hc.scale, hc.base, tokens,
             s.pre.as<float>(), s.post.as<float>(), s.comb.as<float>(), stream_);
  ops_.hcWeightedSum(s.X.as<float>(), s.pre.as<float>(), tokens, n, d, s.y.as<float>(), stream_);
  store(s.y.as<float>(), tokens * d);
  ops_.rmsNorm(s.y.as<float>(), norm, tokens, d, float(c.rmsNormEps), s.y.as<float>(), stream_);
  store(s.y.as<float>(), tokens * d);
}

void CudaTransformer::hcEnd(std::size_t tokens) {
  const ModelConfig& c = model_.config();
  Scratch& s = *s_;
  const std::size_t n = std::size_t(c.hcMult), d = std::size_t(c.hiddenSize);
  copy(s.res.as<float>(), s.X.as<float>(), tokens * n * d);
  ops_.hcPost(s.sub.as<float>(), s.res.as<float>(), s.post.as<float>(), s.comb.as<float>(), tokens,
              n, d, s.X.as<float>(), stream_);
  store(s.X.as<float>(), tokens * n * d);
}

// ---- attention ---------------------------------------------------------------------------

void CudaTransformer::compressEntries(const DeviceCompressor& w, DeviceCompressorState& state,
                                      float* entries, const float* kv, const float* gate,
                                      const RopeTable& rope, std::int64_t start, std::size_t tokens,
                                      bool indexer) {
  const ModelConfig& c = model_.config();
  const std::size_t ratio = state.ratio, width = state.width;
  // A captured step cannot know whether its position completes an entry: it finishes the one
  // staging row either way, and the commit moves it only when an entry was completed.
  const bool captured = startOnDevice_ != nullptr;
  FlintCudaCompressor op{kv,
                         gate,
                         w.ape,
                         state.ringKv.as<float>(),
                         state.ringGate.as<float>(),
                         entries,
                         start,
                         tokens,
                         ratio,
                         width,
                         state.channels,
                         startOnDevice_,
                         captured ? s_->staging.as<float>() : nullptr};
  ops_.compress(op, stream_);
  const std::size_t first = std::size_t(start) / ratio,
                    last = (std::size_t(start) + tokens) / ratio;
  if (last == first && !captured) return;
  const std::size_t rows = captured ? 1 : last - first, pairs = rope.pairs();
  float* e = captured ? s_->staging.as<float>() : entries + first * width;
  const float* cos = s_->entryCos.as<float>();
  const float* sin = s_->entrySin.as<float>();
  if (captured) {  // this step's entry angles, uploaded before the graph runs
    const std::size_t at = s_->tableOffset.at(std::int64_t(ratio)) * pairs;
    cos = s_->decodeEntryCos.as<float>() + at;
    sin = s_->decodeEntrySin.as<float>() + at;
  } else {
    angles(rope, std::int64_t(first * ratio), std::int64_t(ratio), rows, s_->entryCos.as<float>(),
           s_->entrySin.as<float>());
  }
  // As pushCompressorToken finishes an entry: norm, bf16, RoPE at the window's first
  // position, bf16; then the branch's own rounding.
  ops_.rmsNorm(e, w.norm, rows, width, float(c.rmsNormEps), e, stream_);
  store(e, rows * width);
  ops_.rotatePairs(e + width - 2 * pairs, rows, width, cos, sin, 1, pairs, false, stream_);
  store(e, rows * width);
  if (indexer) {
    ops_.hadamard(e, rows, width, stream_);
    if (numerics_ == Numerics::Official) ops_.fakeQuantE2m1(e, rows, width, 32, stream_);
  } else if (numerics_ == Numerics::Official) {
    fakeQuantE4m3Prefix(e, rows, width, width - std::size_t(c.qkRopeHeadDim));
  }
  if (captured)
    ops_.commitEntries(e, entries, width, ratio, start, startOnDevice_, tokens, stream_);
}

void CudaTransformer::attention(std::size_t l, std::size_t T, std::int64_t start,
                                DeviceLayerCache& cache) {
  const ModelConfig& c = model_.config();
  const AttentionShape a = attentionShape(c);
  const DeviceAttention& w = weights_.layers[l].attn;
  const std::int64_t ratio = weights_.layers[l].ratio;
  const RopeTable& rope = ropes_.at(ratio);
  Scratch& s = *s_;
  const std::size_t D = a.headDim, H = a.heads, qWidth = H * D, pairs = a.ropeDims / 2,
                    nope = D - a.ropeDims;
  const std::size_t table = s.tableOffset.at(ratio) * pairs;
  const float* cos = s.cos.as<float>() + table;
  const float* sin = s.sin.as<float>() + table;
  const float* x = s.y.as<float>();
  float* qr = s.qr.as<float>();
  float* q = s.q.as<float>();
  float* kv = cache.row(cache.batchRow());

  // Queries (projectQueries).
  linear(w.wqA, x, T, qr);
  ops_.rmsNorm(qr, w.qNorm, T, a.qLoraRank, a.eps, qr, stream_);
  linear(w.wqB, qr, T, q);
  ops_.rmsNorm(q, nullptr, T * H, D, a.eps, q, stream_);
  ops_.rotatePairs(q + nope, T * H, D, cos, sin, H, pairs, false, stream_);
  // The pass's keys go to the cache's batch rows (projectKeys).
  linear(w.wkv, x, T, kv);
  ops_.rmsNorm(kv, w.kvNorm, T, D, a.eps, kv, stream_);
  ops_.rotatePairs(kv + nope, T, D, cos, sin, 1, pairs, false, stream_);
  if (numerics_ == Numerics::Official) fakeQuantE4m3Prefix(kv, T, D, nope);

  // A captured step sizes by the cache's capacity; counts on the device limit the work.
  const bool captured = startOnDevice_ != nullptr;
  std::size_t compressedKeys = 0, picks = 0;
  if (w.hasCompressor) {
    linear(w.compressor.wkv, x, T, s.ck.as<float>());
    linear(w.compressor.wgate, x, T, s.cg.as<float>());
    compressEntries(w.compressor, cache.compressor, cache.row(cache.compressedRow()),
                    s.ck.as<float>(), s.cg.as<float>(), rope, start, T, false);
    compressedKeys = captured ? cache.capacity : (std::size_t(start) + T) / std::size_t(ratio);
  }
  if (w.hasIndexer) {
    const std::size_t Hi = a.indexHeads, Di = a.indexHeadDim, width = Hi * Di;
    float* qi = s.qi.as<float>();
    float* iw = s.iw.as<float>();
    linear(w.indexerWqB, qr, T, qi);
    ops_.rotatePairs(qi + Di - 2 * pairs, T * Hi, Di, cos, sin, Hi, pairs, false, stream_);
    store(qi, T * width);
    ops_.hadamard(qi, T * Hi, Di, stream_);
    if (numerics_ == Numerics::Official) ops_.fakeQuantE2m1(qi, T * Hi, Di, 32, stream_);
    linear(w.indexerWeightsProj, x, T, iw);
    ops_.scale(iw, T * Hi, 1.0f / std::sqrt(float(Di)) / std::sqrt(float(Hi)), stream_);
    matmul(w.indexerCompressor.wkv, x, T, s.ik.as<float>());
    matmul(w.indexerCompressor.wgate, x, T, s.ig.as<float>());
    compressEntries(w.indexerCompressor, cache.indexer, cache.indexerKeys.as<float>(),
                    s.ik.as<float>(), s.ig.as<float>(), rope, start, T, true);
    const std::size_t entries = captured ? cache.indexerCapacity : (std::size_t(start) + T) / 4;
    picks = std::min(a.indexTopk, entries);
    if (picks > 0) {
      FlintCudaIndexerScores scores{
          qi, iw,      cache.indexerKeys.as<float>(), start,         T, Hi, Di,
          4,  entries, s.scores.as<float>(),          startOnDevice_};
      ops_.indexerScores(scores, stream_);
      store(s.scores.as<float>(), T * entries);
      ops_.topK(s.scores.as<float>(), T, entries, picks, s.picked.as<std::int32_t>(), stream_);
    }
    compressedKeys = picks;
  }

  const std::size_t maxKeys =
      (captured ? a.window : std::min(a.window, std::size_t(start) + T)) + compressedKeys;
  FlintCudaAttentionIndices keys{start,
                                 T,
                                 a.window,
                                 cache.batchRow(),
                                 cache.compressedRow(),
                                 w.hasCompressor ? std::size_t(ratio) : 0,
                                 w.hasIndexer ? s.picked.as<std::int32_t>() : nullptr,
                                 picks,
                                 a.indexTopk,
                                 maxKeys,
                                 s.indices.as<std::int32_t>(),
                                 s.counts.as<std::int32_t>(),
                                 startOnDevice_};
  ops_.attentionIndices(keys, stream_);
  float* o = s.o.as<float>();
  FlintCudaSparseAttention attend{q,
                                  cache.entries.as<float>(),
                                  s.indices.as<std::int32_t>(),
                                  s.counts.as<std::int32_t>(),
                                  w.sink,
                                  T,
                                  H,
                                  D,
                                  maxKeys,
                                  1.0f / std::sqrt(float(D)),
                                  o};
  ops_.sparseAttention(attend, stream_);
  // V = K carries the rotation: undo it at the query position.
  store(o, T * qWidth);
  ops_.rotatePairs(o + nope, T * H, D, cos, sin, H, pairs, true, stream_);
  store(o, T * qWidth);

  // The pass's last `window` keys move into the ring, now that no query reads the old ones.
  ops_.ringUpdate(cache.row(0), a.window, D, kv, T, start, startOnDevice_, stream_);

  // The grouped output projection (projectOutput).
  const std::size_t groupWidth = qWidth / a.oGroups, R = a.oLoraRank;
  for (std::size_t g = 0; g < a.oGroups; ++g) {
    ops_.copy2d(s.group.data(), groupWidth * 4, o + g * groupWidth, qWidth * 4, groupWidth * 4, T,
                stream_);
    matmul(deviceRows(w.woA, g * R, R), s.group.as<float>(), T, s.zg.as<float>());
    store(s.zg.as<float>(), T * R);
    ops_.copy2d(s.z.as<float>() + g * R, a.oGroups * R * 4, s.zg.data(), R * 4, R * 4, T, stream_);
  }
  linear(w.woB, s.z.as<float>(), T, s.sub.as<float>());
}

// ---- MoE ---------------------------------------------------------------------------------

void CudaTransformer::expertFfn(const DeviceExpert& e, const float* x, const float* tokenWeights,
                                std::size_t tokens, float* y) {
  const MoeShape m = moeShape(model_.config());
  float* g = s_->g.as<float>();
  float* u = s_->u.as<float>();
  linear(e.w1, x, tokens, g);
  linear(e.w3, x, tokens, u);
  ops_.swiglu(g, u, tokenWeights, tokens, m.intermediate, m.swigluLimit, stream_);
  store(g, tokens * m.intermediate);
  linear(e.w2, g, tokens, y);
}

void CudaTransformer::route(std::size_t l, std::size_t T) {
  const MoeShape m = moeShape(model_.config());
  const DeviceMoe& w = weights_.layers[l].moe;
  Scratch& s = *s_;
  const std::size_t k = m.topK, pairs = T * k;
  matmul(w.gate, s.y.as<float>(), T, s.gateLogits.as<float>());  // BF16, fp32 math, unrounded
  DeviceRouting routing;
  routing.logits = s.gateLogits.as<float>();
  routing.bias = w.bias;
  routing.tid2eid = w.tid2eid;
  routing.ids = s.ids.as<std::int32_t>();
  routing.tokens = T;
  routing.experts = m.experts;
  routing.k = k;
  routing.normalize = m.normalize;
  routing.routedScale = m.routedScale;
  routing.chosen = s.routing.as<std::int32_t>();
  routing.weights = s.routing.as<float>() + pairs;
  ops_.route(routing, stream_);
}

void CudaTransformer::moe(std::size_t l, std::size_t T) {
  const MoeShape m = moeShape(model_.config());
  const DeviceMoe& w = weights_.layers[l].moe;
  Scratch& s = *s_;
  const std::size_t d = m.hidden, k = m.topK, pairs = T * k;
  const float* x = s.y.as<float>();
  float* out = s.sub.as<float>();

  // The layer's one synchronization: the host needs the choice to place the experts.
  ops_.copyToHost(s.routingHost.data(), s.routing.data(), 2 * pairs * 4);
  const std::int32_t* chosen = s.routingHost.as<std::int32_t>();
  const float* weights = s.routingHost.as<float>() + pairs;

  // The hand-off, laid out in pinned memory for one copy up: every (token, expert) pair once,
  // experts in order ("routes": its token row and weight); per token, its pairs in expert
  // order (the order the CPU adds them in); the resident experts' three linears as groups.
  MoeHandOff h =
      layOutHandOff(reinterpret_cast<std::uintptr_t>(s.routesHost.data()), T, k, m.experts);
  std::int32_t* cursor = s.cursor.data();
  for (auto& r : s.byExpert) r.clear();
  for (std::size_t t = 0; t < T; ++t)
    for (std::size_t j = 0; j < k; ++j)
      s.byExpert[std::size_t(chosen[t * k + j])].push_back({std::int32_t(t), weights[t * k + j]});
  s.used.clear();
  s.offsets.clear();
  s.hostUsed.clear();
  s.hostExperts.clear();
  std::size_t filled = 0, groups = 0;
  for (std::size_t e = 0; e < m.experts; ++e) {
    if (s.byExpert[e].empty()) continue;
    const std::size_t begin = filled;
    for (const auto& [t, weight] : s.byExpert[e]) {
      h.rows[filled] = t;
      h.scales[filled++] = weight;
    }
    if (const DeviceExpert* resident = slots_.find(l, e)) {
      const FlintCudaLinearGroup base{{}, begin, filled - begin};
      h.groups[groups] = h.groups[groups + m.experts] = h.groups[groups + 2 * m.experts] = base;
      h.groups[groups].w = CudaOps::rawWeight(resident->w1);
      h.groups[groups + m.experts].w = CudaOps::rawWeight(resident->w3);
      h.groups[groups + 2 * m.experts].w = CudaOps::rawWeight(resident->w2);
      ++groups;
    } else {
      s.hostUsed.push_back(std::int32_t(s.used.size()));
      s.hostExperts.push_back(std::int32_t(e));
      slots_.request(l, e);
    }
    s.used.push_back(std::int32_t(e));
    s.offsets.push_back(begin);
  }
  s.offsets.push_back(filled);
  lastDistinctExperts_ += s.used.size();
  std::fill_n(h.tokenOffsets, T + 1, 0);
  for (std::size_t j = 0; j < pairs; ++j) ++h.tokenOffsets[std::size_t(h.rows[j]) + 1];
  for (std::size_t t = 0; t < T; ++t) h.tokenOffsets[t + 1] += h.tokenOffsets[t];
  std::copy_n(h.tokenOffsets, T, cursor);
  for (std::size_t j = 0; j < pairs; ++j) h.tokenRows[cursor[h.rows[j]]++] = std::int32_t(j);
  ops_.copyToDevice(s.routes.data(), s.routesHost.data(), h.bytes);
  const MoeHandOff dev =
      layOutHandOff(reinterpret_cast<std::uintptr_t>(s.routes.data()), T, k, m.experts);

  // The CPU's input comes down now, while the GPU is idle, so the CPU's work below overlaps
  // the GPU's instead of waiting for it.
  float* xHost = s.xHost.as<float>();
  if (!s.hostUsed.empty()) {
    below_.willUse(l, s.hostExperts);
    ops_.copyToHost(xHost, x, T * d * 4);
  }

  // The GPU's share, queued first: the shared expert, then every resident expert in one
  // grouped launch per linear.
  expertFfn(w.shared, x, nullptr, T, out);
  if (groups > 0) {
    float* gathered = s.gathered.as<float>();
    float* g = s.g.as<float>();
    float* u = s.u.as<float>();
    ops_.gatherRows(x, dev.rows, pairs, d, gathered, stream_);
    groupedLinear(dev.groups, groups, m.intermediate, d, gathered, pairs, g);
    groupedLinear(dev.groups + m.experts, groups, m.intermediate, d, gathered, pairs, u);
    ops_.swiglu(g, u, dev.scales, pairs, m.intermediate, m.swigluLimit, stream_);
    store(g, pairs * m.intermediate);
    groupedLinear(dev.groups + 2 * m.experts, groups, d, m.intermediate, g, pairs,
                  s.routed.as<float>());
  }

  // The CPU's share, while the GPU works: the experts that live in host memory.
  if (!s.hostUsed.empty()) {
    const LinearContext ctx{numerics_, pool_};
    for (std::int32_t i : s.hostUsed) {
      const std::size_t e = std::size_t(s.used[std::size_t(i)]), begin = s.offsets[std::size_t(i)],
                        count = s.offsets[std::size_t(i) + 1] - begin;
      float* gathered = grow(s.gatheredHost, count * d);
      for (std::size_t r = 0; r < count; ++r)
        std::copy_n(xHost + std::size_t(h.rows[begin + r]) * d, d, gathered + r * d);
      hostMoe_.runExpert(ctx, m, below_.expertForBatch(l, e, count), gathered, h.scales + begin,
                         count, s.routedHost.as<float>() + begin * d);
    }
    // The join: the first copy waits for the GPU's share, the rest follow at once.
    for (std::int32_t i : s.hostUsed) {
      const std::size_t begin = s.offsets[std::size_t(i)],
                        count = s.offsets[std::size_t(i) + 1] - begin;
      ops_.copyToDevice(s.routed.as<float>() + begin * d, s.routedHost.as<float>() + begin * d,
                        count * d * 4);
    }
  }

  // Every routed output joins the shared one, each token's in expert order, as the CPU adds.
  ops_.addRowsByToken(out, dev.tokenOffsets, dev.tokenRows, T, d, s.routed.as<float>(), stream_);
  store(out, T * d);
}

// ---- the pass ----------------------------------------------------------------------------

void CudaTransformer::attentionHalf(std::size_t l, std::size_t T, std::int64_t start,
                                    DeviceLayerCache& cache) {
  const DeviceBlock& layer = weights_.layers[l];
  hcBegin(layer.hcAttn, layer.attnNorm, T);
  attention(l, T, start, cache);
  hcEnd(T);
  hcBegin(layer.hcFfn, layer.ffnNorm, T);
  route(l, T);
}

void CudaTransformer::prepareDecodeStep(DeviceCache& cache, std::int64_t start) {
  Scratch& s = *s_;
  if (cache.graphNumerics != numerics_) {  // a graph bakes in its roundings
    cache.decodeGraphs.clear();
    cache.graphNumerics = numerics_;
  }
  cache.decodeGraphs.resize(weights_.layers.size());
  // What a captured step reads from device memory: its position, and the angles of the entry
  // each compressor ratio may complete at it.
  const long long position = start;
  ops_.copyToDevice(s.start.data(), &position, sizeof(position));
  const std::size_t pairs = std::size_t(model_.config().qkRopeHeadDim) / 2;
  for (const auto& [ratio, rope] : ropes_) {
    if (ratio == 0) continue;
    const std::int64_t first = std::max<std::int64_t>(0, start + 1 - ratio);
    const std::size_t at = s.tableOffset.at(ratio) * pairs;
    angles(rope, first, 1, 1, s.decodeEntryCos.as<float>() + at, s.decodeEntrySin.as<float>() + at);
  }
}

bool CudaTransformer::launchDecodeGraph(std::size_t l, DeviceCache& cache) {
  CudaGraph& graph = cache.decodeGraphs[l];
  if (!graph) {
    // Record this layer's attention half once per cache: every later step replays it.
    stream_ = &capture_;
    startOnDevice_ = s_->start.as<long long>();
    try {
      ops_.beginCapture(capture_);
      attentionHalf(l, 1, 0, cache.layers[l]);
      graph = ops_.endCapture(capture_);
    } catch (const CudaError& e) {
      stream_ = nullptr;
      startOnDevice_ = nullptr;
      try {
        ops_.endCapture(capture_);  // leave the stream usable
      } catch (const CudaError&) {
      }
      log::logger("engine")->warn("decoding without CUDA graphs: {}", e.what());
      decodeGraphs_ = false;
      return false;
    }
    stream_ = nullptr;
    startOnDevice_ = nullptr;
  }
  ops_.launch(graph);
  ++graphLaunches_;
  return true;
}

void CudaTransformer::pass(std::span<const std::int32_t> ids, DeviceCache& cache, int head,
                           std::vector<float>& logits, std::vector<float>* taps) {
  const ModelConfig& c = model_.config();
  Scratch& s = *s_;
  const std::size_t T = ids.size(), n = std::size_t(c.hcMult), d = std::size_t(c.hiddenSize);
  const std::int64_t start = cache.length;
  ops_.copyToDevice(s.ids.data(), ids.data(), T * 4);
  ops_.embed(weights_.embed, s.ids.as<std::int32_t>(), T, d, n, s.X.as<float>(), stream_);

  const std::size_t pairs = std::size_t(c.qkRopeHeadDim) / 2;
  for (const auto& [ratio, rope] : ropes_) {
    const std::size_t at = s.tableOffset.at(ratio) * pairs;
    angles(rope, start, 1, T, s.cos.as<float>() + at, s.sin.as<float>() + at);
  }

  const bool graphs = T == 1 && decodeGraphs_;
  if (graphs) prepareDecodeStep(cache, start);
  for (std::size_t l = 0; l < weights_.layers.size(); ++l) {
    if (!graphs || !launchDecodeGraph(l, cache)) {
      attentionHalf(l, T, start, cache.layers[l]);
    }
    moe(l, T);
    hcEnd(T);
    if (taps && c.dspark) {
      const auto& targets = c.dspark->targetLayerIds;
      if (std::find(targets.begin(), targets.end(), std::int64_t(l)) != targets.end()) {
        float* X = grow(s.tapX, T * n * d);
        ops_.copyToHost(X, s.X.data(), T * n * d * 4);
        recordDrafterTap(c, l, X, T, n, d, *taps);
      }
    }
  }
  cache.length += std::int64_t(T);
  if (head == 0) return;

  // Only the rows whose logits are wanted go through the head.
  const std::size_t first = head == 2 ? 0 : T - 1, rows = T - first;
  const float* X = s.X.as<float>() + first * n * d;
  const DeviceHyperConnection& hc = weights_.hcHead;
  const FlintCudaHyperShape shape{
      n, d, hc.mixWidth, int(c.hcSinkhornIters), float(c.hcEps), float(c.rmsNormEps)};
  ops_.linear(hc.fn, X, rows, s.mix.as<float>(), stream_);
  ops_.hcPre(shape, X, s.mix.as<float>(), hc.scale, hc.base, rows, s.pre.as<float>(), nullptr,
             nullptr, stream_);
  ops_.hcWeightedSum(X, s.pre.as<float>(), rows, n, d, s.y.as<float>(), stream_);
  store(s.y.as<float>(), rows * d);
  ops_.rmsNorm(s.y.as<float>(), weights_.norm, rows, d, float(c.rmsNormEps), s.y.as<float>(),
               stream_);
  store(s.y.as<float>(), rows * d);
  matmul(weights_.head, s.y.as<float>(), rows, s.logits.as<float>());
  const std::size_t vocab = std::size_t(c.vocabSize), at = logits.size();
  logits.resize(at + rows * vocab);
  ops_.copyToHost(logits.data() + at, s.logits.data(), rows * vocab * 4);
}

void CudaTransformer::forward(std::span<const std::int32_t> ids, DeviceCache& cache,
                              Numerics numerics, bool allPositions, std::vector<float>& logits,
                              std::vector<float>* taps) {
  const ModelConfig& c = model_.config();
  if (ids.empty()) throw std::invalid_argument("no tokens to run");
  for (std::int32_t id : ids)
    if (id < 0 || id >= c.vocabSize)
      throw std::invalid_argument("token id " + std::to_string(id) +
                                  " is outside the vocabulary (0.." +
                                  std::to_string(c.vocabSize - 1) + ")");
  const std::int64_t end = cache.length + std::int64_t(ids.size());
  if (end > c.maxPositionEmbeddings)
    throw std::invalid_argument("the sequence would be " + std::to_string(end) +
                                " tokens long; this model's limit is " +
                                std::to_string(c.maxPositionEmbeddings));
  if (end > std::int64_t(cache.contextTokens()))
    throw std::invalid_argument(
        "the sequence would be " + std::to_string(end) + " tokens long; the GPU's cache holds " +
        std::to_string(cache.contextTokens()) + " (set a larger GPU context)");
  numerics_ = numerics;
  lastDistinctExperts_ = 0;
  slots_.land();
  logits.clear();
  std::vector<float> passTaps;
  if (taps) taps->clear();
  for (std::size_t done = 0; done < ids.size();) {
    const std::size_t count = std::min(s_->batch, ids.size() - done);
    const bool last = done + count == ids.size();
    const int head = allPositions ? 2 : (last ? 1 : 0);
    pass(ids.subspan(done, count), cache, head, logits, taps ? &passTaps : nullptr);
    if (taps) taps->insert(taps->end(), passTaps.begin(), passTaps.end());
    done += count;
  }
  slots_.promote(below_);
}

}  // namespace flint::engine
