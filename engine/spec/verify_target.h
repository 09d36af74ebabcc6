#pragma once
// What a speculative step verifies against: one session's backbone and cache, on the CPU or
// the GPU. verify() appends the anchor and the drafts in one pass and keeps what it takes to
// undo them; keepFirst() then keeps the accepted prefix and undoes the rest exactly.
#include "engine/cache/cache_rollback.h"
#include "engine/model/numerics.h"
#include "engine/model/transformer.h"

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

namespace flint::engine {

class VerifyTarget {
 public:
  virtual ~VerifyTarget() = default;
  // Positions in the cache.
  virtual std::int64_t length() const = 0;
  // Appends `ids`, writing every position's logits and the drafter's taps.
  virtual void verify(std::span<const std::int32_t> ids, Numerics numerics,
                      std::vector<float>& logits, std::vector<float>& taps) = 0;
  // Keeps the first `kept` positions verify() appended; the cache is then what appending only
  // those would have built.
  virtual void keepFirst(std::size_t kept) = 0;
  // Routed experts the last verify() read (0 where the backbone does not count them).
  virtual std::size_t lastDistinctExperts() const = 0;
};

// A backbone over one cache, undone by a rollback of the cache's kind: Model::forward and
// Rollback::save/keepFirst as Transformer and CacheRollback have them.
template <typename Model, typename Cache, typename Rollback>
class RollbackVerifyTarget final : public VerifyTarget {
 public:
  template <typename... RollbackArgs>
  RollbackVerifyTarget(Model& model, Cache& cache, RollbackArgs&&... args)
      : model_(model), cache_(cache), rollback_(std::forward<RollbackArgs>(args)...) {}
  std::int64_t length() const override { return cache_.length; }
  void verify(std::span<const std::int32_t> ids, Numerics numerics, std::vector<float>& logits,
              std::vector<float>& taps) override {
    rollback_.save(cache_, ids.size());
    model_.forward(ids, cache_, numerics, true, logits, &taps);
  }
  void keepFirst(std::size_t kept) override { rollback_.keepFirst(cache_, kept); }
  std::size_t lastDistinctExperts() const override { return model_.lastDistinctExperts(); }

 private:
  Model& model_;
  Cache& cache_;
  Rollback rollback_;
};

// The CPU Transformer over a host SessionCache.
using CpuVerifyTarget = RollbackVerifyTarget<Transformer, SessionCache, CacheRollback>;

}  // namespace flint::engine
