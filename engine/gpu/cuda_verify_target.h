#pragma once
// Speculation's verify pass on the GPU: the CUDA backbone over one session's DeviceCache.
#include "engine/gpu/cuda_transformer.h"
#include "engine/gpu/device_cache_rollback.h"
#include "engine/spec/verify_target.h"

namespace flint::engine {

class CudaVerifyTarget final : public VerifyTarget {
 public:
  CudaVerifyTarget(const CudaOps& ops, CudaTransformer& model, DeviceCache& cache)
      : model_(model), cache_(cache), rollback_(ops) {}
  std::int64_t length() const override { return cache_.length; }
  void verify(std::span<const std::int32_t> ids, Numerics numerics, std::vector<float>& logits,
              std::vector<float>& taps) override {
    rollback_.save(cache_, ids.size());
    model_.forward(ids, cache_, numerics, true, logits, &taps);
  }
  void keepFirst(std::size_t kept) override { rollback_.keepFirst(cache_, kept); }
  std::size_t lastDistinctExperts() const override { return model_.lastDistinctExperts(); }

 private:
  CudaTransformer& model_;
  DeviceCache& cache_;
  DeviceCacheRollback rollback_;
};

}  // namespace flint::engine
