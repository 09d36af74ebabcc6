#include "engine/backend/cuda_ops.h"

#include "engine/logging/log.h"

#include <string>
#include <system_error>
#include <utility>

namespace flint::engine {

static_assert(sizeof(std::int32_t) == sizeof(int), "the module's int indices are 32-bit");

struct CudaOps::Api {
  FlintCudaLastErrorFn lastError = nullptr;
  FlintCudaContextCreateFn contextCreate = nullptr;
  FlintCudaContextDestroyFn contextDestroy = nullptr;
  FlintCudaMallocFn malloc = nullptr;
  FlintCudaFreeFn free = nullptr;
  FlintCudaHostAllocFn hostAlloc = nullptr;
  FlintCudaHostFreeFn hostFree = nullptr;
  FlintCudaCopyFn copyToDevice = nullptr;
  FlintCudaCopyFn copyToHost = nullptr;
  FlintCudaCopyAsyncFn copyToDeviceAsync = nullptr;
  FlintCudaCopyAsyncFn copyToHostAsync = nullptr;
  FlintCudaMemsetFn memset = nullptr;
  FlintCudaStreamCreateFn streamCreate = nullptr;
  FlintCudaStreamFn streamSynchronize = nullptr;
  FlintCudaStreamFn streamDestroy = nullptr;
  FlintCudaStreamQueryFn streamQuery = nullptr;
  FlintCudaLinearFn linear = nullptr;
  FlintCudaLinearGemmFn linearGemm = nullptr;
  FlintCudaRmsNormFn rmsNorm = nullptr;
  FlintCudaRotatePairsFn rotatePairs = nullptr;
  FlintCudaSoftmaxRowsFn softmaxRows = nullptr;
  FlintCudaRoundToBf16Fn roundToBf16 = nullptr;
  FlintCudaFakeQuantFn fakeQuantE4m3 = nullptr;
  FlintCudaHadamardFn hadamard = nullptr;
  FlintCudaTopKFn topK = nullptr;
  FlintCudaArgmaxFn argmax = nullptr;
  FlintCudaSwigluFn swiglu = nullptr;
  FlintCudaRouteFn route = nullptr;
  FlintCudaHcPreFn hcPre = nullptr;
  FlintCudaHcWeightedSumFn hcWeightedSum = nullptr;
  FlintCudaHcPostFn hcPost = nullptr;
  FlintCudaSparseAttentionFn sparseAttention = nullptr;
  FlintCudaEmbedFn embed = nullptr;
  FlintCudaFakeQuantFn fakeQuantE2m1 = nullptr;
  FlintCudaScaleFn scale = nullptr;
  FlintCudaAddFn add = nullptr;
  FlintCudaCopy2dFn copy2d = nullptr;
  FlintCudaGatherRowsFn gatherRows = nullptr;
  FlintCudaScatterAddRowsFn scatterAddRows = nullptr;
  FlintCudaCompressFn compress = nullptr;
  FlintCudaIndexerScoresFn indexerScores = nullptr;
  FlintCudaAttentionIndicesFn attentionIndices = nullptr;
  FlintCudaGroupedLinearFn groupedLinear = nullptr;
  FlintCudaAddRowsByTokenFn addRowsByToken = nullptr;
  FlintCudaCommitEntriesFn commitEntries = nullptr;
  FlintCudaRingUpdateFn ringUpdate = nullptr;
  FlintCudaGraphBeginFn graphBegin = nullptr;
  FlintCudaGraphEndFn graphEnd = nullptr;
  FlintCudaGraphLaunchFn graphLaunch = nullptr;
  FlintCudaGraphDestroyFn graphDestroy = nullptr;
};

namespace {

template <typename Fn>
void resolve(const CudaModule& module, const char* name, Fn& out) {
  void* p = module.symbol(name);
  if (!p)
    throw CudaError("The CUDA backend at " + module.path().string() + " lacks the entry point " +
                    name + "; it was built from another version of Flint.");
  out = reinterpret_cast<Fn>(p);
}

}  // namespace

std::unique_ptr<CudaOps::Api> CudaOps::resolveApi(const CudaModule& m) {
  auto a = std::make_unique<CudaOps::Api>();
  resolve(m, "flint_cuda_last_error", a->lastError);
  resolve(m, "flint_cuda_context_create", a->contextCreate);
  resolve(m, "flint_cuda_context_destroy", a->contextDestroy);
  resolve(m, "flint_cuda_malloc", a->malloc);
  resolve(m, "flint_cuda_free", a->free);
  resolve(m, "flint_cuda_host_alloc", a->hostAlloc);
  resolve(m, "flint_cuda_host_free", a->hostFree);
  resolve(m, "flint_cuda_copy_to_device", a->copyToDevice);
  resolve(m, "flint_cuda_copy_to_host", a->copyToHost);
  resolve(m, "flint_cuda_copy_to_device_async", a->copyToDeviceAsync);
  resolve(m, "flint_cuda_copy_to_host_async", a->copyToHostAsync);
  resolve(m, "flint_cuda_memset", a->memset);
  resolve(m, "flint_cuda_stream_create", a->streamCreate);
  resolve(m, "flint_cuda_stream_synchronize", a->streamSynchronize);
  resolve(m, "flint_cuda_stream_destroy", a->streamDestroy);
  resolve(m, "flint_cuda_stream_query", a->streamQuery);
  resolve(m, "flint_cuda_linear", a->linear);
  resolve(m, "flint_cuda_linear_gemm", a->linearGemm);
  resolve(m, "flint_cuda_rms_norm", a->rmsNorm);
  resolve(m, "flint_cuda_rotate_pairs", a->rotatePairs);
  resolve(m, "flint_cuda_softmax_rows", a->softmaxRows);
  resolve(m, "flint_cuda_round_to_bf16", a->roundToBf16);
  resolve(m, "flint_cuda_fake_quant_e4m3", a->fakeQuantE4m3);
  resolve(m, "flint_cuda_hadamard", a->hadamard);
  resolve(m, "flint_cuda_top_k", a->topK);
  resolve(m, "flint_cuda_argmax", a->argmax);
  resolve(m, "flint_cuda_swiglu", a->swiglu);
  resolve(m, "flint_cuda_route", a->route);
  resolve(m, "flint_cuda_hc_pre", a->hcPre);
  resolve(m, "flint_cuda_hc_weighted_sum", a->hcWeightedSum);
  resolve(m, "flint_cuda_hc_post", a->hcPost);
  resolve(m, "flint_cuda_sparse_attention", a->sparseAttention);
  resolve(m, "flint_cuda_embed", a->embed);
  resolve(m, "flint_cuda_fake_quant_e2m1", a->fakeQuantE2m1);
  resolve(m, "flint_cuda_scale", a->scale);
  resolve(m, "flint_cuda_add", a->add);
  resolve(m, "flint_cuda_copy_2d", a->copy2d);
  resolve(m, "flint_cuda_gather_rows", a->gatherRows);
  resolve(m, "flint_cuda_scatter_add_rows", a->scatterAddRows);
  resolve(m, "flint_cuda_compress", a->compress);
  resolve(m, "flint_cuda_indexer_scores", a->indexerScores);
  resolve(m, "flint_cuda_attention_indices", a->attentionIndices);
  resolve(m, "flint_cuda_grouped_linear", a->groupedLinear);
  resolve(m, "flint_cuda_add_rows_by_token", a->addRowsByToken);
  resolve(m, "flint_cuda_commit_entries", a->commitEntries);
  resolve(m, "flint_cuda_ring_update", a->ringUpdate);
  resolve(m, "flint_cuda_graph_begin", a->graphBegin);
  resolve(m, "flint_cuda_graph_end", a->graphEnd);
  resolve(m, "flint_cuda_graph_launch", a->graphLaunch);
  resolve(m, "flint_cuda_graph_destroy", a->graphDestroy);
  return a;
}

namespace {

FlintCudaStream* handleOf(const CudaStream* stream) {
  return stream ? stream->handle() : nullptr;
}

FlintCudaWeight rawWeight(const DeviceWeight& w) {
  int format = FLINT_CUDA_WEIGHT_F32;
  switch (w.format) {
    case kernels::WeightFormat::F32:
      format = FLINT_CUDA_WEIGHT_F32;
      break;
    case kernels::WeightFormat::BF16:
      format = FLINT_CUDA_WEIGHT_BF16;
      break;
    case kernels::WeightFormat::Fp8Block128:
      format = FLINT_CUDA_WEIGHT_FP8_BLOCK128;
      break;
    case kernels::WeightFormat::Fp4Group32:
      format = FLINT_CUDA_WEIGHT_FP4_GROUP32;
      break;
  }
  return {format, w.data, w.scales, w.rows, w.cols, w.scaleRowOffset};
}

}  // namespace

// ---- allocations and streams ----

CudaAllocation::~CudaAllocation() {
  release();
}

CudaAllocation::CudaAllocation(CudaAllocation&& other) noexcept
    : ops_(std::exchange(other.ops_, nullptr)),
      data_(std::exchange(other.data_, nullptr)),
      bytes_(std::exchange(other.bytes_, 0)),
      pinned_(other.pinned_) {}

CudaAllocation& CudaAllocation::operator=(CudaAllocation&& other) noexcept {
  if (this != &other) {
    release();
    ops_ = std::exchange(other.ops_, nullptr);
    data_ = std::exchange(other.data_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
    pinned_ = other.pinned_;
  }
  return *this;
}

void CudaAllocation::release() noexcept {
  if (!ops_ || !data_) return;
  const CudaOps::Api& api = *ops_->api_;
  const int status =
      pinned_ ? api.hostFree(ops_->context_, data_) : api.free(ops_->context_, data_);
  if (status != FLINT_CUDA_OK) log::logger("engine")->warn("{}", api.lastError());
  data_ = nullptr;
}

CudaStream::~CudaStream() {
  release();
}

CudaStream::CudaStream(CudaStream&& other) noexcept
    : ops_(std::exchange(other.ops_, nullptr)), handle_(std::exchange(other.handle_, nullptr)) {}

CudaStream& CudaStream::operator=(CudaStream&& other) noexcept {
  if (this != &other) {
    release();
    ops_ = std::exchange(other.ops_, nullptr);
    handle_ = std::exchange(other.handle_, nullptr);
  }
  return *this;
}

void CudaStream::release() noexcept {
  if (!ops_ || !handle_) return;
  if (ops_->api_->streamDestroy(ops_->context_, handle_) != FLINT_CUDA_OK)
    log::logger("engine")->warn("{}", ops_->api_->lastError());
  handle_ = nullptr;
}

// ---- opening ----

CudaOps::CudaOps(std::unique_ptr<CudaModule> module, std::unique_ptr<Api> api,
                 CudaProbeResult probe, int ordinal)
    : module_(std::move(module)),
      api_(std::move(api)),
      probe_(std::move(probe)),
      ordinal_(ordinal) {}

CudaOps::~CudaOps() {
  if (context_) api_->contextDestroy(context_);
}

std::unique_ptr<CudaOps> CudaOps::open(const std::filesystem::path& modulePath, int ordinal) {
  std::string why;
  auto module = CudaModule::open(modulePath, &why);
  if (!module) throw CudaError("The GPU backend cannot start: " + why + ".");
  CudaProbeResult probe = module->probe();
  if (!probe.usable) throw CudaError("The GPU backend cannot start: " + probe.reason + ".");
  if (ordinal < 0 || std::size_t(ordinal) >= probe.devices.size())
    throw CudaError("There is no CUDA device " + std::to_string(ordinal) + "; this machine has " +
                    std::to_string(probe.devices.size()) + ".");
  auto api = resolveApi(*module);
  std::unique_ptr<CudaOps> ops(new CudaOps(std::move(module), std::move(api), probe, ordinal));
  ops->check(ops->api_->contextCreate(ordinal, &ops->context_));
  log::logger("engine")->info("CUDA ops on device {} ({})", ordinal,
                              probe.devices[std::size_t(ordinal)].name);
  return ops;
}

std::unique_ptr<CudaOps> CudaOps::create(int ordinal) {
  const auto candidates = cudaModuleCandidates();
  if (candidates.empty())
    throw CudaError("This build of Flint has no GPU backend (it was built without nvcc).");
  const auto& path = candidates.front();
  std::error_code ec;
  // A bare file name is left to the dynamic loader's search path, as probeCuda() does.
  if (path.has_parent_path() && !std::filesystem::exists(path, ec))
    throw CudaError("The GPU backend is not installed (looked for " + path.string() + ").");
  return open(path, ordinal);
}

void CudaOps::check(int status) const {
  if (status != FLINT_CUDA_OK) throw CudaError(api_->lastError());
}

// ---- memory and streams ----

DeviceBuffer CudaOps::allocate(std::size_t bytes) const {
  void* p = nullptr;
  check(api_->malloc(context_, bytes, &p));
  return DeviceBuffer(this, p, bytes);
}

PinnedBuffer CudaOps::allocatePinned(std::size_t bytes) const {
  void* p = nullptr;
  check(api_->hostAlloc(context_, bytes, &p));
  return PinnedBuffer(this, p, bytes);
}

DeviceBuffer CudaOps::upload(const void* host, std::size_t bytes) const {
  DeviceBuffer b = allocate(bytes);
  copyToDevice(b.data(), host, bytes);
  return b;
}

void CudaOps::copyToDevice(void* device, const void* host, std::size_t bytes) const {
  check(api_->copyToDevice(context_, device, host, bytes));
}

void CudaOps::copyToHost(void* host, const void* device, std::size_t bytes) const {
  check(api_->copyToHost(context_, host, device, bytes));
}

void CudaOps::copyToDeviceAsync(void* device, const void* host, std::size_t bytes,
                                const CudaStream& stream) const {
  check(api_->copyToDeviceAsync(context_, device, host, bytes, stream.handle()));
}

void CudaOps::copyToHostAsync(void* host, const void* device, std::size_t bytes,
                              const CudaStream& stream) const {
  check(api_->copyToHostAsync(context_, host, device, bytes, stream.handle()));
}

void CudaOps::fill(void* device, int byte, std::size_t bytes) const {
  check(api_->memset(context_, device, byte, bytes));
}

CudaStream CudaOps::createStream() const {
  FlintCudaStream* s = nullptr;
  check(api_->streamCreate(context_, &s));
  return CudaStream(this, s);
}

bool CudaOps::finished(const CudaStream& stream) const {
  int done = 0;
  check(api_->streamQuery(context_, stream.handle(), &done));
  return done != 0;
}

void CudaOps::synchronize(const CudaStream* stream) const {
  check(api_->streamSynchronize(context_, handleOf(stream)));
}

// ---- ops ----

void CudaOps::linear(const DeviceWeight& w, const float* x, std::size_t tokens, float* y,
                     const CudaStream* stream) const {
  const FlintCudaWeight raw = rawWeight(w);
  check(api_->linear(context_, &raw, x, tokens, y, handleOf(stream)));
}

void CudaOps::linearGemm(const DeviceWeight& w, const float* x, std::size_t tokens, float* y,
                         const CudaStream* stream) const {
  const FlintCudaWeight raw = rawWeight(w);
  check(api_->linearGemm(context_, &raw, x, tokens, y, handleOf(stream)));
}

void CudaOps::rmsNorm(const float* x, const float* w, std::size_t rows, std::size_t n, float eps,
                      float* out, const CudaStream* stream) const {
  check(api_->rmsNorm(context_, x, w, rows, n, eps, out, handleOf(stream)));
}

void CudaOps::rotatePairs(float* x, std::size_t rows, std::size_t rowStride, const float* cos,
                          const float* sin, std::size_t rowsPerPosition, std::size_t pairs,
                          bool conjugate, const CudaStream* stream) const {
  check(api_->rotatePairs(context_, x, rows, rowStride, cos, sin, rowsPerPosition, pairs,
                          conjugate ? 1 : 0, handleOf(stream)));
}

void CudaOps::softmaxRows(float* x, std::size_t rows, std::size_t n,
                          const CudaStream* stream) const {
  check(api_->softmaxRows(context_, x, rows, n, handleOf(stream)));
}

void CudaOps::roundToBf16(float* x, std::size_t n, const CudaStream* stream) const {
  check(api_->roundToBf16(context_, x, n, handleOf(stream)));
}

void CudaOps::fakeQuantE4m3(float* x, std::size_t rows, std::size_t n, std::size_t block,
                            const CudaStream* stream) const {
  check(api_->fakeQuantE4m3(context_, x, rows, n, block, handleOf(stream)));
}

void CudaOps::hadamard(float* x, std::size_t rows, std::size_t n, const CudaStream* stream) const {
  check(api_->hadamard(context_, x, rows, n, handleOf(stream)));
}

void CudaOps::topK(const float* values, std::size_t rows, std::size_t n, std::size_t k,
                   std::int32_t* out, const CudaStream* stream) const {
  check(api_->topK(context_, values, rows, n, k, out, handleOf(stream)));
}

void CudaOps::argmax(const float* values, std::size_t rows, std::size_t n, std::int32_t* out,
                     const CudaStream* stream) const {
  check(api_->argmax(context_, values, rows, n, out, handleOf(stream)));
}

void CudaOps::swiglu(float* g, const float* u, const float* tokenWeights, std::size_t tokens,
                     std::size_t n, float limit, const CudaStream* stream) const {
  check(api_->swiglu(context_, g, u, tokenWeights, tokens, n, limit, handleOf(stream)));
}

void CudaOps::route(const DeviceRouting& r, const CudaStream* stream) const {
  const FlintCudaRouting raw{r.logits, r.bias,      r.tid2eid,     r.ids,    r.tokens, r.experts,
                             r.k,      r.normalize, r.routedScale, r.chosen, r.weights};
  check(api_->route(context_, &raw, handleOf(stream)));
}

void CudaOps::hcPre(const FlintCudaHyperShape& shape, const float* x, const float* mix,
                    const float* scale, const float* base, std::size_t tokens, float* pre,
                    float* post, float* comb, const CudaStream* stream) const {
  check(api_->hcPre(context_, &shape, x, mix, scale, base, tokens, pre, post, comb,
                    handleOf(stream)));
}

void CudaOps::hcWeightedSum(const float* x, const float* pre, std::size_t tokens,
                            std::size_t streams, std::size_t hidden, float* y,
                            const CudaStream* stream) const {
  check(api_->hcWeightedSum(context_, x, pre, tokens, streams, hidden, y, handleOf(stream)));
}

void CudaOps::hcPost(const float* f, const float* res, const float* post, const float* comb,
                     std::size_t tokens, std::size_t streams, std::size_t hidden, float* out,
                     const CudaStream* stream) const {
  check(api_->hcPost(context_, f, res, post, comb, tokens, streams, hidden, out, handleOf(stream)));
}

void CudaOps::sparseAttention(const FlintCudaSparseAttention& attention,
                              const CudaStream* stream) const {
  check(api_->sparseAttention(context_, &attention, handleOf(stream)));
}

void CudaOps::embed(const std::uint16_t* table, const std::int32_t* ids, std::size_t tokens,
                    std::size_t hidden, std::size_t streams, float* out,
                    const CudaStream* stream) const {
  check(api_->embed(context_, table, ids, tokens, hidden, streams, out, handleOf(stream)));
}

void CudaOps::fakeQuantE2m1(float* x, std::size_t rows, std::size_t n, std::size_t block,
                            const CudaStream* stream) const {
  check(api_->fakeQuantE2m1(context_, x, rows, n, block, handleOf(stream)));
}

void CudaOps::scale(float* x, std::size_t n, float factor, const CudaStream* stream) const {
  check(api_->scale(context_, x, n, factor, handleOf(stream)));
}

void CudaOps::add(float* y, const float* x, std::size_t n, const CudaStream* stream) const {
  check(api_->add(context_, y, x, n, handleOf(stream)));
}

void CudaOps::copy2d(void* dst, std::size_t dstPitch, const void* src, std::size_t srcPitch,
                     std::size_t widthBytes, std::size_t rows, const CudaStream* stream) const {
  check(api_->copy2d(context_, dst, dstPitch, src, srcPitch, widthBytes, rows, handleOf(stream)));
}

void CudaOps::gatherRows(const float* src, const std::int32_t* rows, std::size_t count,
                         std::size_t width, float* dst, const CudaStream* stream) const {
  check(api_->gatherRows(context_, src, rows, count, width, dst, handleOf(stream)));
}

void CudaOps::scatterAddRows(float* dst, const std::int32_t* rows, std::size_t count,
                             std::size_t width, const float* src, const CudaStream* stream) const {
  check(api_->scatterAddRows(context_, dst, rows, count, width, src, handleOf(stream)));
}

void CudaOps::compress(const FlintCudaCompressor& compressor, const CudaStream* stream) const {
  check(api_->compress(context_, &compressor, handleOf(stream)));
}

void CudaOps::indexerScores(const FlintCudaIndexerScores& scores, const CudaStream* stream) const {
  check(api_->indexerScores(context_, &scores, handleOf(stream)));
}

void CudaOps::attentionIndices(const FlintCudaAttentionIndices& indices,
                               const CudaStream* stream) const {
  check(api_->attentionIndices(context_, &indices, handleOf(stream)));
}

void CudaOps::groupedLinear(const FlintCudaLinearGroup* groups, std::size_t count, std::size_t rows,
                            std::size_t cols, const float* x, float* y,
                            const CudaStream* stream) const {
  check(api_->groupedLinear(context_, groups, count, rows, cols, x, y, handleOf(stream)));
}

void CudaOps::addRowsByToken(float* dst, const std::int32_t* offsets, const std::int32_t* rows,
                             std::size_t tokens, std::size_t width, const float* src,
                             const CudaStream* stream) const {
  check(api_->addRowsByToken(context_, dst, offsets, rows, tokens, width, src, handleOf(stream)));
}

FlintCudaWeight CudaOps::rawWeight(const DeviceWeight& w) {
  return flint::engine::rawWeight(w);
}

void CudaOps::commitEntries(const float* staging, float* entries, std::size_t width,
                            std::size_t ratio, std::int64_t start, const long long* startOnDevice,
                            std::size_t tokens, const CudaStream* stream) const {
  check(api_->commitEntries(context_, staging, entries, width, ratio, start, startOnDevice, tokens,
                            handleOf(stream)));
}

void CudaOps::ringUpdate(float* ring, std::size_t ringRows, std::size_t width, const float* rows,
                         std::size_t tokens, std::int64_t start, const long long* startOnDevice,
                         const CudaStream* stream) const {
  check(api_->ringUpdate(context_, ring, ringRows, width, rows, tokens, start, startOnDevice,
                         handleOf(stream)));
}

void CudaOps::beginCapture(const CudaStream& stream) const {
  check(api_->graphBegin(context_, stream.handle()));
}

CudaGraph CudaOps::endCapture(const CudaStream& stream) const {
  FlintCudaGraph* graph = nullptr;
  check(api_->graphEnd(context_, stream.handle(), &graph));
  return CudaGraph(this, graph);
}

void CudaOps::launch(const CudaGraph& graph, const CudaStream* stream) const {
  check(api_->graphLaunch(context_, graph.handle(), handleOf(stream)));
}

CudaGraph::~CudaGraph() {
  release();
}

CudaGraph::CudaGraph(CudaGraph&& other) noexcept
    : ops_(std::exchange(other.ops_, nullptr)), handle_(std::exchange(other.handle_, nullptr)) {}

CudaGraph& CudaGraph::operator=(CudaGraph&& other) noexcept {
  if (this != &other) {
    release();
    ops_ = std::exchange(other.ops_, nullptr);
    handle_ = std::exchange(other.handle_, nullptr);
  }
  return *this;
}

void CudaGraph::release() noexcept {
  if (!handle_) return;
  if (ops_->api_->graphDestroy(ops_->context_, handle_) != FLINT_CUDA_OK)
    log::logger("engine")->warn("a CUDA graph could not be destroyed: {}", ops_->api_->lastError());
  handle_ = nullptr;
}

}  // namespace flint::engine
